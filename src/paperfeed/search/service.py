"""Answering searches: the indexes find paper ids, the database supplies the papers."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from paperfeed.db import listings as listings_repo
from paperfeed.db import papers as papers_repo
from paperfeed.models import Listing, Paper
from paperfeed.search import keyword
from paperfeed.search.highlight import highlight, query_stems
from paperfeed.search.indexer import STATE_FILE, IndexState, index_directory
from paperfeed.search.keyword import KeywordIndex
from paperfeed.search.query import SearchQuery

MAX_RESULTS = 1_000


@dataclass(slots=True)
class SearchFilters:
    """Optional limits on what a search returns."""

    since: date | None = None
    until: date | None = None
    categories: tuple[str, ...] = ()


@dataclass(slots=True)
class SearchHit:
    """One result: the paper, its listing if any, its score and its highlighted title and abstract."""

    paper: Paper
    listing: Listing | None
    score: float
    highlighted_title: list[dict]
    highlighted_summary: list[dict]


@dataclass(slots=True)
class SearchResponse:
    """The results of one search, and a notice for the user when the index is not ready."""

    query: SearchQuery
    hits: list[SearchHit]
    notice: str | None = None


class SearchService:
    """Searches the indexes in ``<data dir>/index``, reopening them when another process updates them."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = index_directory(data_dir)
        self._lock = threading.Lock()
        self._keyword: KeywordIndex | None = None
        self._state_mtime: float | None = None

    def _keyword_index(self) -> KeywordIndex | None:
        state_path = self.directory / STATE_FILE
        try:
            mtime = state_path.stat().st_mtime
        except OSError:
            return None
        with self._lock:
            if self._keyword is None or mtime != self._state_mtime:
                if IndexState.read(self.directory).keyword_schema != keyword.SCHEMA_VERSION:
                    return None
                if self._keyword is None:
                    self._keyword = KeywordIndex(self.directory / "keyword")
                self._keyword.index.reload()
                self._state_mtime = mtime
            return self._keyword

    def search(
        self, connection: sa.Connection, query: SearchQuery, *, limit: int, offset: int = 0,
        filters: SearchFilters | None = None,
    ) -> SearchResponse:
        """The best matches for ``query``, most relevant first."""
        index = self._keyword_index()
        if index is None:
            return SearchResponse(query, [], notice="The search index is not built yet: run `paperfeed index`.")
        filters = filters or SearchFilters()
        ranked = index.search(query, limit=min(offset + limit, MAX_RESULTS), since=filters.since,
                              until=filters.until, categories=filters.categories)[offset:]
        return SearchResponse(query, self._hits(connection, query, ranked))

    def _hits(self, connection: sa.Connection, query: SearchQuery, ranked: list[tuple[str, float]]) -> list[SearchHit]:
        ids = [paper_id for paper_id, _ in ranked]
        papers = papers_repo.get_papers(connection, ids)
        listings = listings_repo.get_listings(connection, ids)
        stems = query_stems(query.words)
        return [
            SearchHit(papers[paper_id], listings.get(paper_id), score,
                      highlight(papers[paper_id].title, stems), highlight(papers[paper_id].abstract, stems))
            for paper_id, score in ranked
            if paper_id in papers  # a paper deleted since it was indexed is skipped
        ]
