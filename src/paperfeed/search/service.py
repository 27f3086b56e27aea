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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
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
from paperfeed.search.fusion import coverage_rerank, min_max_fusion, origin_boost, reciprocal_rank_fusion
from paperfeed.search.highlighting import highlight, query_stems
from paperfeed.search.index_state import STATE_FILE, IndexState, index_directory
from paperfeed.search.keyword import KeywordIndex
from paperfeed.search.authors import author_keys, fold, name_words
from paperfeed.search.query import SearchQuery
from paperfeed.search.reading import QueryReading, read_query
from paperfeed.search.request import MAX_PAGE_SIZE, SearchFilters, SearchRequest
from paperfeed.search.spelling import Correction
from paperfeed.search.references import PaperReference, paper_reference
from paperfeed.search.timing import phase
from paperfeed.search.vectors import VectorStore

log = logging.getLogger(__name__)
MAX_RESULTS = MAX_PAGE_SIZE
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
# A query of a few words that several candidates hold as a phrase names something, and the paper that
# used it first is likely the one that introduced it ("group relative policy optimization" is
# DeepSeekMath's): that paper's fused score gets this much more. Chosen on the known-item queries
# (bench/known_items.py, kind "coined"); SciFact's claims are never phrases of its abstracts.
ORIGIN_WEIGHT = 1.0
MIN_PHRASE_HOLDERS = 3
PHRASE_RAREST_SHARE = 0.10  # a phrase whose every word is in more papers than this names nothing in particular
MAX_PHRASE_WORDS = 6
KEYWORD_ONLY_NOTICE = "Semantic search is unavailable ({reason}); these are keyword matches only."
NOT_ENGLISH_NOTICE = ("This query looks {language}. Search reads English: its index and its model of meaning are "
                      "English, so these are the papers whose words match. Try the English words.")
KEYWORD_FAILED_NOTICE = "Keyword search failed on this query (the error is logged); these are semantic matches only."


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
    """The results of one search, and what the user is told about how their query was read."""

    query: SearchQuery  # what was searched: the query as typed, or with its mistyped words corrected
    hits: list[SearchHit]
    notice: str | None = None
    reference: PaperReference | None = None  # the query named one paper (an id, a link, a DOI)
    author: str | None = None  # the query named a person (or author:NAME): as their papers spell it
    surname_only: bool = False  # ``author`` is a last name several people on the page share
    topic: str | None = None  # with ``author``: the query's other words, their papers on it first
    corrections: list[Correction] = field(default_factory=list)  # words no paper has, and what was searched
    total: int = 0  # how many matches there are to page through (at most MAX_RESULTS)
    index_built: bool = True  # False: there is no index to search yet (``paperfeed index`` builds it)
    language: str | None = None  # the query seemed to be in this language, not English

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

    def search(self, connection: sa.Connection, request: SearchRequest) -> SearchResponse:
        """The page of results ``request`` asks for, best first (or newest, or most upvoted first).

        A query that names one paper (:func:`paper_reference`) is a lookup: that paper alone, or
        nothing with a notice. Otherwise the query is read first (:meth:`read_query`: a person's
        name, the language, mistyped words), then searched: a name alone gives that person's papers
        first; a name with topic words their papers on the topic first; anything else the hybrid
        ranking. The papers' rows are read once, for the page shown."""
        reference = paper_reference(request.query.text) if request.like_paper is None else None
        if reference is not None:
            return self._look_up(connection, request, reference)
        state = self._refresh()
        if state is None or self._keyword is None:
            return SearchResponse(request.query, [], notice="The search index is not built yet: run `paperfeed index`.",
                                  total=0, index_built=False)
        if not request.query.words:  # author:"NAME" alone: that author's papers, newest first
            ranked = self._sorted(connection, self._by_author(request.filters.author_key, request.filters), request.sort)
            return self._respond(connection, request, QueryReading(request.query, None), ranked,
                                 author_key=request.filters.author_key)
        with phase("spelling"):
            reading = read_query(self._keyword, request)
        ranked, notice, named = self._rank(connection, reading, request)
        if reading.language:
            notice = _joined(notice, NOT_ENGLISH_NOTICE.format(language=reading.language))
        author_key = reading.name.key if reading.name and named else request.filters.author_key
        return self._respond(connection, request, reading, ranked, notice=notice, author_key=author_key)

    def _rank(self, connection: sa.Connection, reading: QueryReading,
              request: SearchRequest) -> tuple[list[tuple[str, float]], str | None, bool]:
        """Every match in the order asked for, a notice for the user, and whether the person the
        query names has papers among the matches."""
        filters, depth = request.filters, max(CANDIDATES, min(request.offset + request.page_size, MAX_RESULTS))
        if reading.name and reading.topic is None:  # a name alone: their papers, then other matches of the name
            theirs = self._sorted(connection, self._by_author(reading.name.key, filters), request.sort)
            fused, notice = self._hybrid(reading.query, filters, depth=depth)
            return _first(theirs, self._ordered(connection, fused, reading.query, request.sort)), notice, bool(theirs)
        fused, notice = self._hybrid(reading.topic, filters, depth=depth, like_paper=request.like_paper)
        if reading.name is None:
            return self._ordered(connection, fused, reading.topic, request.sort), notice, False
        # A name and a topic: their papers on the topic first (those the keyword index finds with the
        # name as a filter, and those of the fused matches, holding enough of the topic's words:
        # _on_topic), then the other papers on the topic.
        try:
            theirs = [paper_id for paper_id, _ in self._keyword.search(
                reading.topic, limit=depth, since=filters.since, until=filters.until, categories=filters.categories,
                author_key=reading.name.key)]
        except keyword.KeywordSearchFailed:
            theirs = []
        candidates = set(theirs) | self._keyword.admitted([paper_id for paper_id, _ in fused[:depth]],
                                                          author_key=reading.name.key)
        stems = query_stems(reading.topic.words)
        coverage = self._coverage(stems, sorted(candidates)) if stems else {}
        held = {paper_id for paper_id in candidates if coverage.get(paper_id, 0) >= _on_topic(len(stems))}
        fused_ids = {paper_id for paper_id, _ in fused}
        mine = [hit for hit in fused if hit[0] in held] + [(paper_id, 0.0) for paper_id in theirs
                                                           if paper_id not in fused_ids]
        rest = [hit for hit in fused if hit[0] not in held]
        if not mine:
            notice = _joined(notice, f"No paper of this author matches “{_text_of(reading.topic)}”: "
                                     "these are papers on it by anyone.")
        ordered = self._ordered(connection, mine, reading.topic, request.sort)
        return ordered + self._ordered(connection, rest, reading.topic, request.sort), notice, bool(mine)

    def _hybrid(self, query: SearchQuery, filters: SearchFilters, *, depth: int,
                like_paper: str | None = None) -> tuple[list[tuple[str, float]], str | None]:
        """The keyword and the vector candidates of ``query`` (and of ``like_paper``'s vector), within
        the filters, fused; and a notice when one half could not answer."""
        notice = None
        try:
            with phase("keyword"):
                keyword_hits = self._keyword.search(query, limit=depth, since=filters.since, until=filters.until,
                                                    categories=filters.categories, author_key=filters.author_key)
        except keyword.KeywordSearchFailed:
            keyword_hits, notice = [], KEYWORD_FAILED_NOTICE
        with phase("embedding"):
            vector = self._query_vector(query, like_paper)
        if vector is None:
            with phase("fusion"):
                return fuse_text_query(query, keyword_hits, [], self._coverage, self._holders), KEYWORD_ONLY_NOTICE.format(
                    reason=self._vector_problem(self._state))
        with phase("vectors"):
            dense_hits = self._vectors.nearest(vector, limit=depth, exclude=frozenset({like_paper} if like_paper else ()))
        if like_paper is None:
            dense_hits = above_floor(keyword_hits, dense_hits)
        if filters != SearchFilters():  # the keyword index filtered its own hits; filter the vector hits alike
            admitted = self._keyword.admitted([paper_id for paper_id, _ in dense_hits], since=filters.since,
                                              until=filters.until, categories=filters.categories,
                                              author_key=filters.author_key)
            dense_hits = [hit for hit in dense_hits if hit[0] in admitted]
        with phase("fusion"):
            if like_paper is None:
                return fuse_text_query(query, keyword_hits, dense_hits, self._coverage, self._holders), notice
            return _fuse_by_example(keyword_hits, dense_hits), notice

    def _ordered(self, connection: sa.Connection, fused: list[tuple[str, float]], query: SearchQuery,
                 sort: str) -> list[tuple[str, float]]:
        """``fused`` as it is for relevance. Ordered by date or votes, a weak match would rise as high
        as a strong one: the papers that hold every word of the query come first, newest or most
        upvoted first, then the best :data:`SORTED_MEANING_HITS` of the others, in the same order."""
        if sort == "relevance" or not fused:
            return fused
        stems = query_stems(query.words)
        coverage = self._coverage(stems, [paper_id for paper_id, _ in fused]) if stems else {}
        full = [hit for hit in fused if coverage.get(hit[0], 0) >= len(stems)]
        held = {paper_id for paper_id, _ in full}
        others = [hit for hit in fused if hit[0] not in held][:SORTED_MEANING_HITS]
        return self._sorted(connection, full, sort) + self._sorted(connection, others, sort)

    @staticmethod
    def _sorted(connection: sa.Connection, ranked: list[tuple[str, float]], sort: str) -> list[tuple[str, float]]:
        """``ranked`` newest first (the paper's date) or most upvoted first; ties keep their order."""
        if sort == "relevance" or len(ranked) < 2:
            return ranked
        keys = papers_repo.sort_keys(connection, [paper_id for paper_id, _ in ranked])
        position = 0 if sort == "newest" else 1
        return sorted(ranked, key=lambda hit: keys.get(hit[0], (-1, -1))[position], reverse=True)

    def _by_author(self, key: str, filters: SearchFilters) -> list[tuple[str, float]]:
        """The papers of the author of ``key`` within the filters, newest first."""
        try:
            return [(paper_id, 1.0) for paper_id in self._keyword.by_author(
                key, limit=MAX_RESULTS, since=filters.since, until=filters.until, categories=filters.categories)]
        except keyword.KeywordSearchFailed:
            return []

    def _respond(self, connection: sa.Connection, request: SearchRequest, reading: QueryReading,
                 ranked: list[tuple[str, float]], *, notice: str | None = None,
                 author_key: str | None = None) -> SearchResponse:
        """The response for the page ``request`` asks for: the only place the papers' rows are read."""
        ranked = ranked[:MAX_RESULTS]
        page = ranked[request.offset:request.offset + request.page_size]
        hits = self._hits(connection, reading.query, page)
        topic = _text_of(reading.topic) if reading.name and reading.topic is not None and author_key else None
        author, surname_only = _display_name(hits, author_key) if author_key else (None, False)
        return SearchResponse(reading.query, hits, notice, author=author, surname_only=surname_only,
                              topic=topic, corrections=list(reading.corrections), total=len(ranked),
                              language=reading.language)

    def _coverage(self, stems: frozenset[str], paper_ids: list[str]) -> dict[str, int]:
        """How many of ``stems`` each paper holds ({} when the keyword index fails on it)."""
        try:
            return self._keyword.coverage(stems, paper_ids)
        except keyword.KeywordSearchFailed:
            return {}

    def _holders(self, words: tuple[str, ...], paper_ids: list[str]) -> list[str]:
        """The papers of ``paper_ids`` holding ``words`` as a phrase, oldest first ([] when the keyword index fails)."""
        try:
            return self._keyword.earliest_holders(words, paper_ids, rarest_share=PHRASE_RAREST_SHARE)
        except keyword.KeywordSearchFailed:
            return []

    def _look_up(self, connection: sa.Connection, request: SearchRequest, reference: PaperReference) -> SearchResponse:
        if reference.kind == "arxiv":
            paper = papers_repo.get_paper(connection, reference.value)
        else:
            paper = papers_repo.find_paper_by_doi(connection, reference.value)
        if paper is None:
            return SearchResponse(request.query, [], f"This site does not hold {reference}.", reference, total=0)
        notice = None
        if reference.version and paper.version and reference.version > paper.version:
            notice = (f"arXiv:{paper.id} has no version {reference.version} here: the latest this site "
                      f"knows is v{paper.version}.")
        hits = self._hits(connection, request.query, [(paper.id, 1.0)], {paper.id: paper}) if request.page == 1 else []
        return SearchResponse(request.query, hits, notice, reference, total=1)

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

    def _hits(self, connection: sa.Connection, query: SearchQuery, ranked: list[tuple[str, float]],
              papers: dict[str, Paper] | None = None) -> list[SearchHit]:
        """The page's results: its papers and their listings read (once), the query's words marked."""
        ids = [paper_id for paper_id, _ in ranked]
        with phase("rows"):
            papers = papers if papers is not None else papers_repo.get_papers(connection, ids)
            listings = listings_repo.get_listings(connection, ids)
        stems = query_stems(query.words)
        with phase("highlight"):
            return [
                SearchHit(papers[paper_id], listings.get(paper_id), score,
                          highlight(papers[paper_id].title, stems), highlight(papers[paper_id].abstract, stems))
                for paper_id, score in ranked if paper_id in papers
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
    holders_of: Callable[[tuple[str, ...], list[str]], list[str]] | None = None,
) -> list[tuple[str, float]]:
    """One ranking of a typed query's keyword and vector hits: min-max fusion weighted
    :data:`KEYWORD_WEIGHT` to 1 minus it, then the first :data:`RERANK_DEPTH` re-ranked by how many of
    the query's words each holds (``coverage_of(stems, ids)``, :func:`fusion.coverage_rerank`), then
    the paper that first used the query as a phrase raised (:func:`fusion.origin_boost`;
    ``holders_of(words, ids)``: the papers holding the phrase, oldest first)."""
    fused = min_max_fusion([keyword_hits, dense_hits], weights=(KEYWORD_WEIGHT, 1 - KEYWORD_WEIGHT))
    stems = query_stems(query.words)
    if COVERAGE_WEIGHT > 0 and len(stems) >= 2:
        coverage = coverage_of(stems, [paper_id for paper_id, _ in fused[:RERANK_DEPTH]])
        fused = coverage_rerank(fused, coverage, len(stems), weight=COVERAGE_WEIGHT, depth=RERANK_DEPTH)
    whole = not query.phrases or query.phrases == (query.words,)  # no quotes, or the whole query quoted
    if holders_of is not None and ORIGIN_WEIGHT > 0 and whole and 2 <= len(query.words) <= MAX_PHRASE_WORDS:
        holders = holders_of(query.words, [paper_id for paper_id, _ in fused[:CANDIDATES]])
        fused = origin_boost(fused, holders, weight=ORIGIN_WEIGHT, least_holders=MIN_PHRASE_HOLDERS)
    return fused


def _fuse_by_example(keyword_hits: list[tuple[str, float]], dense_hits: list[tuple[str, float]]):
    """Queries by example (similar papers, more like this): RRF, which measured better there than
    min-max fusion (CSFCube NDCG@20 0.561 against 0.547 with More Like This keywords; bench/quality.py)."""
    return reciprocal_rank_fusion([[i for i, _ in keyword_hits], [i for i, _ in dense_hits]])


def _on_topic(words: int) -> int:
    """How many of a topic's words a person's paper must hold to be "on the topic": half of them
    (rounded up), and two when the topic has two or more (one shared word like "learning" is not)."""
    return max(min(words, 2), -(-words // 2))


def _text_of(query: SearchQuery | None) -> str:
    return query.text if query is not None else ""


def _joined(first: str | None, second: str) -> str:
    return f"{first} {second}" if first else second


def _first(first: list[tuple[str, float]], rest: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """``first`` in its order, then the papers of ``rest`` not already in it."""
    seen = {paper_id for paper_id, _ in first}
    return first + [hit for hit in rest if hit[0] not in seen]


def _display_name(hits: list[SearchHit], key: str) -> tuple[str | None, bool]:
    """How the results by the author of ``key`` spell their name: the spelling most of them use
    (between equals, the one with fewest accents); and whether it is only a last name, shared by
    several people on the page ("He" may be Kaiming He and Haoyu He): then the last name alone."""
    spellings = Counter(name for hit in hits for name in hit.paper.authors if key in author_keys(name))
    if not spellings:
        return None, False
    name = min(spellings, key=lambda spelling: (-spellings[spelling], not spelling.isascii()))
    people = {" ".join(name_words(spelling)) for spelling in spellings}
    if key.startswith("last:") and len(people) > 1:
        last = key.removeprefix("last:")
        return next((word for word in re.findall(r"[^\W\d_]+", name) if fold(word) == last), last.title()), True
    return name, False


def _vector_fields(state: IndexState) -> tuple:
    """What changes in ``state.json`` when the vectors do (a keyword rebuild's progress does not)."""
    return (state.vectors_dir, state.vector_model, state.vector_sha256, state.vectors, state.vectors_until,
            state.vectors_until_id)
