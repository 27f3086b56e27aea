"""Issue 13, faults 13: a tantivy panic never reaches a visitor.

The panic seen (``bm25.rs:53 "13792 >= 13937"`` on paper pages while an ingest
committed) came from tantivy's own More Like This: it counts live papers only,
while a word's document frequency still counts the replaced copies of updated
papers until a merge drops them. Similar papers now build that query themselves.
"""

import pytest
import tantivy

from paperfeed.ingest.files import ingest_files
from paperfeed.search.embedding_models import load_embedder
from paperfeed.search.indexer import update_indexes
from paperfeed.search.keyword import KeywordDocument, KeywordIndex, KeywordSearchFailed
from tests.conftest import write_jsonl

COUNT = 40


def papers(version: int) -> list[dict]:
    return [{"id": f"2402.{n:05d}", "date": "2024-02-10", "categories": ["cs.CL"],
             "title": f"The model of the language number {n}",
             "abstract": f"The model learns the language of the task {n}, revision {version}."}
            for n in range(COUNT)]


def test_paper_pages_show_similar_papers_after_papers_were_updated(client, engine, tmp_path, caplog):
    embedder = load_embedder()
    ingest_files(engine, [write_jsonl(tmp_path / "first.jsonl", papers(1))])
    update_indexes(engine, tmp_path, embedder=embedder)
    # An ingest that updates a quarter of the papers: the index replaces each one, and until
    # tantivy merges its segments, "the" counts 50 papers in an index of 40.
    ingest_files(engine, [write_jsonl(tmp_path / "second.jsonl", papers(2)[:10])])
    assert update_indexes(engine, tmp_path, embedder=embedder).indexed == 10

    answer = client.get("/papers/2402.00001")
    assert answer.status_code == 200  # was: a bare "Internal Server Error"
    similar = answer.text.split("Similar papers", 1)[1]
    assert similar.count('href="/papers/2402.') >= 5
    assert "panicked" not in caplog.text  # the keyword half answered: no retry, no fallback


def one_paper_index(tmp_path) -> KeywordIndex:
    index = KeywordIndex(tmp_path / "keyword")
    index.upsert([KeywordDocument("2402.00001", "Speculative decoding", "Draft tokens.", (), None)])
    return index


def panic_on(searcher) -> None:
    searcher.search(tantivy.Query.all_query(), 0)  # tantivy panics on a limit of 0


def test_a_panic_is_retried_once_on_a_fresh_searcher(tmp_path):
    index = one_paper_index(tmp_path)
    calls = []

    def run(searcher):
        calls.append(searcher)
        if len(calls) == 1:
            panic_on(searcher)
        return [("2402.00001", 1.0)]

    assert index._guarded(run) == [("2402.00001", 1.0)]
    assert len(calls) == 2


def test_a_panic_twice_is_an_ordinary_error_and_search_goes_on_without_keywords(tmp_path, caplog):
    index = one_paper_index(tmp_path)
    with pytest.raises(KeywordSearchFailed):
        index._guarded(panic_on)
    assert "the keyword index panicked (attempt 2)" in caplog.text
