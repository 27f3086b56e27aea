"""Issue 13, data 8 and 9: the search index never silently loses papers, and its cursor neither
repeats nor skips. On SQLite and PostgreSQL."""

import json

import pytest

from paperfeed.ingest.files import ingest_files
from paperfeed.search.indexer import IndexState, index_directory, update_indexes
from paperfeed.search.keyword import KeywordIndex
from paperfeed.search import SearchRequest, SearchService
from tests.conftest import make_client, write_jsonl

COUNT = 4_500  # more than two of the indexer's batches of 2,000


def papers(count: int, start: int = 0) -> list[dict]:
    return [{"id": f"2501.{n:05d}", "title": f"Distinct title number {n} about topic{n}", "date": "2025-01-15",
             "abstract": f"Abstract {n}."} for n in range(start, start + count)]


@pytest.fixture
def corpus(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", papers(COUNT))])
    return engine


def state_of(tmp_path) -> IndexState:
    return IndexState.read(index_directory(tmp_path))


def found(tmp_path, engine, title: str) -> bool:
    with engine.connect() as connection:
        hits = SearchService(tmp_path).search(connection, SearchRequest.from_parameters(q=title, page_size=3))
    return any(hit.paper.title == title for hit in hits.hits)


def test_a_second_update_indexes_nothing_and_ties_are_not_skipped(corpus, tmp_path):
    first = update_indexes(corpus, tmp_path)
    assert first.indexed == COUNT == first.total  # one ingest batch shares one updated_at: none skipped
    assert update_indexes(corpus, tmp_path).indexed == 0  # was: the last batch again, every round
    ingest_files(corpus, [write_jsonl(tmp_path / "more.jsonl", papers(3, start=COUNT))])
    again = update_indexes(corpus, tmp_path)
    assert (again.indexed, again.total) == (3, COUNT + 3)


class Interrupted(Exception):
    pass


def test_an_interrupted_rebuild_keeps_the_live_index_and_resumes(corpus, tmp_path):
    update_indexes(corpus, tmp_path)
    live_before = state_of(tmp_path).keyword_dir

    def stop_after_the_first_batch(stage, done, total):
        if stage == "keyword index" and done >= 2_000:
            raise Interrupted  # as a kill after the first checkpoint

    with pytest.raises(Interrupted):
        update_indexes(corpus, tmp_path, rebuild=True, on_progress=stop_after_the_first_batch)
    state = state_of(tmp_path)
    assert state.keyword_dir == live_before and state.rebuild_dir and state.papers == COUNT
    assert found(tmp_path, corpus, f"Distinct title number {COUNT - 1} about topic{COUNT - 1}")  # live: whole
    resumed = update_indexes(corpus, tmp_path)  # a plain `paperfeed index` finishes the rebuild
    assert resumed.rebuilt and resumed.indexed == COUNT - 2_000 and resumed.total == COUNT
    state = state_of(tmp_path)
    assert state.rebuild_dir is None and state.keyword_dir != live_before and state.papers == COUNT
    assert not (index_directory(tmp_path) / live_before).exists()
    assert found(tmp_path, corpus, "Distinct title number 7 about topic7")


def test_an_index_that_lost_papers_is_found_out_and_rebuilt(corpus, tmp_path):
    update_indexes(corpus, tmp_path)
    state = state_of(tmp_path)
    damaged = KeywordIndex(index_directory(tmp_path) / state.keyword_dir)
    writer = damaged.index.writer()
    for n in range(0, COUNT, 2):  # half the documents gone, state.json still "complete"
        writer.delete_documents_by_term("id", f"2501.{n:05d}")
    writer.commit()
    writer.wait_merging_threads()
    site = make_client(corpus, tmp_path)
    ready = site.get("/readyz")
    assert ready.status_code == 503 and f"holds {COUNT // 2:,} of {COUNT:,} papers" in ready.json()["search"]
    repaired = update_indexes(corpus, tmp_path)  # what `paperfeed index` and `serve` do at start
    assert repaired.rebuilt and repaired.total == COUNT
    assert site.get("/readyz").status_code == 200
    assert found(tmp_path, corpus, "Distinct title number 0 about topic0")
    assert json.loads((index_directory(tmp_path) / "state.json").read_text())["papers"] == COUNT


def test_an_interrupted_vector_rebuild_keeps_the_live_vectors_and_resumes(engine, tmp_path):
    from paperfeed.search.embedding_models import load_embedder
    from paperfeed.search.vectors import VectorStore

    embedder, count = load_embedder(), 700
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", papers(count))])
    assert update_indexes(engine, tmp_path, embedder=embedder).vectors == count
    live_before = state_of(tmp_path).vectors_dir

    def stop_after_the_second_checkpoint(stage, done, total):
        if stage == "embedding" and done >= 512:
            raise Interrupted  # as a kill: 512 vectors of the rebuild are saved, in its own folder

    with pytest.raises(Interrupted):
        update_indexes(engine, tmp_path, rebuild=True, embedder=embedder, save_every=256,
                       on_progress=stop_after_the_second_checkpoint)
    state = state_of(tmp_path)
    assert state.vectors_dir == live_before and state.vectors_rebuild_dir
    live = VectorStore(index_directory(tmp_path) / state.vectors_dir, embedder.identity, writable=False)
    assert len(live) == count  # was: 5,750 of 10,630 after a killed rebuild, and "0 embedded" after
    with engine.connect() as connection:
        response = SearchService(tmp_path, embedder_factory=lambda: embedder).search(
            connection, SearchRequest.from_parameters(q="topic12", page_size=3))
    assert response.notice is None  # searches keep their vectors meanwhile

    resumed = update_indexes(engine, tmp_path, embedder=embedder)  # a plain `paperfeed index` finishes it
    assert (resumed.embedded, resumed.vectors) == (count - 512, count)
    state = state_of(tmp_path)
    assert state.vectors_rebuild_dir is None and state.vectors_dir != live_before and state.vectors == count
    assert not (index_directory(tmp_path) / live_before).exists()
    assert update_indexes(engine, tmp_path, embedder=embedder).embedded == 0


def test_a_change_that_commits_after_a_later_one_is_not_skipped(engine, tmp_path):
    # Two writers: one stamps its batch at 12:00:01 and commits after the other's 12:00:03 batch
    # was indexed (PostgreSQL commits in any order). A cursor past 12:00:03 used to skip it.
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    ingest_files(engine, [write_jsonl(tmp_path / "later.jsonl", papers(3))], now=now - timedelta(seconds=3))
    assert update_indexes(engine, tmp_path).indexed == 3
    ingest_files(engine, [write_jsonl(tmp_path / "late.jsonl", papers(2, start=3))], now=now - timedelta(seconds=5))
    late = update_indexes(engine, tmp_path)
    assert (late.indexed, late.total) == (2, 5)
    assert found(tmp_path, engine, "Distinct title number 4 about topic4")
    assert update_indexes(engine, tmp_path).indexed == 0  # and nothing is indexed twice
    old = datetime(2026, 1, 1, tzinfo=UTC)  # settled changes move the cursor on, as before
    ingest_files(engine, [write_jsonl(tmp_path / "old.jsonl", papers(1, start=5))], now=old)
    assert update_indexes(engine, tmp_path).indexed == 1
    assert state_of(tmp_path).indexed_until is None or state_of(tmp_path).indexed_until < now.isoformat()
