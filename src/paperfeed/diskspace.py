"""Recognising a full disk, whichever part of paperfeed met it first.

A full disk reaches paperfeed in several shapes: ``OSError`` with ``ENOSPC`` or
``EDQUOT`` (files, tantivy's writer), SQLite's ``SQLITE_FULL`` ("database or disk
is full"), PostgreSQL's SQLSTATE 53100 ``disk_full``, or a library's own error
that only quotes the system's message. :func:`disk_full` says whether an error
is one of them, so the CLI and the web layer can answer with one clear line
instead of a traceback.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

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
