"""The HNSW graph over the vectors: built above a size, updated incrementally, and never used
when it is stale (the store scans exactly instead of answering from an outdated graph)."""

import numpy as np
import pytest

from paperfeed.search import ann, vectors
from paperfeed.search.vectors import ModelIdentity, VectorStore

MODEL = ModelIdentity("test-model", "0" * 64, 32)


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch):
    monkeypatch.setattr(vectors, "ANN_MIN_VECTORS", 500)


def unit_rows(rng, count):
    matrix = rng.standard_normal((count, MODEL.dimension)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def fill(store, rng, count, start=0):
    ids = [f"p{i}" for i in range(start, start + count)]
    store.upsert(ids, ["h"] * count, unit_rows(rng, count))
    store.save()


def recall_at_10(store, rng, queries=50):
    found = 0
    for query in unit_rows(rng, queries):
        approximate = {paper_id for paper_id, _ in store.nearest(query, limit=10)}
        exact = {paper_id for paper_id, _ in store.nearest_exact(query, limit=10)}
        found += len(approximate & exact)
    return found / (10 * queries)


def test_small_stores_have_no_graph(tmp_path):
    store = VectorStore(tmp_path, MODEL)
    fill(store, np.random.default_rng(0), 100)
    assert store.update_graph() == "none" and not (tmp_path / ann.GRAPH_FILE).exists()
    assert VectorStore(tmp_path, MODEL, writable=False).graph is None


def test_graph_is_built_updated_and_used_by_readers(tmp_path):
    rng = np.random.default_rng(1)
    store = VectorStore(tmp_path, MODEL)
    fill(store, rng, 1_000)
    assert store.update_graph() == "built"
    assert store.update_graph() == "current"

    reader = VectorStore(tmp_path, MODEL, writable=False)
    assert reader.graph is not None and reader.matrix.dtype == np.float16  # memory-mapped
    assert recall_at_10(reader, rng) >= 0.95
    # The paper itself is its own nearest neighbour, and exclusion removes it.
    assert reader.nearest(reader.vector_of("p7"), limit=1)[0][0] == "p7"
    assert "p7" not in {i for i, _ in reader.nearest(reader.vector_of("p7"), limit=5, exclude=frozenset({"p7"}))}

    # New papers and a changed vector: the graph is updated, not rebuilt, and finds both.
    writer = VectorStore(tmp_path, MODEL)
    fill(writer, rng, 200, start=1_000)
    moved = unit_rows(rng, 1)
    writer.upsert(["p3"], ["h2"], moved)
    writer.save()
    assert writer.update_graph() == "updated"
    reader = VectorStore(tmp_path, MODEL, writable=False)
    assert len(reader.graph) == 1_200
    assert reader.nearest(moved[0], limit=1)[0][0] == "p3"
    assert reader.nearest(reader.vector_of("p1100"), limit=1)[0][0] == "p1100"


def test_a_stale_graph_is_ignored(tmp_path):
    rng = np.random.default_rng(2)
    store = VectorStore(tmp_path, MODEL)
    fill(store, rng, 800)
    store.update_graph()
    moved = unit_rows(rng, 1)
    store.upsert(["p5"], ["h2"], moved)
    store.save()  # the vectors changed; the graph was not updated (an interrupted `paperfeed index`)
    reader = VectorStore(tmp_path, MODEL, writable=False)
    assert reader.graph is None
    assert reader.nearest(moved[0], limit=1)[0][0] == "p5"  # exact scan: right, if slower


def test_a_process_can_build_a_graph_then_embed(tmp_path):
    """Regression: loading onnxruntime after usearch's extension crashed the process."""
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        "from paperfeed.search.ann import AnnIndex\n"
        "AnnIndex.build(np.eye(8, 384, dtype=np.float32))\n"
        "from paperfeed.search.embedding_models import load_embedder\n"
        "print(load_embedder().embed_documents(['graph then embedding']).shape)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "(1, 384)" in result.stdout, result.stderr
