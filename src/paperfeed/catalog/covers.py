"""Covers: every listed paper is shown with a picture of its first page.

The picture is made from the paper's arXiv PDF by the worker, after the paper is listed (the
scheduler's cover job, :func:`covers_due`), or in bulk by ``paperfeed covers``; never while a
visitor waits. It is kept as a file, ``<data dir>/covers/<yymm or archive>/<number>.png``
(``covers/2406/2406.01234.png``, ``covers/hep-th/9901001.png``), written whole or not at all.
A PDF that cannot be fetched or drawn leaves ``<number>.failed`` beside it with the reason; the
worker tries again a day later, ``paperfeed covers --missing`` at once.

Until a paper has one (and always for papers from elsewhere than arXiv), pages show its
generated cover (:func:`paperfeed.catalog.cover_images.generated_cover_svg`), served by the site
itself: nothing is ever loaded from another site.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from paperfeed.catalog.cover_images import COVER_HEIGHT, COVER_WIDTH, render_first_page
from paperfeed.config import Settings
from paperfeed.db import covers as covers_repo
from paperfeed.db import papers as papers_repo
from paperfeed.errors import CoverError, FetchError, InvalidInput, NotFound
from paperfeed.ids import parse_paper_id
from paperfeed.models import Paper
from paperfeed.sources.arxiv_pdf import fetch_pdf
from paperfeed.sources.http import PoliteClient, user_agent

COVERS_FOLDER = "covers"
CHANGED_STAMP = ".changed"  # touched after every cover stored
RECHECK_S = 0.25  # how often link() looks at the stamp
REMEMBERED = 100_000  # covers link() remembers at most (then it reads the disk again)
RETRY_FAILED_AFTER = timedelta(days=1)  # arXiv builds some PDFs late; a failure is tried again a day later
RECENT_LISTINGS = timedelta(days=7)  # the worker covers what was listed this long ago at most

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True, slots=True)
class StoredCover:
    """A rendered cover on disk; ``version`` changes whenever the file does (its ETag, and the
    ``?v=`` of its address, so that a browser may keep it for a year)."""

    path: Path
    version: str


@dataclass(frozen=True, slots=True)
class CoverLink:
    """What a page needs to show a paper's cover."""

    url: str
    width: int
    height: int
    rendered: bool  # False: the generated cover


class CoverStore:
    """The covers of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / COVERS_FOLDER
        # What link() knows of the disk, read again when a cover is stored (version()): each
        # folder's names (folder -> (its mtime, names)), and the covers it has shown since.
        self._folders: dict[str, tuple[int, frozenset[str]]] = {}
        self._known: dict[str, StoredCover | None] = {}
        self._known_version, self._checked_at = -1.0, float("-inf")

    def path_of(self, paper_id: str, suffix: str = ".png") -> Path | None:
        """Where the cover of ``paper_id`` lives; None for a paper that is not on arXiv (or an id
        that is not canonical, so that no address can name a file outside the folder)."""
        place = _place(paper_id)
        return None if place is None else self.root / place[0] / f"{place[1]}{suffix}"

    def stored(self, paper_id: str) -> StoredCover | None:
        """The rendered cover of ``paper_id``, if there is one."""
        path = self.path_of(paper_id)
        if path is None:
            return None
        try:
            status = path.stat()
        except OSError:
            return None
        return StoredCover(path, f"{status.st_mtime_ns:x}-{status.st_size:x}")

    def save(self, paper_id: str, png: bytes) -> None:
        """Store a rendered cover atomically (a page never reads half a file); forget a failure."""
        path = self.path_of(paper_id)
        if path is None:
            raise InvalidInput(f"{paper_id!r} is not an arXiv paper: it has no PDF cover", field="paper_id")
        _write_atomically(path, png)
        path.with_suffix(".failed").unlink(missing_ok=True)
        (self.root / CHANGED_STAMP).touch()

    def version(self) -> float:
        """When a cover was last stored (0 before the first): pages kept in memory show covers, so
        a new one makes them stale (web/page_cache.py)."""
        try:
            return (self.root / CHANGED_STAMP).stat().st_mtime
        except OSError:
            return 0.0

    def record_failure(self, paper_id: str, reason: str, *, now: datetime) -> None:
        """Remember when and why the cover of ``paper_id`` could not be made."""
        path = self.path_of(paper_id, ".failed")
        if path is not None:
            _write_atomically(path, f"{now.isoformat()}\n{reason}\n".encode("utf-8"))

    def failed_since(self, paper_id: str, moment: datetime) -> bool:
        """Whether making this cover failed at or after ``moment``."""
        path = self.path_of(paper_id, ".failed")
        try:
            when = datetime.fromisoformat(path.read_text(encoding="utf-8").split("\n", 1)[0]) if path else None
        except (OSError, ValueError):  # no failure, or a file no run of paperfeed wrote
            return False
        if when is None:
            return False
        return (when if when.tzinfo else when.replace(tzinfo=UTC)) >= moment

    def link(self, paper: Paper) -> CoverLink:
        """The cover a page shows for ``paper``: the rendered one, else the generated one. A page of
        cards asks for fifty: what is on disk is remembered until a cover is stored (:meth:`version`,
        looked at every :data:`RECHECK_S`)."""
        stored = self._remembered(paper.id)
        address = "/covers/" + quote(paper.id, safe="/:")  # an id from elsewhere may hold ? # or %
        if stored is not None:
            return CoverLink(f"{address}.png?v={stored.version}", COVER_WIDTH, COVER_HEIGHT, True)
        return CoverLink(f"{address}.svg", COVER_WIDTH, COVER_HEIGHT, False)


    def _remembered(self, paper_id: str) -> StoredCover | None:
        """:meth:`stored` without a look at the disk for each card: under load every system call
        of a page's render gives the interpreter's lock away, and waits to get it back."""
        now = time.monotonic()
        if now - self._checked_at >= RECHECK_S:
            self._checked_at, version = now, self.version()
            if version != self._known_version or len(self._known) > REMEMBERED:
                self._folders = self._listed(self._folders)
                self._known, self._known_version = {}, version
        place = _place(paper_id)
        if place is None or f"{place[1]}.png" not in self._folders.get(place[0], (0, frozenset()))[1]:
            return None
        if paper_id not in self._known:
            self._known[paper_id] = self.stored(paper_id)
        return self._known[paper_id]

    def _listed(self, before: dict[str, tuple[int, frozenset[str]]]) -> dict[str, tuple[int, frozenset[str]]]:
        """The covers' names folder by folder; a folder whose mtime has not moved is not read again."""
        try:
            folders = {entry.name: entry.stat().st_mtime_ns for entry in os.scandir(self.root) if entry.is_dir()}
        except OSError:
            return {}
        listed = {}
        for folder, mtime in folders.items():
            if folder in before and before[folder][0] == mtime:
                listed[folder] = before[folder]
                continue
            try:
                listed[folder] = (mtime, frozenset(name for name in os.listdir(self.root / folder)
                                                   if name.endswith(".png")))
            except OSError:
                continue
        return listed


def _place(paper_id: str) -> tuple[str, str] | None:
    """The folder and the file name (less its suffix) of the cover of ``paper_id``; None for a paper
    that is not on arXiv (or an id that is not canonical, so that no address can name a file
    outside the folder)."""
    if ":" in paper_id or "\\" in paper_id:
        return None
    try:
        if parse_paper_id(paper_id).canonical != paper_id:
            return None
    except InvalidInput:
        return None
    folder, _, number = paper_id.rpartition("/")  # old style: the archive, then the number
    return (folder or paper_id[:4], number)  # new style: yymm, so that no folder grows past ~30,000 files


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(slots=True)
class CoverReport:
    """What a run made: covers rendered, papers that already had one, and each failure's reason."""

    rendered: int = 0
    kept: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """``3 covers rendered, 1 failed, 40 already there``."""
        parts = [f"{self.rendered:,} cover{'' if self.rendered == 1 else 's'} rendered"]
        if self.failures:
            parts.append(f"{len(self.failures):,} failed")
        if self.kept:
            parts.append(f"{self.kept:,} already there")
        return ", ".join(parts)


def covers_to_make(connection: sa.Connection, store: CoverStore, *, missing: bool) -> tuple[list[str], int]:
    """For ``paperfeed covers``: the listed arXiv papers to (re)draw, latest listing day first; with
    ``missing``, only those without a cover (a failed one is tried again). Returns them and how
    many listed papers already have one and were left alone."""
    listed = covers_repo.listed_arxiv_ids(connection)
    todo = [paper_id for paper_id in listed if not (missing and store.stored(paper_id))]
    return todo, len(listed) - len(todo)


def covers_due(connection: sa.Connection, store: CoverStore, *, now: datetime, limit: int) -> list[str]:
    """For the worker: arXiv papers listed in the last :data:`RECENT_LISTINGS` that have no cover and
    did not fail in the last :data:`RETRY_FAILED_AFTER`, latest listing day first, at most ``limit``."""
    due = []
    for paper_id in covers_repo.listed_arxiv_ids(connection, listed_since=now - RECENT_LISTINGS):
        if store.stored(paper_id) is None and not store.failed_since(paper_id, now - RETRY_FAILED_AFTER):
            due.append(paper_id)
            if len(due) == limit:
                break
    return due


def make_covers(store: CoverStore, client: PoliteClient, paper_ids: Sequence[str], *, pdf_url: str,
                now: Callable[[], datetime] = lambda: datetime.now(UTC), on_progress: Progress | None = None,
                time_budget_s: float | None = None) -> CoverReport:
    """Fetch each paper's PDF (through ``client``, so at arXiv's pace) and store its first page.
    A paper whose PDF cannot be fetched or drawn is reported with the reason, and the others
    go on. With ``time_budget_s``, no paper is started after that many seconds."""
    report = CoverReport()
    started = time.monotonic()
    for done, paper_id in enumerate(paper_ids, start=1):
        if time_budget_s is not None and time.monotonic() - started > time_budget_s:
            break
        try:
            png = render_first_page(fetch_pdf(client, pdf_url=pdf_url, paper_id=paper_id))
        except FetchError as error:
            _failed(store, report, paper_id, error.reason, now())
        except CoverError as error:
            _failed(store, report, paper_id, str(error), now())
        else:
            store.save(paper_id, png)
            report.rendered += 1
        if on_progress:
            on_progress(done, len(paper_ids))
    return report


def _failed(store: CoverStore, report: CoverReport, paper_id: str, reason: str, now: datetime) -> None:
    store.record_failure(paper_id, reason, now=now)
    report.failures.append((paper_id, reason))


def paper_for_cover(connection: sa.Connection, raw_id: str) -> Paper:
    """The paper whose generated cover is asked for; :class:`NotFound` if there is none."""
    try:
        paper_id = parse_paper_id(raw_id).canonical
    except InvalidInput:
        raise NotFound(f"there is no paper {raw_id[:80]!r}") from None
    paper = papers_repo.get_paper(connection, paper_id)
    if paper is None:
        raise NotFound(f"there is no paper {paper_id!r}")
    return paper


def arxiv_pdf_client(settings: Settings) -> PoliteClient:
    """A client for arXiv's PDFs with the User-Agent and spacing of every other request to arXiv."""
    return PoliteClient(user_agent=user_agent(settings.contact_email, settings.base_url),
                        min_interval_s=settings.arxiv_delay_s)
