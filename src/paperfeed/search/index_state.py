"""Where a data directory's search indexes live, and ``state.json``, which says what they hold.

Apart from :mod:`paperfeed.search.indexer`, which writes it, so that readers (the search service)
need not import the indexer.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATE_FILE = "state.json"


def index_directory(data_dir: Path) -> Path:
    return data_dir / "index"


@dataclass(slots=True)
class IndexState:
    """What ``state.json`` says about the indexes."""

    keyword_schema: int = 0
    keyword_dir: str = "keyword"  # the live keyword index, a folder of index/
    indexed_until: str | None = None  # (updated_at, id) of the last paper change in the keyword index
    indexed_until_id: str = ""
    indexed_recent: list[str] = field(default_factory=list)  # papers indexed after the cursor (not settled)
    papers: int = 0
    rebuild_dir: str | None = None  # a keyword index being rebuilt beside the live one
    rebuild_until: str | None = None  # how far it got: an interrupted rebuild resumes from here
    rebuild_until_id: str = ""
    rebuild_recent: list[str] = field(default_factory=list)
    vectors_dir: str = "vectors"  # the live vector store, a folder of index/
    vectors_rebuild_dir: str | None = None  # vectors being rebuilt beside the live ones
    vector_model: str | None = None
    vector_sha256: str | None = None
    vectors_until: str | None = None  # None while vectors are incomplete (every paper is checked again)
    vectors_until_id: str = ""
    vectors: int = 0

    @classmethod
    def read(cls, directory: Path) -> IndexState:
        try:
            return cls(**json.loads((directory / STATE_FILE).read_text()))
        except (OSError, ValueError, TypeError):
            return cls()

    def write(self, directory: Path) -> None:
        """Write atomically: readers in other processes never see half a file. An unchanged state is
        not written again: its file's time is what readers, and the pages kept in memory, follow
        (an update round that found nothing new must not make every cached page stale)."""
        directory.mkdir(parents=True, exist_ok=True)
        text = json.dumps(asdict(self), indent=2)
        try:
            if (directory / STATE_FILE).read_text() == text:
                return
        except OSError:
            pass
        temporary = directory / f"{STATE_FILE}.{os.getpid()}.tmp"
        temporary.write_text(text)
        temporary.replace(directory / STATE_FILE)
