"""Similar papers are stored: a paper page shows the list SearchService.similar finds, computed once
(by the indexer or on the first view) and again only when the index has grown; several nodes on one
database share the lists."""

import re
import threading
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from paperfeed.db import similar as similar_repo
from paperfeed.db import papers as papers_repo
from paperfeed.db.engine import create_engine, migrate, write_transaction
from paperfeed.ingest.files import ingest_files
from paperfeed.search.embedding_models import load_embedder
from paperfeed.search.indexer import update_indexes
from paperfeed.search.service import SearchService
from paperfeed.search.similar import LIST_LENGTH
from tests.conftest import make_client, write_jsonl
from tests.integration.test_cli import run_cli

PAPERS = [
    {"id": "2401.20001", "title": "Recycling rejected draft tokens to speed up speculative decoding",
     "abstract": "Speculative decoding drafts tokens with a small model and verifies them with a large one. "
                 "We reuse the tokens the verifier rejects as candidates for later positions.",
     "date": "2024-01-10", "categories": ["cs.CL"]},
    {"id": "2401.20002", "title": "Faster inference for large language models with draft models",
     "abstract": "A small draft network proposes continuations that the large language model checks in parallel.",
     "date": "2024-01-11", "categories": ["cs.CL"]},
    {"id": "2401.20003", "title": "Protein structure prediction with geometric deep learning",
     "abstract": "We predict three-dimensional protein folds from amino acid sequences.",
     "date": "2024-01-12", "categories": ["q-bio.BM"]},
    {"id": "2401.20004", "title": "Coral reef monitoring from satellite images",
     "abstract": "Remote sensing of reef health with convolutional networks.",
     "date": "2024-01-12", "categories": ["cs.CV"]},
]
LATER = [  # ingested after the first index run: the first one is what 2401.20001 is about
    {"id": "2401.20005", "title": "Speculative decoding with a draft model: verifying draft tokens in parallel",
     "abstract": "Draft tokens proposed by a small model are verified by the large language model; rejected "
                 "draft tokens are reused in speculative decoding.",
     "date": "2024-01-13", "categories": ["cs.CL"]},
    {"id": "2401.20006", "title": "Weather forecasting with graph neural networks",
     "abstract": "Medium-range global weather forecasts from a learned simulator.",
     "date": "2024-01-13", "categories": ["physics.ao-ph"]},
]
PAPER = PAPERS[0]["id"]


@pytest.fixture(scope="module")
def embedder():
    return load_embedder()


def node(engine, data_dir):
    """A web node over ``data_dir``'s index. Its page cache is off, so that every view reaches the
    paper page's handler: a cached page would hide whether the list was computed again."""
    return make_client(engine, data_dir, page_cache_mb=0)


def shown_similar(client, paper_id: str) -> list[str]:
    """The ids the paper page links under "Similar papers", in order."""
    response = client.get(f"/papers/{paper_id}")
    assert response.status_code == 200
    section = response.text.split('<section class="similar">', 1)[1].split("</section>", 1)[0]
    return re.findall(r'href="/papers/([^"]+)"', section)


def stored(engine, paper_id: str) -> similar_repo.StoredList | None:
    with engine.connect() as connection:
        return similar_repo.stored_list(connection, paper_id)


def direct_similar(engine, data_dir, embedder, paper_id: str) -> list[str]:
    """What SearchService.similar finds itself, over the same index."""
    service = SearchService(data_dir, embedder_factory=lambda: embedder)
    with engine.connect() as connection:
        paper = papers_repo.get_paper(connection, paper_id)
        return [other.id for other in service.similar(connection, paper, limit=LIST_LENGTH)]


@pytest.fixture
def indexed(engine, tmp_path, embedder):
    """The four papers, indexed with vectors by the library (no lists stored yet)."""
    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", PAPERS)])
    report = update_indexes(engine, tmp_path, embedder=embedder)
    assert report.vectors == 4
    return tmp_path


def test_the_page_shows_what_search_finds_and_a_second_view_reads_it_stored(engine, indexed, embedder):
    client = node(engine, indexed)
    assert stored(engine, PAPER) is None
    shown = shown_similar(client, PAPER)
    assert shown == direct_similar(engine, indexed, embedder, PAPER)
    assert shown[0] == "2401.20002" and PAPER not in shown
    first = stored(engine, PAPER)
    assert list(first.similar_ids) == shown and first.index_stamp == 4
    search = client.app.state.search
    assert search.similar_computed == 1
    assert shown_similar(client, PAPER) == shown  # the second view: read, not computed
    assert search.similar_computed == 1
    assert stored(engine, PAPER) == first  # computed_at too


def test_paperfeed_index_stores_lists_and_a_stale_one_is_recomputed_on_its_next_view(
        engine, database_url, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", PAPERS)])
    said = run_cli("index", data_dir=tmp_path, database_url=database_url, check_rc=0).stderr
    assert "similar papers stored for 4 papers just embedded" in " ".join(said.split())
    assert {paper["id"]: stored(engine, paper["id"]).index_stamp for paper in PAPERS} == {
        paper["id"]: 4 for paper in PAPERS}
    client = node(engine, tmp_path)
    before = stored(engine, PAPER)
    assert shown_similar(client, PAPER) == list(before.similar_ids)
    assert client.app.state.search.similar_computed == 0  # the indexer computed it: the first visitor did not

    ingest_files(engine, [write_jsonl(tmp_path / "later.jsonl", LATER)])
    said = run_cli("index", data_dir=tmp_path, database_url=database_url, check_rc=0).stderr
    assert "similar papers stored for 2 papers just embedded" in " ".join(said.split())
    assert [stored(engine, paper["id"]).index_stamp for paper in LATER] == [6, 6]  # fresh
    assert stored(engine, PAPER) == before  # not embedded again: its list waits for a view
    shown = shown_similar(client, PAPER)
    after = stored(engine, PAPER)
    assert client.app.state.search.similar_computed == 1
    assert (after.index_stamp, list(after.similar_ids)) == (6, shown)
    assert after.computed_at > before.computed_at
    assert shown[0] == "2401.20005"  # the new paper on speculative decoding is the nearest now
    assert shown_similar(client, PAPER) == shown and client.app.state.search.similar_computed == 1


def test_the_index_follower_stores_the_lists_of_the_papers_it_embedded(engine, tmp_path):
    client = make_client(engine, tmp_path, index_refresh_s=0.2, page_cache_mb=0)
    with client:  # entering runs the app's lifespan: its index follower starts
        ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", PAPERS)])  # written by another node
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(stored(engine, paper["id"]) is None for paper in PAPERS):
            time.sleep(0.2)
        assert [stored(engine, paper["id"]).index_stamp for paper in PAPERS] == [4, 4, 4, 4]
        computed = client.app.state.search.similar_computed
        assert computed == 4  # by the follower, with the web process's own search service
        assert shown_similar(client, PAPER) == list(stored(engine, PAPER).similar_ids)
        assert client.app.state.search.similar_computed == computed


def test_a_node_behind_serves_the_lists_of_a_node_ahead_and_neither_recomputes_the_others(
        engine, tmp_path, embedder):
    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", PAPERS)])
    update_indexes(engine, tmp_path / "behind", embedder=embedder)
    ingest_files(engine, [write_jsonl(tmp_path / "later.jsonl", LATER)])
    update_indexes(engine, tmp_path / "ahead", embedder=embedder)
    ahead, behind = node(engine, tmp_path / "ahead"), node(engine, tmp_path / "behind")
    shown = shown_similar(ahead, PAPER)
    assert stored(engine, PAPER).index_stamp == 6
    for _ in range(3):
        assert shown_similar(behind, PAPER) == shown  # its index has 4 vectors: the list of 6 is newer
        assert shown_similar(ahead, PAPER) == shown
    assert (ahead.app.state.search.similar_computed, behind.app.state.search.similar_computed) == (1, 0)
    update_indexes(engine, tmp_path / "behind", embedder=embedder)  # it catches up: 6 vectors
    assert shown_similar(behind, PAPER) == shown
    assert behind.app.state.search.similar_computed == 0


def test_without_vectors_nothing_is_stored_and_lists_come_with_them(engine, tmp_path, embedder):
    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", PAPERS)])
    update_indexes(engine, tmp_path)  # the keyword index only
    client = node(engine, tmp_path)
    page = client.get(f"/papers/{PAPER}").text
    assert "Similar papers appear once the search index has vectors" in page
    assert stored(engine, PAPER) is None
    update_indexes(engine, tmp_path, embedder=embedder)
    assert shown_similar(client, PAPER)[0] == "2401.20002"
    assert stored(engine, PAPER).index_stamp == 4


def test_a_stored_list_never_shows_a_paper_that_is_gone(engine, indexed):
    client = node(engine, indexed)
    shown = shown_similar(client, PAPER)
    assert "2401.20002" in shown
    with write_transaction(engine) as connection:  # an administrator removes a paper by hand
        connection.execute(sa.text("DELETE FROM papers WHERE id = '2401.20002'"))
    assert shown_similar(client, PAPER) == [paper_id for paper_id in shown if paper_id != "2401.20002"]
    assert client.get("/papers/2401.20002").status_code == 404
    with write_transaction(engine) as connection:
        connection.execute(sa.text(f"DELETE FROM papers WHERE id = '{PAPER}'"))
    assert stored(engine, PAPER) is None  # its own list went with it


@pytest.mark.postgres
def test_two_nodes_storing_the_same_papers_at_once_do_not_fail(postgres_url, tmp_path, embedder):
    engines = [create_engine(postgres_url) for _ in range(2)]  # two nodes: their own pools and data dirs
    migrate(engines[0])
    ingest_files(engines[0], [write_jsonl(tmp_path / "papers.jsonl", PAPERS + LATER)])
    for name in "ab":
        update_indexes(engines[0], tmp_path / name, embedder=embedder)
    nodes = [node(node_engine, tmp_path / name) for node_engine, name in zip(engines, "ab", strict=True)]
    ids = [paper["id"] for paper in PAPERS + LATER]
    expected = {paper_id: direct_similar(engines[0], tmp_path / "a", embedder, paper_id) for paper_id in ids}
    start, shown, errors = threading.Barrier(4), {}, []

    def view(node, worker):
        try:
            start.wait()
            for paper_id in ids:  # every pair of requests for a paper races to store its list
                shown[worker, paper_id] = shown_similar(node, paper_id)
        except Exception as error:  # collected and asserted below
            errors.append(error)

    _all_at_once([threading.Thread(target=view, args=(nodes[worker % 2], worker)) for worker in range(4)])
    assert errors == []
    assert all(shown[worker, paper_id] == expected[paper_id] for worker in range(4) for paper_id in ids)
    assert {paper_id: list(stored(engines[0], paper_id).similar_ids) for paper_id in ids} == expected

    lists = [["2401.20002", "2401.20003", "2401.20004"], ["2401.20005"]]  # of two lengths: rows to delete

    def replace(node_engine, round_number):
        try:
            for _ in range(25):
                with write_transaction(node_engine) as connection:
                    similar_repo.replace_list(connection, PAPER, lists[round_number % 2], index_stamp=6,
                                              computed_at=datetime.now(UTC))
        except Exception as error:  # collected and asserted below
            errors.append(error)

    _all_at_once([threading.Thread(target=replace, args=(engines[n % 2], n)) for n in range(4)])
    assert errors == []
    assert list(stored(engines[0], PAPER).similar_ids) in lists
    for node_engine in engines:
        node_engine.dispose()


def _all_at_once(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
