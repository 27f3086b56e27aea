"""One exception hierarchy; the CLI and the web layer turn these into clear messages.

It also recognises a full disk, whichever part of paperfeed met it first (:func:`disk_full`):
``OSError`` with ``ENOSPC`` or ``EDQUOT`` (files, tantivy's writer), SQLite's ``SQLITE_FULL``
("database or disk is full"), PostgreSQL's SQLSTATE 53100 ``disk_full``, or a library's own
error that only quotes the system's message, so the CLI and the web layer can answer with one
clear line instead of a traceback.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class PaperfeedError(Exception):
    """Base of every error paperfeed raises on purpose."""


class ConfigError(PaperfeedError):
    """A setting is missing or invalid."""


class DatabaseNotFound(ConfigError):
    """A command that only reads found no database where the settings point (and created none)."""


class InvalidInput(PaperfeedError):
    """User input (a CLI argument, an API parameter, a URL part) is malformed.

    ``field`` names the offending parameter so the message can point at it.
    """

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


class RecordError(InvalidInput):
    """A record in an input file cannot be loaded; the rest of the file still is."""


class AlreadyListed(InvalidInput):
    """The paper is on the daily page already."""


class NotFound(PaperfeedError):
    """The thing asked for does not exist (an unknown paper id, an empty day)."""


class NotSignedIn(PaperfeedError):
    """The page or action needs a signed-in member."""


class Forbidden(PaperfeedError):
    """Not allowed: a member without the role this needs, or changing what is not theirs (or banned)."""


class CsrfError(PaperfeedError):
    """A form arrived without the token of the session that showed it."""


class TooManyRequests(PaperfeedError):
    """Over a rate limit: ``retry_after`` seconds until the next request may pass."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FetchError(PaperfeedError):
    """A request failed for good (after its retries): the URL, and why."""

    def __init__(self, url: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.status = url, reason, status


class CoverError(PaperfeedError):
    """A paper's PDF could not be made into a cover: not a PDF, unreadable, no first page."""


class UpstreamUnavailable(PaperfeedError):
    """arXiv did not answer (after retries); nothing was stored."""


class MailError(PaperfeedError):
    """The SMTP server refused the message or could not be reached."""


class BackupError(PaperfeedError):
    """The backup or restore could not be made."""


class TransferError(PaperfeedError):
    """The target is not empty, or the counts differ after the copy."""


_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_MESSAGES = ("no space left on device", "database or disk is full", "disk quota exceeded",
             "could not extend file")
_POSTGRES_DISK_FULL = "53100"
_NEARLY_FULL_BYTES = 64 * 1024  # less than SQLite's shared-memory file and a page of its log


def disk_full(error: BaseException, directory: Path | None = None) -> bool:
    """True if ``error``, or an error it wraps (``__cause__``, SQLAlchemy's ``orig``), is a full disk;
    or, given the ``directory`` the work was writing to, if that disk has no space left (SQLite
    that cannot make its shared-memory file reports only "disk I/O error")."""
    if directory is not None and _no_space_left(directory):
        return True
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _ERRNOS:
            return True
        if getattr(current, "sqlstate", None) == _POSTGRES_DISK_FULL or getattr(current, "pgcode", None) == _POSTGRES_DISK_FULL:
            return True
        if any(message in str(current).lower() for message in _MESSAGES):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def _no_space_left(directory: Path) -> bool:
    for candidate in (directory, *directory.parents):
        try:
            usage = os.statvfs(candidate)
        except OSError:
            continue
        return usage.f_bavail * usage.f_frsize < _NEARLY_FULL_BYTES
    return False


def full_disk_line(error: BaseException, data_dir: Path) -> str:
    """The one line an operator reads: which disk is full, and what to do."""
    filename = getattr(error, "filename", None)
    directory = Path(filename).parent if filename else data_dir
    return f"the disk holding {directory.resolve()} is full: free some space there"
