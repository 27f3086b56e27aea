"""Answering searches: the indexes find paper ids, the database supplies the papers.

Hybrid retrieval: the keyword index (BM25) and the vector store (cosine) each
return their best candidates, fused by a weighted sum of normalised scores
(:mod:`paperfeed.search.fusion`). When the vectors are missing, stale or from
another model, search falls back to keywords and says so.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from paperfeed.db import listings as listings_repo
from paperfeed.db import papers as papers_repo
from paperfeed.errors import PaperfeedError
from paperfeed.formatting import counted
from paperfeed.models import Listing, Paper
from paperfeed.search import keyword
from paperfeed.search.documents import embedding_text
from paperfeed.search.embedder import Embedder
from paperfeed.search.timing import phase
from paperfeed.search.fusion import coverage_rerank, min_max_fusion, reciprocal_rank_fusion
from paperfeed.search.highlight import highlight, query_stems, stem
from paperfeed.search.index_state import STATE_FILE, IndexState, index_directory
from paperfeed.search.keyword import KeywordIndex
from paperfeed.search.authors import author_keys, filter_key, has_author, query_key
from paperfeed.search.query import SearchQuery, mostly_non_latin, parse_search_query
from paperfeed.search.spelling import Correction, needs_checking, nearest_stem, written_form
from paperfeed.search.references import PaperReference, paper_reference
from paperfeed.search.vectors import VectorStore

log = logging.getLogger(__name__)
MAX_RESULTS = 1_000
SORTS = ("relevance", "newest", "upvotes")  # how results may be ordered (sort= on the page, API, CLI)
SORTED_MEANING_HITS = 10  # matches without every query word kept when results are ordered by date or votes
CANDIDATES = 100  # from each of the keyword and the vector index, before fusion
# A paper that has none of the query's words counts only when its vector's cosine similarity to
# the query's clears this floor: otherwise every query, "qwxzvbnm" too, fills the page with the
# nearest vectors and search never says that nothing matches. Chosen on the SciFact train split
# (bench/relevance_floor.py, docs/benchmarks.md) for the packaged model; another model's cosines
# may have another range (multilingual E5's lie between about 0.7 and 1).
MEANING_FLOOR = 0.4
# The keyword score's weight in the fusion (see paperfeed.search.fusion), the vector's being 1
# minus it; a weight of its own for short queries measured no better (bench/search_levers.py).
# Then the first RERANK_DEPTH fused results are re-ranked by the share of the query's words each
# holds (fusion.coverage_rerank), with this weight. Chosen together on SciFact's train split and
# the known-item queries of bench/known_items.jsonl (docs/benchmarks.md).
KEYWORD_WEIGHT = 0.5
RERANK_DEPTH = 30
COVERAGE_WEIGHT = 0.3
KEYWORD_ONLY_NOTICE = "Semantic search is unavailable ({reason}); these are keyword matches only."
ENGLISH_ONLY_NOTICE = ("Search reads English best: its model of meaning was trained on English papers, so a query "
                       "in another script finds few of them. Try the English words.")
KEYWORD_FAILED_NOTICE = "Keyword search failed on this query (the error is logged); these are semantic matches only."


@dataclass(slots=True)
class SearchFilters:
    """Optional limits on what a search returns."""

    since: date | None = None
    until: date | None = None
    categories: tuple[str, ...] = ()
    author_key: str | None = None  # authors.filter_key of author:NAME or the author= parameter

    def admits(self, paper: Paper) -> bool:
        if self.author_key and not has_author(paper.authors, self.author_key):
            return False
        if (self.since or self.until) and paper.published_on is None:
            return False
        if self.since and paper.published_on < self.since:
            return False
        if self.until and paper.published_on > self.until:
            return False
        return not self.categories or bool(set(self.categories) & set(paper.categories))


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
    """The results of one search, and a notice for the user when the index is not fully ready."""

    query: SearchQuery
    hits: list[SearchHit]
    notice: str | None = None
    reference: PaperReference | None = None  # the query named one paper (an id, a link, a DOI)
    author: str | None = None  # the query was a person's name (or author:NAME): as their papers spell it
    corrections: list[Correction] = field(default_factory=list)  # words no paper has, and what was searched
    total: int = 0  # how many matches there are to page through (at most MAX_RESULTS)
    index_built: bool = True  # False: there is no index to search yet (``paperfeed index`` builds it)

    @property
    def found_reference(self) -> Paper | None:
        """The paper the query named, when this site holds it."""
        return self.hits[0].paper if self.reference is not None and self.hits else None


def stored_vectors_of(data_dir: Path):
    """``vectors_of(ids) -> {id: vector}`` over the vectors stored in ``data_dir``'s index, without
    loading the embedding model (digests rank by them); ``{}`` for every id when there are none."""
    from paperfeed.search.vectors import read_stored

    directory = index_directory(data_dir)
    store = read_stored(directory / IndexState.read(directory).vectors_dir)

    def vectors_of(paper_ids) -> dict:
        if store is None:
            return {}
        return {paper_id: vector for paper_id in paper_ids if (vector := store.vector_of(paper_id)) is not None}

    return vectors_of


class SearchService:
    """Searches the indexes in ``<data dir>/index``, reopening them when another process updates them.

    ``embedder_factory`` loads the embedding model on first use (None: keyword search only).
    """

    def __init__(self, data_dir: Path, *, embedder_factory: Callable[[], Embedder] | None = None) -> None:
        self.directory = index_directory(data_dir)
        self._embedder_factory = embedder_factory
        self._embedder: Embedder | None = None
        self._embedder_problem: str | None = None if embedder_factory else "turned off in settings"
        self._lock = threading.Lock()
        self._keyword: KeywordIndex | None = None
        self._vectors: VectorStore | None = None
        self._state_mtime: float | None = None
        self._state = IndexState()
        self.similar_computed = 0  # how many similar-paper lists this service computed (paperfeed.search.similar)

    def index_version(self) -> float:
        """When the index on disk last changed (its state file's time; 0 before it is built): what
        cached search results and pages are keyed by, besides the data generation."""
        try:
            return (self.directory / STATE_FILE).stat().st_mtime
        except OSError:
            return 0.0

    def _refresh(self) -> IndexState | None:
        """Reopen the indexes when ``state.json`` changed; None when there is no index yet."""
        try:
            mtime = (self.directory / STATE_FILE).stat().st_mtime
        except OSError:
            return None
        with self._lock:
            if mtime != self._state_mtime:
                before, state = self._state, IndexState.read(self.directory)
                self._state = state
                live = self.directory / state.keyword_dir
                if state.keyword_schema != keyword.SCHEMA_VERSION:
                    self._keyword = None
                elif self._keyword is None or self._keyword.directory != live:
                    self._keyword = KeywordIndex(live)  # a rebuild was swapped in
                else:
                    self._keyword.index.reload()
                if self._vectors is None or _vector_fields(before) != _vector_fields(state):
                    self._vectors = self._load_vectors(state)
                self._state_mtime = mtime
            return self._state

    def _load_vectors(self, state: IndexState) -> VectorStore | None:
        embedder = self.embedder()
        if embedder is None or (state.vector_model, state.vector_sha256) != (
                embedder.identity.name, embedder.identity.sha256):
            return None
        store = VectorStore(self.directory / state.vectors_dir, embedder.identity, writable=False)
        return store if len(store) else None

    def embedder(self) -> Embedder | None:
        """The embedding model, loaded once; None (with the reason kept) when it cannot be loaded."""
        if self._embedder is None and self._embedder_factory is not None and self._embedder_problem is None:
            try:
                self._embedder = self._embedder_factory()
            except PaperfeedError as error:
                log.warning("semantic search is off: %s", error)
                self._embedder_problem = str(error)
        return self._embedder

    def search(
        self, connection: sa.Connection, query: SearchQuery, *, limit: int, offset: int = 0,
        filters: SearchFilters | None = None, like_paper: str | None = None, sort: str = "relevance",
        exact: bool = False,
    ) -> SearchResponse:
        """The best matches for ``query`` (and, with ``like_paper``, for that paper's vector), best first,
        or with ``sort`` the same matches newest or most upvoted first. Mistyped words are searched
        as the word meant (:mod:`spelling`) unless ``exact``.

        A query that names one paper (:func:`paper_reference`) is a lookup: that paper alone, or
        nothing with a notice, never papers that merely share digits with an id."""
        reference = paper_reference(query.text) if like_paper is None else None
        if reference is not None:
            return self._look_up(connection, query, reference, offset=offset)
        state = self._refresh()
        if state is None or self._keyword is None:
            return SearchResponse(query, [], notice="The search index is not built yet: run `paperfeed index`.",
                                  total=0, index_built=False)
        filters = filters or SearchFilters()
        with phase("spelling"):
            corrections = self._corrections(connection, query) if like_paper is None and not exact else []
        if corrections:
            query = _corrected(query, corrections)
        if query.author and not filters.author_key:
            filters = replace(filters, author_key=filter_key(query.author))
        wanted = min(offset + limit, MAX_RESULTS)
        depth = max(CANDIDATES, wanted)
        notice = None
        if not query.words:  # author:"NAME" alone: that author's papers, newest first
            ids = self._keyword.by_author(filters.author_key, limit=MAX_RESULTS) if filters.author_key else []
            found = papers_repo.get_papers(connection, ids)
            ranked = [(paper_id, 1.0) for paper_id in ids if paper_id in found and filters.admits(found[paper_id])]
            if sort == "upvotes":
                ranked = _sorted(ranked, found, sort)
            total, ranked = len(ranked), ranked[offset:wanted]
            return SearchResponse(query, self._hits(connection, query, ranked, found), None,
                                  author=_display_name(found, ranked, filters.author_key), total=total)
        try:
            with phase("keyword"):
                keyword_hits = self._keyword.search(
                    query, limit=depth, since=filters.since, until=filters.until, categories=filters.categories,
                    author_key=filters.author_key)
        except keyword.KeywordSearchFailed:
            keyword_hits, notice = [], KEYWORD_FAILED_NOTICE
        with phase("embedding"):
            vector = self._query_vector(query, like_paper)
        if vector is None:
            notice = KEYWORD_ONLY_NOTICE.format(reason=self._vector_problem(state))
            with phase("fusion"):
                fused = fuse_text_query(query, keyword_hits, [], self._coverage)
            with phase("rows"):
                papers = papers_repo.get_papers(connection, [paper_id for paper_id, _ in fused[offset:wanted]])
        else:
            with phase("vectors"):
                dense_hits = self._vectors.nearest(vector, limit=depth,
                                                   exclude=frozenset({like_paper} if like_paper else ()))
            if like_paper is None:
                dense_hits = above_floor(keyword_hits, dense_hits)
            if filters != SearchFilters():  # the keyword index filtered its own hits; filter the vector hits
                found = papers_repo.get_papers(connection, [paper_id for paper_id, _ in dense_hits])
                dense_hits = [(paper_id, score) for paper_id, score in dense_hits
                              if paper_id in found and filters.admits(found[paper_id])]
            with phase("fusion"):
                if like_paper is None:
                    fused = fuse_text_query(query, keyword_hits, dense_hits, self._coverage)
                else:
                    fused = _fuse_by_example(keyword_hits, dense_hits)
            with phase("rows"):
                papers = papers_repo.get_papers(connection, [paper_id for paper_id, _ in fused[offset:wanted]])
        author_key = None if (filters.author_key or like_paper) else query_key(query.text)
        if author_key and self._keyword.author_known(author_key):
            # The query is a person's name: their papers first, best matches of the rest after.
            theirs = self._keyword.by_author(author_key, limit=depth)
            fused = _first(fused, theirs)
            papers = papers_repo.get_papers(connection, [paper_id for paper_id, _ in fused[offset:wanted]])
        else:
            author_key = filters.author_key
        if sort != "relevance":
            # Ordered by date or votes, a weak match would rise as high as a strong one: keep the
            # papers that have every word of the query, and of the others only the best-fused few.
            papers = papers_repo.get_papers(connection, [paper_id for paper_id, _ in fused])
            wanted_stems = query_stems(query.words)
            full = [hit for hit in fused if hit[0] in papers and wanted_stems <= _stems_of(papers[hit[0]])]
            held = {paper_id for paper_id, _ in full}
            others = [hit for hit in fused if hit[0] not in held][:SORTED_MEANING_HITS]
            fused = _sorted(full, papers, sort) + _sorted(others, papers, sort)
        ranked = [(paper_id, score) for paper_id, score in fused if paper_id in papers][offset:wanted]
        if mostly_non_latin(query.text):
            notice = f"{notice} {ENGLISH_ONLY_NOTICE}" if notice else ENGLISH_ONLY_NOTICE
        return SearchResponse(query, self._hits(connection, query, ranked, papers), notice,
                              author=_display_name(papers, ranked, author_key) if author_key else None,
                              corrections=corrections, total=min(len(fused), MAX_RESULTS))

    def _coverage(self, stems: frozenset[str], paper_ids: list[str]) -> dict[str, int]:
        """How many of ``stems`` each paper holds ({} when the keyword index fails on it)."""
        try:
            return self._keyword.coverage(stems, paper_ids)
        except keyword.KeywordSearchFailed:
            return {}

    def _corrections(self, connection: sa.Connection, query: SearchQuery) -> list[Correction]:
        """The query's words that no paper holds, each with the nearest word that papers do hold."""
        found = []
        for word in query.words:
            typed_stem = stem(word)
            if not needs_checking(word) or self._keyword.term_frequency(typed_stem) > 0:
                continue
            meant_stem = nearest_stem(typed_stem, self._keyword.terms_starting(typed_stem[:2]))
            paper_id = self._keyword.paper_with(meant_stem) if meant_stem else None
            paper = papers_repo.get_paper(connection, paper_id) if paper_id else None
            if paper is not None:
                meant = written_form(f"{paper.title} {paper.abstract}", meant_stem, word) or meant_stem
                found.append(Correction(word, meant))
        return found

    def _look_up(self, connection: sa.Connection, query: SearchQuery, reference: PaperReference, *,
                 offset: int) -> SearchResponse:
        if reference.kind == "arxiv":
            paper = papers_repo.get_paper(connection, reference.value)
        else:
            paper = papers_repo.find_paper_by_doi(connection, reference.value)
        if paper is None:
            return SearchResponse(query, [], f"This site does not hold {reference}.", reference, total=0)
        notice = None
        if reference.version and paper.version and reference.version > paper.version:
            notice = (f"arXiv:{paper.id} has no version {reference.version} here: the latest this site "
                      f"knows is v{paper.version}.")
        hits = self._hits(connection, query, [(paper.id, 1.0)], {paper.id: paper}) if offset == 0 else []
        return SearchResponse(query, hits, notice, reference, total=1)

    def _query_vector(self, query: SearchQuery, like_paper: str | None):
        if self._vectors is None:
            return None
        if like_paper is not None:
            return self._vectors.vector_of(like_paper)
        return self._embedder.embed_query(query.text)

    def _vector_problem(self, state: IndexState) -> str:
        if self._embedder_problem:
            return self._embedder_problem
        if not state.vectors:
            return "the paper vectors are not built yet: run `paperfeed index`"
        return "the paper vectors were made by another model: run `paperfeed index`"

    def keyword_count(self) -> int | None:
        """How many papers the keyword index holds (as it says itself), or None without one."""
        self._refresh()
        return self._keyword.count() if self._keyword is not None else None

    def readiness(self) -> str:
        """What /readyz says about search: how many papers the indexes hold, or why there are none."""
        state = self._refresh()
        if state is None or self._keyword is None:
            return "no index yet (paperfeed index): pages work, search says so"
        vectors = len(self._vectors) if self._vectors is not None else 0
        return f"{counted(state.papers, 'paper')} indexed, {vectors} with vectors"

    def vectors_of(self, paper_ids: list[str]) -> dict:
        """The stored vectors of these papers (those that have one), for personal ranking."""
        self._refresh()
        if self._vectors is None:
            return {}
        found = {}
        for paper_id in paper_ids:
            vector = self._vectors.vector_of(paper_id)
            if vector is not None:
                found[paper_id] = vector
        return found

    def similar_stamp(self) -> int:
        """The stamp of the indexes :meth:`similar` reads, as :mod:`paperfeed.search.similar` compares
        it: how many vectors they hold; 0 when :meth:`similar` finds nothing (no vectors, no keyword
        index). Kept in memory: no file is read but the one ``stat`` of ``state.json``."""
        self._refresh()
        vectors, keyword_index = self._vectors, self._keyword
        return len(vectors) if vectors is not None and keyword_index is not None else 0

    def similar(self, connection: sa.Connection, paper: Paper, *, limit: int = 5) -> list[Paper]:
        """Papers like ``paper`` (its most distinctive words, its vector, fused), without the paper
        itself; [] without vectors. The paper page reads them stored (:mod:`paperfeed.search.similar`)."""
        ranked = self.similar_ids(paper, limit=limit)
        found = papers_repo.get_papers(connection, ranked)
        return [found[paper_id] for paper_id in ranked if paper_id in found]

    def similar_ids(self, paper: Paper, *, limit: int = 5) -> list[str]:
        """The ids of :meth:`similar`'s papers, as the indexes hold them (the indexer stores them)."""
        self._refresh()
        if self._vectors is None or self._keyword is None:
            return []
        self.similar_computed += 1
        vector = self._vectors.vector_of(paper.id)
        if vector is None:
            vector = self._embedder.embed_documents([embedding_text(paper.title, paper.abstract)])[0]
        exclude = frozenset({paper.id})
        dense_hits = self._vectors.nearest(vector, limit=CANDIDATES, exclude=exclude)
        try:
            keyword_hits = [hit for hit in self._keyword.similar(paper.title, paper.abstract, limit=CANDIDATES + 1)
                            if hit[0] != paper.id]
        except keyword.KeywordSearchFailed:
            keyword_hits = []
        return [paper_id for paper_id, _ in _fuse_by_example(keyword_hits, dense_hits)[:limit]]

    def _hits(
        self, connection: sa.Connection, query: SearchQuery, ranked: list[tuple[str, float]],
        papers: dict[str, Paper],
    ) -> list[SearchHit]:
        with phase("rows"):
            listings = listings_repo.get_listings(connection, [paper_id for paper_id, _ in ranked])
        stems = query_stems(query.words)
        with phase("highlight"):
            return [
                SearchHit(papers[paper_id], listings.get(paper_id), score,
                          highlight(papers[paper_id].title, stems), highlight(papers[paper_id].abstract, stems))
                for paper_id, score in ranked
            ]


def above_floor(keyword_hits: list[tuple[str, float]], dense_hits: list[tuple[str, float]],
                floor: float | None = None) -> list[tuple[str, float]]:
    """The vector hits that count: those the keyword half found too, and those whose cosine
    clears ``floor`` (:data:`MEANING_FLOOR` by default)."""
    floor = MEANING_FLOOR if floor is None else floor
    matched = {paper_id for paper_id, _ in keyword_hits}
    return [hit for hit in dense_hits if hit[0] in matched or hit[1] >= floor]


def fuse_text_query(
    query: SearchQuery, keyword_hits: list[tuple[str, float]], dense_hits: list[tuple[str, float]],
    coverage_of: Callable[[frozenset[str], list[str]], dict[str, int]],
) -> list[tuple[str, float]]:
    """One ranking of a typed query's keyword and vector hits: min-max fusion weighted
    :data:`KEYWORD_WEIGHT` to 1 minus it, then the first :data:`RERANK_DEPTH` re-ranked by how many of
    the query's words each holds (``coverage_of(stems, ids)``, :func:`fusion.coverage_rerank`)."""
    fused = min_max_fusion([keyword_hits, dense_hits], weights=(KEYWORD_WEIGHT, 1 - KEYWORD_WEIGHT))
    stems = query_stems(query.words)
    if COVERAGE_WEIGHT <= 0 or len(stems) < 2:
        return fused
    coverage = coverage_of(stems, [paper_id for paper_id, _ in fused[:RERANK_DEPTH]])
    return coverage_rerank(fused, coverage, len(stems), weight=COVERAGE_WEIGHT, depth=RERANK_DEPTH)


def _fuse_by_example(keyword_hits: list[tuple[str, float]], dense_hits: list[tuple[str, float]]):
    """Queries by example (similar papers, more like this): RRF, which measured better there than
    min-max fusion (CSFCube NDCG@20 0.561 against 0.547 with More Like This keywords; bench/quality.py)."""
    return reciprocal_rank_fusion([[i for i, _ in keyword_hits], [i for i, _ in dense_hits]])


def _corrected(query: SearchQuery, corrections: list[Correction]) -> SearchQuery:
    """The query with each mistyped word replaced by the word it was taken for."""
    text = query.text
    for correction in corrections:
        text = re.sub(rf"\b{re.escape(correction.typed)}\b", correction.meant, text, flags=re.IGNORECASE)
    return parse_search_query(text)


def _stems_of(paper: Paper) -> set[str]:
    return {stem(word) for word in re.findall(r"\w+", f"{paper.title} {paper.abstract} {' '.join(paper.authors)}")}


def _sorted(fused: list[tuple[str, float]], papers: dict[str, Paper], sort: str) -> list[tuple[str, float]]:
    """The matches newest first (the paper's date) or most upvoted first; ties keep relevance order."""
    def key(hit: tuple[str, float]):
        paper = papers.get(hit[0])
        if paper is None:
            return (1, 0)
        if sort == "newest":
            return (0, -(paper.published_on.toordinal() if paper.published_on else 0))
        return (0, -paper.upvotes)

    return sorted(fused, key=key)


def _first(fused: list[tuple[str, float]], ids: list[str]) -> list[tuple[str, float]]:
    """``ids`` first (those among ``fused`` in its order, then the others in theirs), then the rest."""
    wanted = set(ids)
    top = [hit for hit in fused if hit[0] in wanted]
    seen = {paper_id for paper_id, _ in top}
    top += [(paper_id, 0.0) for paper_id in ids if paper_id not in seen]
    return top + [hit for hit in fused if hit[0] not in wanted]


def _display_name(papers: dict[str, Paper], ranked: list[tuple[str, float]], key: str | None) -> str | None:
    """How the first of ``ranked``'s papers spells the author of ``key``."""
    for paper_id, _ in ranked:
        for name in papers[paper_id].authors if paper_id in papers else ():
            if key in author_keys(name):
                return name
    return None


def _vector_fields(state: IndexState) -> tuple:
    """What changes in ``state.json`` when the vectors do (a keyword rebuild's progress does not)."""
    return (state.vectors_dir, state.vector_model, state.vector_sha256, state.vectors, state.vectors_until,
            state.vectors_until_id)
