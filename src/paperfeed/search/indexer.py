"""Building and updating the search indexes from the database, the source of truth.

The indexes live in ``<data dir>/index/``. ``state.json`` there records the
schema version and the time up to which papers were indexed; an update
indexes the papers changed since then, a missing or outdated index is
rebuilt. Every write is idempotent (documents are replaced by paper id).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from paperfeed.db import papers as papers_repo
from paperfeed.search import keyword
from paperfeed.search.keyword import KeywordDocument, KeywordIndex

STATE_FILE = "state.json"


@dataclass(slots=True)
class IndexState:
    """What ``state.json`` says about the indexes."""

    keyword_schema: int = 0
    indexed_until: str | None = None  # ISO time of the newest paper change indexed
    papers: int = 0

    @classmethod
    def read(cls, directory: Path) -> IndexState:
        try:
            return cls(**json.loads((directory / STATE_FILE).read_text()))
        except (OSError, ValueError, TypeError):
            return cls()

    def write(self, directory: Path) -> None:
        """Write atomically: readers in other processes never see half a file."""
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / f"{STATE_FILE}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(asdict(self), indent=2))
        temporary.replace(directory / STATE_FILE)


@dataclass(slots=True)
class IndexReport:
    """What an index update did."""

    indexed: int
    rebuilt: bool
    total: int


def index_directory(data_dir: Path) -> Path:
    return data_dir / "index"


def update_indexes(
    engine: sa.Engine, data_dir: Path, *, rebuild: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> IndexReport:
    """Index the papers changed since the last update (all of them when rebuilding).

    ``on_progress(done, total)`` is called after each batch.
    """
    directory = index_directory(data_dir)
    state = IndexState.read(directory)
    rebuild = rebuild or state.keyword_schema != keyword.SCHEMA_VERSION
    keyword_dir = directory / "keyword"
    index = KeywordIndex.recreate(keyword_dir) if rebuild else KeywordIndex(keyword_dir)
    since = None if rebuild or state.indexed_until is None else datetime.fromisoformat(state.indexed_until)
    done = 0
    newest = since
    with engine.connect() as connection:
        total = papers_repo.count_papers_changed_since(connection, since)
        for batch in papers_repo.papers_changed_since(connection, since):
            index.upsert(_keyword_document(row) for row in batch)
            done += len(batch)
            newest = batch[-1]["updated_at"]
            if on_progress:
                on_progress(done, total)
    state = IndexState(keyword.SCHEMA_VERSION, newest.isoformat() if newest else None, index.count())
    state.write(directory)
    return IndexReport(indexed=done, rebuilt=rebuild, total=state.papers)


def _keyword_document(row: dict) -> KeywordDocument:
    return KeywordDocument(row["id"], row["title"], row["abstract"] or "", tuple(row["categories"] or ()),
                           row["published_on"])
