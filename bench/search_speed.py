"""Hybrid search latency through paperfeed's SearchService (query embedding included).

At 10k papers: the bundled sample (10,630 real papers with their shipped
vectors), loaded into a temporary data directory exactly as `paperfeed demo`
does; exact vector scan (below the HNSW graph's threshold). 264k and 1M papers:
bench/search_speed_large.py.

    .venv/bin/python bench/search_speed.py [--write-doc]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

from paperfeed.db.engine import create_engine, migrate  # noqa: E402
from paperfeed.sample import SAMPLE_PATH, precomputed_vectors  # noqa: E402
from paperfeed.ingest.files import ingest_files  # noqa: E402
from paperfeed.search.embedding_models import load_embedder  # noqa: E402
from paperfeed.search.indexer import update_indexes  # noqa: E402
from paperfeed.search.service import SearchService  # noqa: E402

QUERIES = [
    "reuse rejected draft tokens for speculative decoding", "diffusion models for video generation",
    "reinforcement learning from human feedback reward hacking", "mixture of experts routing load balancing",
    "long context retrieval benchmark", "vision language model hallucination", "protein structure prediction",
    "efficient attention kernels on GPUs", "multilingual speech recognition", "agents that use tools and browse the web",
]


def main(argv: Sequence[str] | None = None) -> None:
    # Here, not at the top: bench/search_speed_large.py --baseline imports QUERIES from this file
    # with the code of an older commit, which has no SearchRequest.
    from paperfeed.search import SearchRequest

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=30, help="times each query is run (default 30)")
    parser.add_argument("--write-doc", action="store_true", help="replace this section of docs/benchmarks.md")
    arguments = parser.parse_args(argv)
    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        engine = create_engine(f"sqlite:///{data_dir / 'paperfeed.db'}")
        migrate(engine)
        ingest_files(engine, [SAMPLE_PATH])
        started = time.perf_counter()
        update_indexes(engine, data_dir, embedder=embedder,
                       precomputed=precomputed_vectors(embedder.identity.name, embedder.identity.sha256))
        build_seconds = time.perf_counter() - started
        service = SearchService(data_dir, embedder_factory=lambda: embedder)
        timings = {"hybrid (embedding + keyword + vectors + fusion + rows)": [], "query embedding alone": []}
        with engine.connect() as connection:
            for _ in range(3):  # warm-up
                service.search(connection, SearchRequest.from_parameters(q=QUERIES[0], page_size=20))
            for _ in range(arguments.rounds):
                for text in QUERIES:
                    query = SearchRequest.from_parameters(q=text, page_size=20)
                    began = time.perf_counter()
                    response = service.search(connection, query)
                    timings["hybrid (embedding + keyword + vectors + fusion + rows)"].append(time.perf_counter() - began)
                    assert response.notice is None and response.hits
                    began = time.perf_counter()
                    embedder.embed_query(text)
                    timings["query embedding alone"].append(time.perf_counter() - began)
        index_bytes = sum(path.stat().st_size for path in (data_dir / "index").rglob("*") if path.is_file())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [[name, f"{benchlib.median(values) * 1e3:.1f}", f"{benchlib.percentile(values, 0.99) * 1e3:.1f}"]
            for name, values in timings.items()]
    section = "\n\n".join([
        f"### Search latency, 10,630 papers (the bundled sample)\n\n`{benchlib.shown_command('bench/search_speed.py', argv)}`",
        f"Machine: {benchlib.machine_line()}",
        f"{len(QUERIES)} queries × {arguments.rounds} rounds, top 20, in process, SQLite. Index build with the "
        f"shipped vectors: {build_seconds:.1f} s; index size on disk {index_bytes / 2**20:.1f} MiB; peak RSS "
        f"{peak_mib:.0f} MiB. 264k and 1M papers: the next two sections.",
        benchlib.markdown_table(["part", "median ms", "p99 ms"], rows),
    ])
    print(section)
    if arguments.write_doc:
        benchlib.write_doc_section("search-speed", section)


if __name__ == "__main__":
    main()
