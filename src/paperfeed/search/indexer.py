"""Building and updating the search indexes from the database, the source of truth.

The indexes live in ``<data dir>/index/``: ``keyword/`` (tantivy), ``vectors/``
(see :mod:`paperfeed.search.vectors`) and ``state.json``
(:mod:`paperfeed.search.index_state`), which records each index's schema or
model and the time up to which papers were indexed. An
update indexes the papers changed since then; a missing or outdated index
(another schema version, another embedding model) is rebuilt. Every write is
idempotent, and a paper whose text did not change is never embedded again.
"""

from __future__ import annotations

import fcntl
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from paperfeed.db import papers as papers_repo
from paperfeed.formatting import counted
from paperfeed.search import keyword
from paperfeed.search.documents import embedding_text, text_hash
from paperfeed.search.embedder import Embedder
from paperfeed.search.index_state import IndexState, index_directory
from paperfeed.search.keyword import KeywordDocument, KeywordIndex
from paperfeed.search.service import SearchService
from paperfeed.search.similar import LISTS_PER_INDEX_RUN, store_lists_of
from paperfeed.search.ann import ANN_MIN_VECTORS
from paperfeed.search.vectors import VectorStore

# Vectors are saved after this many new embeddings, so an interrupted run keeps most of its work.
SAVE_EVERY = 5_000
# A paper change is *settled* once it is this old. Every write takes its updated_at inside its own
# short transaction (one batch), but two writers on PostgreSQL, or two processes on SQLite, can
# commit out of order: a change stamped 12:00:01 may become visible after one stamped 12:00:03.
# A cursor moved past 12:00:03 would skip it for ever. So the cursor moves only over settled
# changes; newer ones are indexed at once and remembered (``*_recent``), so that the next round
# neither skips a late one nor indexes the same ones again.
SETTLE_S = 120

Progress = Callable[[str, int, int], None]  # (stage, done, total)
PrecomputedVectors = dict[tuple[str, str], np.ndarray]  # (paper id, text hash) -> vector


@dataclass(slots=True)
class IndexReport:
    """What an index update did."""

    indexed: int
    rebuilt: bool
    total: int
    embedded: int = 0
    reused: int = 0
    vectors: int = 0
    vector_backlog: int = 0  # papers left unembedded because there were more than max_embeddings
    graph: str = "none"  # the HNSW graph: none (small corpus), current, updated or built
    embedder: str | None = None  # the embedding model's name, when vectors were updated
    # The last LISTS_PER_INDEX_RUN papers this run embedded into the live vectors, and how many of
    # their similar-paper lists were then stored (paperfeed.search.similar). Precomputed vectors
    # are not counted: they take no time to add, and storing lists for the whole bundled sample
    # would make the demo's first start five times as long (3 s to 14 s); those come on first view.
    embedded_ids: list[str] = field(default_factory=list, repr=False)
    similar_lists: int = 0

    def summary(self, *, changed: int | None = None, by: str = "this ingest") -> str:
        """One line on the keyword index: how many papers were indexed and how many it holds, said
        apart. With ``changed`` (the papers ``by`` added or updated), the papers indexed are split
        into those and the others the index was behind on, so nobody reads the index's total as
        what their file added."""
        done = "rebuilt" if self.rebuilt else "updated"
        in_all = f"it holds {counted(self.total, 'paper')} in all"
        if changed is None:
            return f"search index {done}: {counted(self.indexed, 'paper')} indexed; {in_all}"
        if not self.indexed:
            return f"search index up to date; {in_all}"
        mine = min(changed, self.indexed)
        older = self.indexed - mine
        if not older:
            return f"search index {done}: {counted(self.indexed, 'paper')} indexed, all from {by}; {in_all}"
        return (f"search index {done}: {counted(self.indexed, 'paper')} indexed, {mine:,} from {by} and "
                f"{older:,} older {'one' if older == 1 else 'ones'} it had not indexed yet; {in_all}")


def update_indexes(
    engine: sa.Engine, data_dir: Path, *, rebuild: bool = False, embedder: Embedder | None = None,
    precomputed: PrecomputedVectors | None = None, max_embeddings: int | None = None,
    on_progress: Progress | None = None, wait: bool = True, save_every: int = SAVE_EVERY,
) -> IndexReport:
    """Index the papers changed since the last update (all of them when rebuilding).

    With an ``embedder`` the vectors are updated too; ``precomputed`` vectors
    (e.g. the bundled sample's) are used instead of embedding when the text matches.
    With ``max_embeddings``, a larger backlog of texts to embed is left for later
    (``report.vector_backlog``) instead of blocking for hours. When another process is updating
    the same index, this waits for it, or with ``wait=False`` raises :class:`IndexBusy`.
    """
    directory = index_directory(data_dir)
    with _exclusive_update(directory, on_progress, wait=wait):
        state = IndexState.read(directory)
        report = _update_keyword_index(engine, directory, state, rebuild=rebuild, on_progress=on_progress)
        if embedder is not None:
            _update_vectors(engine, directory, state, embedder, report, rebuild=rebuild,
                            precomputed=precomputed or {}, max_embeddings=max_embeddings, on_progress=on_progress,
                            save_every=save_every)
        state.write(directory)
    return report


# A fetch, an ingest, `serve`, `demo` and the scheduler embed at most this many papers inline;
# a larger backlog is left to `paperfeed index` (progress and ETA) and to the index follower.
INLINE_EMBEDDINGS = 1_000


def refresh_indexes(
    engine: sa.Engine, settings, *, rebuild: bool = False, device: str = "cpu",
    max_embeddings: int | None = INLINE_EMBEDDINGS, on_progress: Progress | None = None,
) -> IndexReport:
    """Update the indexes of ``settings.data_dir`` with the embedder the settings name (none when
    semantic search is off). The bundled sample's precomputed vectors save embedding its papers,
    except when a rebuild asks for everything anew. ``report.embedder`` names the model used. Then the
    similar papers of the papers just embedded are stored (:func:`paperfeed.search.similar.store_lists_of`)."""
    from paperfeed.sample import precomputed_vectors
    from paperfeed.search.embedding_models import embedder_factory

    factory = embedder_factory(settings, device=device)
    embedder = factory() if factory else None
    precomputed = (precomputed_vectors(embedder.identity.name, embedder.identity.sha256)
                   if embedder and not rebuild else {})
    report = update_indexes(engine, settings.data_dir, rebuild=rebuild, embedder=embedder, precomputed=precomputed,
                            max_embeddings=max_embeddings, on_progress=on_progress)
    report.embedder = embedder.identity.name if embedder else None
    if embedder is not None and report.embedded_ids:
        search = SearchService(settings.data_dir, embedder_factory=lambda: embedder)
        report.similar_lists = store_lists_of(engine, search, report.embedded_ids, on_progress=on_progress)
    return report


class IndexBusy(Exception):
    """Another process is updating this index right now."""


@contextmanager
def _exclusive_update(directory: Path, on_progress: Progress | None, *, wait: bool = True) -> Iterator[None]:
    """One updater at a time per index directory (an ``ingest`` while ``serve`` starts, two
    workers): the second waits for the first, then finds little or nothing left to do."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "update.lock", "w") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise IndexBusy(str(directory)) from None
            if on_progress:
                on_progress("waiting for another process updating the index", 0, 0)
            fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _update_keyword_index(
    engine: sa.Engine, directory: Path, state: IndexState, *, rebuild: bool, on_progress: Progress | None
) -> IndexReport:
    """Bring the keyword index up to date. A rebuild (asked for, a new schema, an index that does not
    hold what the database does, or one interrupted before) is built in a folder beside the live
    index, which searches keep using, with its progress in ``state.json``; it is swapped in at the end
    by one atomic write of ``state.json``."""
    if not rebuild and state.rebuild_dir is None and state.keyword_schema == keyword.SCHEMA_VERSION:
        live = KeywordIndex(directory / state.keyword_dir)
        done = _index_changes(engine, live, state, "indexed_until", on_progress)
        state.papers = live.count()
        if _holds_every_paper(engine, live, state):
            return IndexReport(indexed=done, rebuilt=False, total=state.papers)
        rebuild = True  # the index lost papers (a crash, a copy): build it again beside
    if state.rebuild_dir is None or not (directory / state.rebuild_dir).is_dir():
        state.rebuild_dir, state.rebuild_until, state.rebuild_until_id = f"keyword-{uuid.uuid4().hex[:8]}", None, ""
        state.rebuild_recent = []
        KeywordIndex.recreate(directory / state.rebuild_dir)
        state.write(directory)
    fresh = KeywordIndex(directory / state.rebuild_dir)
    done = _index_changes(engine, fresh, state, "rebuild_until", on_progress, checkpoint=directory)
    old = state.keyword_dir
    state.keyword_dir, state.rebuild_dir = state.rebuild_dir, None
    state.indexed_until, state.indexed_until_id = state.rebuild_until, state.rebuild_until_id
    state.indexed_recent, state.rebuild_recent = state.rebuild_recent, []
    state.rebuild_until, state.rebuild_until_id = None, ""
    state.keyword_schema, state.papers = keyword.SCHEMA_VERSION, fresh.count()
    state.write(directory)  # the swap: readers open the new folder when they see this
    if old != state.keyword_dir:
        shutil.rmtree(directory / old, ignore_errors=True)  # open readers keep their files (POSIX)
    return IndexReport(indexed=done, rebuilt=True, total=state.papers)


def _index_changes(engine: sa.Engine, index: KeywordIndex, state: IndexState, field: str,
                   on_progress: Progress | None, *, checkpoint: Path | None = None) -> int:
    """Index the papers changed after the cursor ``state.<field>`` (and ``<field>_id``) that are not
    among ``<field>_recent``, moving the cursor on over settled changes (see :data:`SETTLE_S`),
    batch by batch; with ``checkpoint``, ``state.json`` is written after each batch."""
    done, horizon = 0, _settled_horizon()
    recent_field = field.replace("_until", "_recent")
    known, recent = set(getattr(state, recent_field)), []
    for batch, total in _changed_papers(engine, _cursor(state, field)):
        fresh = [row for row in batch if _change_key(row) not in known]
        index.upsert(_keyword_document(row) for row in fresh)
        done += len(fresh)
        settled = [row for row in batch if row["updated_at"] <= horizon]  # a prefix: (updated_at, id) order
        if settled:
            _set_cursor(state, field, settled[-1])
        recent += [_change_key(row) for row in batch[len(settled):]]
        setattr(state, recent_field, recent)
        if checkpoint is not None:
            state.write(checkpoint)
        if on_progress:
            on_progress("keyword index", done, total)
    setattr(state, recent_field, recent)
    return done


def _settled_horizon() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=SETTLE_S)


def _change_key(row: dict) -> str:
    return f"{row['id']} {row['updated_at'].isoformat()}"


def _holds_every_paper(engine: sa.Engine, index: KeywordIndex, state: IndexState) -> bool:
    """Whether the index holds as many papers as the database has up to its cursor (papers are
    never removed, so fewer means lost documents, e.g. an index copied mid-write)."""
    with engine.connect() as connection:
        expected = papers_repo.count_papers(connection) - papers_repo.count_papers_changed_since(
            connection, _cursor(state, "indexed_until")) + len(state.indexed_recent)
    return index.count() == expected


def _update_vectors(
    engine: sa.Engine, directory: Path, state: IndexState, embedder: Embedder, report: IndexReport, *,
    rebuild: bool, precomputed: PrecomputedVectors, max_embeddings: int | None, on_progress: Progress | None,
    save_every: int = SAVE_EVERY,
) -> None:
    same_model = (state.vector_model, state.vector_sha256) == (embedder.identity.name, embedder.identity.sha256)
    live = VectorStore(directory / state.vectors_dir, embedder.identity)
    # A rebuild or a new model is built beside the live vectors, which searches keep using until
    # the swap; a first build (nothing live to keep) is built in place.
    beside = state.vectors_rebuild_dir is not None or ((rebuild or not same_model) and len(live) > 0)
    if beside and (state.vectors_rebuild_dir is None or not (directory / state.vectors_rebuild_dir).is_dir()):
        state.vectors_rebuild_dir = f"vectors-{uuid.uuid4().hex[:8]}"
        (directory / state.vectors_rebuild_dir).mkdir(parents=True)
        state.write(directory)
    store = VectorStore(directory / state.vectors_rebuild_dir, embedder.identity) if beside else live
    if rebuild and not beside:
        store.clear()
    if beside or rebuild or not same_model or not len(store):
        # Until this run completes, the vectors are incomplete: a run that stops (killed, a backlog
        # left) leaves no cursor, so the next one checks every paper again and embeds only what is
        # missing (a paper whose text hash is stored is skipped), instead of believing it is done.
        _set_cursor(state, "vectors_until", None)
    since = _cursor(state, "vectors_until")
    pending, newest = _apply_precomputed(engine, store, since, precomputed, report)
    if max_embeddings is not None and len(pending) > max_embeddings:
        # Too many to embed now (a bulk load): keep what was reused, leave the rest to `paperfeed index`.
        report.vector_backlog = len(pending)
        if beside:
            store.save()  # the live vectors stay until the rebuild is complete
            report.vectors, report.embedded_ids = len(live), []
            return
        _save_vectors(store, state, since)
        report.vectors, report.graph = len(store), _update_graph(store, on_progress)
        return
    unsaved, chunk_size = 0, getattr(embedder, "chunk_size", 256)
    for start in range(0, len(pending), chunk_size):
        chunk = pending[start : start + chunk_size]
        with engine.connect() as connection:
            papers = papers_repo.get_papers(connection, [paper_id for paper_id, _ in chunk])
        chunk = [(paper_id, text_hash) for paper_id, text_hash in chunk if paper_id in papers]
        texts = [embedding_text(papers[paper_id].title, papers[paper_id].abstract) for paper_id, _ in chunk]
        store.upsert([paper_id for paper_id, _ in chunk], [h for _, h in chunk], embedder.embed_documents(texts))
        report.embedded += len(chunk)
        _note_vectors(report, [paper_id for paper_id, _ in chunk])
        unsaved += len(chunk)
        if unsaved >= save_every:
            if beside:
                store.save()
            else:
                _save_vectors(store, state, since)
                state.write(directory)
            unsaved = 0
        if on_progress:
            on_progress("embedding", start + len(chunk), len(pending))
    _save_vectors(store, state, newest or since)
    report.vectors, report.graph = len(store), _update_graph(store, on_progress)
    if beside:
        old, state.vectors_dir, state.vectors_rebuild_dir = state.vectors_dir, state.vectors_rebuild_dir, None
        state.write(directory)  # the swap: readers load the new folder when they see this
        shutil.rmtree(directory / old, ignore_errors=True)  # open readers keep their files (POSIX)


def _update_graph(store: VectorStore, on_progress: Progress | None) -> str:
    """The HNSW graph for large stores (see :mod:`paperfeed.search.ann`); minutes at a million papers."""
    if on_progress and len(store) >= ANN_MIN_VECTORS:
        on_progress("similarity graph", 0, 1)
    outcome = store.update_graph()
    if on_progress and len(store) >= ANN_MIN_VECTORS:
        on_progress("similarity graph", 1, 1)
    return outcome


def _apply_precomputed(
    engine: sa.Engine, store: VectorStore, since: papers_repo.ChangeCursor | None, precomputed: PrecomputedVectors,
    report: IndexReport,
) -> tuple[list[tuple[str, str]], papers_repo.ChangeCursor | None]:
    """Take precomputed vectors where the text matches; return ``(paper id, text hash)`` still to embed,
    and the newest change seen."""
    pending: list[tuple[str, str]] = []
    newest, horizon = since, _settled_horizon()
    for batch, _total in _changed_papers(engine, since):
        reused: list[tuple[str, str]] = []
        for row in batch:
            text_hash_now = text_hash(embedding_text(row["title"], row["abstract"] or ""))
            if store.text_hash_of(row["id"]) == text_hash_now:
                continue
            found = (row["id"], text_hash_now) in precomputed
            (reused if found else pending).append((row["id"], text_hash_now))
        if reused:
            store.upsert([i for i, _ in reused], [h for _, h in reused], np.array([precomputed[key] for key in reused]))
            report.reused += len(reused)
        settled = [row for row in batch if row["updated_at"] <= horizon]
        if settled:  # the cursor stops before unsettled changes: they are read again, and skipped by hash
            newest = (settled[-1]["updated_at"], settled[-1]["id"])
    return pending, newest


def _note_vectors(report: IndexReport, paper_ids: list[str]) -> None:
    """Remember these papers as embedded now (the last LISTS_PER_INDEX_RUN: a bulk load's newest)."""
    report.embedded_ids = (report.embedded_ids + paper_ids)[-LISTS_PER_INDEX_RUN:]


def _save_vectors(store: VectorStore, state: IndexState, until: papers_repo.ChangeCursor | None) -> None:
    store.save()
    state.vector_model, state.vector_sha256 = store.model.name, store.model.sha256
    _set_cursor(state, "vectors_until", {"updated_at": until[0], "id": until[1]} if until else None)
    state.vectors = len(store)


def _changed_papers(engine: sa.Engine, since: papers_repo.ChangeCursor | None) -> Iterator[tuple[list[dict], int]]:
    with engine.connect() as connection:
        total = papers_repo.count_papers_changed_since(connection, since)
        for batch in papers_repo.papers_changed_since(connection, since):
            yield batch, total


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _cursor(state: IndexState, field: str) -> papers_repo.ChangeCursor | None:
    moment = _parse_time(getattr(state, field))
    return (moment, getattr(state, f"{field}_id")) if moment else None


def _set_cursor(state: IndexState, field: str, row: dict | None) -> None:
    setattr(state, field, row["updated_at"].isoformat() if row else None)
    setattr(state, f"{field}_id", row["id"] if row else "")


def _keyword_document(row: dict) -> KeywordDocument:
    return KeywordDocument(row["id"], row["title"], row["abstract"] or "", tuple(row["categories"] or ()),
                           row["published_on"], tuple(row.get("authors") or ()))
