"""Issue 14, item 3: a query that matches nothing says so. Keyword hits always count; a paper
found by meaning alone must clear the relevance floor (chosen in bench/relevance_floor.py)."""

import pytest

from paperfeed.ingest.files import ingest_files
from paperfeed.search.indexer import update_indexes
from tests.conftest import write_jsonl
from tests.integration.test_semantic_search import PAPERS


@pytest.fixture
def hybrid(client, engine, tmp_path):
    from paperfeed.search.embedding_models import load_embedder

    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", PAPERS)])
    assert update_indexes(engine, tmp_path, embedder=load_embedder()).vectors == len(PAPERS)
    return client


@pytest.mark.parametrize("q", ["qwxzvbnm", "zzkqv plorth", "blarghonk zibber"])
def test_nonsense_finds_nothing_and_says_so(hybrid, q):
    page = hybrid.get("/search", params={"q": q}).text
    assert f"No papers match “{q}”" in page and 'class="card"' not in page
    assert hybrid.get("/api/papers/search", params={"q": q}).json() == []


def test_papers_near_in_meaning_count_and_the_others_do_not(hybrid):
    # "speculative decoding" is a keyword hit on two papers; the protein and reef papers have
    # neither word and are far in meaning (cosine 0.14 and 0.05): they are not listed.
    items = hybrid.get("/api/papers/search", params={"q": "speculative decoding"}).json()
    assert [item["paper"]["id"] for item in items][:1] == ["2401.10001"]
    assert not {"2401.10003", "2401.10004"} & {item["paper"]["id"] for item in items}
