"""Several web nodes on one database: each keeps its own search index and follows the papers that
another node (or a worker) writes, so search everywhere finds them soon after the ingest."""

import time

from paperfeed.ingest.files import ingest_files
from tests.conftest import FIXED_NOW, make_client, write_jsonl


def found(client, query):
    return [item["paper"]["id"] for item in client.get("/api/papers/search", params={"q": query}).json()]


def test_every_node_finds_papers_another_node_ingested(engine, tmp_path):
    nodes = [make_client(engine, tmp_path / name, index_refresh_s=0.2, semantic_search=False) for name in "ab"]
    with nodes[0], nodes[1]:  # entering runs each app's lifespan: its index follower starts
        ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", [
            {"id": "2608.00077", "title": "Tokenizer-free retrieval for scientific search",
             "date": FIXED_NOW.date().isoformat(), "listed": True}])])  # written by a third node
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(found(node, "tokenizer-free retrieval") for node in nodes):
            time.sleep(0.2)
        assert all(found(node, "tokenizer-free retrieval") == ["2608.00077"] for node in nodes)
        assert all("1 paper indexed" in node.get("/readyz").json()["search"] for node in nodes)
