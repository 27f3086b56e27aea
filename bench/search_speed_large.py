"""Search latency, memory and index build at 264k and 1M papers; HNSW graph against exact scan.

Papers: the three real corpora (259,559 distinct papers). ``--scale 1m`` adds
three replicas of each paper with new ids (``<id>~1`` .. ``<id>~3``; 1.04M
papers in all): replicated data, said so in the output. Vectors: the real
all-MiniLM-L6-v2 vectors of every corpus paper made by ``bench/gpu_embed.py``
on the GPU machine (CPU embedding of 264k abstracts takes hours on 2 cores),
stored int8 in ``bench/results/gpu/part*/v``; a replica's vector is its
original plus Gaussian noise (cosine about 0.95 to it), so replicas are near
neighbours, not exact duplicates.

Build: ingest, the keyword index (``update_indexes``), the vector store and
the HNSW graph (``VectorStore.update_graph``), timed. Serving is measured in a
fresh process (so its peak RSS is the serving memory): hybrid queries through
``SearchService.search`` with the query embedding included; the vector part
alone with the graph and with an exact scan; recall@10 of the graph against the
exact scan, for text queries and for papers used as queries (similar papers).

    .venv/bin/python bench/search_speed_large.py --scale 264k [--write-doc]
    .venv/bin/python bench/search_speed_large.py --scale 1m [--write-doc]
"""

from __future__ import annotations

import argparse
import json
import shutil
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

GPU_VECTORS = benchlib.RESULTS_DIR / "gpu"
REPLICAS = {"264k": 0, "1m": 3}
NOISE_COSINE = 0.95
LOOKUP_LABELS = {"id": "query naming a paper: its arXiv id",
                 "author filter": 'query naming a person: author:"NAME"',
                 "author name": "query naming a person: the bare name (hybrid, their papers first)"}


def load_gpu_vectors() -> dict[str, np.ndarray]:
    """Paper id -> unit vector, from the int8 files bench/gpu_embed.py wrote."""
    found: dict[str, np.ndarray] = {}
    parts = sorted(GPU_VECTORS.glob("part*/v"))
    if not parts:
        raise SystemExit(f"no GPU vectors in {GPU_VECTORS}: run bench/gpu_embed.py --vectors-out on the GPU machine")
    for part in parts:
        ids = json.loads((part / "ids.json").read_text())
        quantized = np.concatenate([np.load(path) for path in sorted(part.glob("q*.npy"), key=lambda p: int(p.stem[1:]))])
        vectors = quantized.astype(np.float32) * np.load(part / "scales.npy")
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        for paper_id, vector in zip(ids, vectors, strict=True):
            found.setdefault(paper_id, vector)
    return found


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM; unlike ru_maxrss it does not carry over
    the parent's peak into a child started with fork + exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(data_dir: Path, replicas: int) -> dict:
    import sqlalchemy as sa

    from paperfeed.db.engine import create_engine, migrate
    from paperfeed.db.tables import papers
    from paperfeed.ingest.files import ingest_files
    from paperfeed.search.documents import embedding_text, text_hash
    from paperfeed.search.embedding_models import MINILM
    from paperfeed.search.embedder import file_sha256, package_directory
    from paperfeed.search.indexer import IndexState, index_directory, update_indexes
    from paperfeed.search.vectors import ModelIdentity, VectorStore

    info: dict = {}
    engine = create_engine(f"sqlite:///{data_dir / 'paperfeed.db'}")
    migrate(engine)
    started = time.perf_counter()
    ingest_files(engine, list(benchlib.CORPORA))
    if replicas:
        columns = [column.name for column in papers.columns]
        chosen = ", ".join("id || '~{k}'" if name == "id" else name for name in columns)
        with engine.begin() as connection:
            for k in range(1, replicas + 1):
                connection.exec_driver_sql(f"INSERT INTO papers ({', '.join(columns)}) "
                                           f"SELECT {chosen.format(k=k)} FROM papers WHERE id NOT LIKE '%~%'")
    info["ingest_seconds"] = time.perf_counter() - started
    with engine.connect() as connection:
        info["papers"] = connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()

    started = time.perf_counter()
    update_indexes(engine, data_dir)
    info["keyword_seconds"] = time.perf_counter() - started

    originals = load_gpu_vectors()
    identity = ModelIdentity(MINILM.name, file_sha256(package_directory(MINILM) / MINILM.model_file), MINILM.dimension)
    directory = index_directory(data_dir)
    store = VectorStore(directory / "vectors", identity)
    rng = np.random.default_rng(0)
    noise_scale = np.sqrt((1 / NOISE_COSINE**2 - 1) / identity.dimension)  # |noise| ≈ tan(arccos 0.95)
    missing = 0
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True).execute(
            sa.select(papers.c.id, papers.c.title, papers.c.abstract))
        for rows in result.partitions(50_000):
            ids, hashes, vectors = [], [], []
            for paper_id, title, abstract in rows:
                base, _, replica = paper_id.partition("~")
                vector = originals.get(base)
                if vector is None:
                    missing += 1
                    continue
                if replica:
                    vector = vector + rng.standard_normal(identity.dimension).astype(np.float32) * noise_scale
                    vector /= np.linalg.norm(vector)
                ids.append(paper_id)
                hashes.append(text_hash(embedding_text(title, abstract)))
                vectors.append(vector)
            store.upsert(ids, hashes, np.array(vectors, dtype=np.float32))
    del originals
    store.save()
    info["vectors"], info["papers_without_gpu_vector"] = len(store), missing
    started = time.perf_counter()
    info["graph"] = store.update_graph()
    info["graph_seconds"] = time.perf_counter() - started
    state = IndexState.read(directory)
    state.vector_model, state.vector_sha256, state.vectors = identity.name, identity.sha256, len(store)
    state.vectors_until = state.indexed_until
    state.write(directory)
    info["index_mib"] = {name: sum(p.stat().st_size for p in (directory / folder).rglob("*") if p.is_file()) / 2**20
                         for name, folder in (("keyword", state.keyword_dir), ("vectors", state.vectors_dir))}
    info["graph_mib"] = (directory / "vectors" / "hnsw.usearch").stat().st_size / 2**20
    return info


def cpu_embedding_rate(sample: int) -> dict:
    """Abstracts per second of the shipped CPU path (onnxruntime, PAPERFEED_EMBEDDING_THREADS=2) on
    ``sample`` corpus papers drawn at random, and the real papers' mean length in tokens."""
    import gzip

    from paperfeed.search.documents import embedding_text
    from paperfeed.search.embedding_models import load_embedder

    texts = []
    for path in benchlib.CORPORA:
        with gzip.open(path, "rt") as file:
            texts += [embedding_text(r.get("title") or "", r.get("abstract") or "") for r in map(json.loads, file)]
    rng = np.random.default_rng(2)
    chosen = [texts[i] for i in rng.choice(len(texts), size=sample, replace=False)]
    embedder = load_embedder(threads=2)
    embedder.embed_documents(chosen[:32])
    started = time.perf_counter()
    embedder.embed_documents(chosen)
    seconds = time.perf_counter() - started
    return {"sample": sample, "per_second": sample / seconds, "corpus_papers": len(texts)}


def serve_and_measure(data_dir: Path, rounds: int) -> dict:
    """Runs in a fresh process: open the indexes as the web server does, then time queries."""
    from paperfeed.db.engine import create_engine
    from paperfeed.search.embedding_models import load_embedder
    from paperfeed.search import SearchRequest
    from paperfeed.search.service import SearchService
    from search_speed import QUERIES

    embedder = load_embedder()
    engine = create_engine(f"sqlite:///{data_dir / 'paperfeed.db'}")
    service = SearchService(data_dir, embedder_factory=lambda: embedder)
    hybrid, embedding, ann_ms, exact_ms = [], [], [], []
    with engine.connect() as connection:
        for _ in range(3):
            service.search(connection, SearchRequest.from_parameters(q=QUERIES[0], page_size=20))
        store = service._vectors
        assert store is not None and store.graph is not None, "the graph was not loaded"
        for _ in range(rounds):
            for text in QUERIES:
                began = time.perf_counter()
                response = service.search(connection, SearchRequest.from_parameters(q=text, page_size=20))
                hybrid.append(time.perf_counter() - began)
                assert response.notice is None and response.hits
                began = time.perf_counter()
                embedder.embed_query(text)
                embedding.append(time.perf_counter() - began)
    lookups = time_lookups(service, engine, store.ids)
    query_vectors = [embedder.embed_query(text) for text in QUERIES]
    rng = np.random.default_rng(1)
    paper_vectors = [store.vector_of(store.ids[row]) for row in rng.choice(len(store), size=190, replace=False)]
    overlap = {"text queries": [], "papers as queries": []}
    for kind, vectors in (("text queries", query_vectors), ("papers as queries", paper_vectors)):
        for vector in vectors:
            began = time.perf_counter()
            approximate = store.nearest(vector, limit=10)
            ann_ms.append(time.perf_counter() - began)
            began = time.perf_counter()
            exact = store.nearest_exact(vector, limit=10)
            exact_ms.append(time.perf_counter() - began)
            overlap[kind].append(len({i for i, _ in approximate} & {i for i, _ in exact}) / 10)
    return {
        "hybrid_ms": [benchlib.median(hybrid) * 1e3, benchlib.percentile(hybrid, 0.99) * 1e3],
        "embedding_ms": [benchlib.median(embedding) * 1e3, benchlib.percentile(embedding, 0.99) * 1e3],
        "graph_ms": [benchlib.median(ann_ms) * 1e3, benchlib.percentile(ann_ms, 0.99) * 1e3],
        "exact_ms": [benchlib.median(exact_ms) * 1e3, benchlib.percentile(exact_ms, 0.99) * 1e3],
        "recall_at_10": {kind: float(np.mean(values)) for kind, values in overlap.items()},
        "queries": len(hybrid),
        "lookups": lookups,
        "serving_peak_mib": peak_rss_mib(),
    }


def time_lookups(service, engine, ids: list[str], count: int = 100) -> dict[str, list[float]]:
    """Median and p99 ms of queries that name a paper (its arXiv id) or a person (``author:"NAME"``,
    and the bare name, which is searched as words too), for ``count`` papers drawn at random."""
    from paperfeed.db import papers as papers_repo
    from paperfeed.search import SearchRequest

    rng = np.random.default_rng(2)
    chosen = [ids[row] for row in rng.choice(len(ids), size=count * 2, replace=False)]
    timings: dict[str, list[float]] = {"id": [], "author filter": [], "author name": []}
    with engine.connect() as connection:
        papers = papers_repo.get_papers(connection, chosen)
        real = [paper for paper_id in chosen if "~" not in paper_id and (paper := papers.get(paper_id))
                and paper.authors][:count]
        for paper in real:
            for kind, text in (("id", paper.id), ("author filter", f'author:"{paper.authors[0]}"'),
                               ("author name", paper.authors[0])):
                began = time.perf_counter()
                response = service.search(connection, SearchRequest.from_parameters(q=text, page_size=20))
                timings[kind].append(time.perf_counter() - began)
                assert kind != "id" or response.hits[0].paper.id == paper.id
    return {kind: [benchlib.median(values) * 1e3, benchlib.percentile(values, 0.99) * 1e3]
            for kind, values in timings.items()}


def baseline_hybrid_ms(ref: str, scale: str, rounds: int) -> list[float]:
    """Median and p99 ms of hybrid queries with the code of git ``ref``: that commit's own copy of
    this benchmark, run in a worktree on the same corpora and vectors, so that the figures before
    and after a change come from the same machine in the same run."""
    import os
    import re

    with tempfile.TemporaryDirectory() as directory:
        tree = Path(directory) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), ref], cwd=benchlib.REPO_ROOT,
                       check=True)
        try:
            (tree / "bench" / "results").symlink_to(benchlib.RESULTS_DIR)
            # The queries (search_speed.QUERIES) from this checkout: the same texts in both runs, and a
            # module whose imports work (that file imported a function since moved).
            shutil.copy(Path(__file__).with_name("search_speed.py"), tree / "bench" / "search_speed.py")
            env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PAPERFEED_BENCH_DATA": str(benchlib.DATA_DIR)}
            done = subprocess.run([sys.executable, str(tree / "bench" / "search_speed_large.py"), "--scale", scale,
                                   "--rounds", str(rounds), "--cpu-sample", "0"], env=env, capture_output=True,
                                  text=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=benchlib.REPO_ROOT, check=True)
    row = re.search(r"\| hybrid query [^|]*\| ([\d.]+) \| ([\d.]+) \|", done.stdout)
    if done.returncode or row is None:
        raise SystemExit(f"the baseline run printed no hybrid row:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return [float(row[1]), float(row[2])]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", choices=sorted(REPLICAS), default="264k")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--cpu-sample", type=int, default=1000, help="papers embedded on the CPU to time it (0: skip)")
    parser.add_argument("--baseline", metavar="GIT_REF",
                        help="also measure this commit's hybrid queries first, in the same run (its own benchmark)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: the serving process
    arguments = parser.parse_args(argv)
    if arguments.measure:
        print(json.dumps(serve_and_measure(arguments.measure, arguments.rounds)))
        return
    benchlib.require_corpora(benchlib.CORPORA)
    baseline = baseline_hybrid_ms(arguments.baseline, arguments.scale, arguments.rounds) if arguments.baseline else None
    with tempfile.TemporaryDirectory(dir=benchlib.RESULTS_DIR) as directory:
        data_dir = Path(directory)
        info = build(data_dir, REPLICAS[arguments.scale])
        info["build_peak_mib"] = peak_rss_mib()
        print(json.dumps(info, indent=2), flush=True)
        child = subprocess.run([sys.executable, __file__, "--measure", str(data_dir), "--rounds", str(arguments.rounds)],
                               capture_output=True, text=True, check=True)
        measured = json.loads(child.stdout.strip().splitlines()[-1])
    print(json.dumps(measured, indent=2))
    if arguments.cpu_sample:
        info["cpu_embedding"] = cpu_embedding_rate(arguments.cpu_sample)
    measured["baseline_ms"] = baseline
    section = report(arguments, info, measured, argv)
    print(section)
    if arguments.write_doc:
        benchlib.write_doc_section(f"search-speed-{arguments.scale}", section)


def report(arguments, info: dict, measured: dict, argv) -> str:
    replicated = REPLICAS[arguments.scale]
    what = (f"{info['papers']:,} papers: the 259,559 real ones and {replicated} replicas of each with new ids "
            f"(replicated data; replica vectors = original + noise, cosine ≈ {NOISE_COSINE})"
            if replicated else f"{info['papers']:,} real papers (the three corpora)")
    rows = [
        ["hybrid query (embedding + keyword + graph + fusion + rows)", f"{measured['hybrid_ms'][0]:.1f}",
         f"{measured['hybrid_ms'][1]:.1f}"],
        ["query embedding alone (part of the above)", f"{measured['embedding_ms'][0]:.1f}",
         f"{measured['embedding_ms'][1]:.1f}"],
        *[[LOOKUP_LABELS[kind], f"{ms[0]:.1f}", f"{ms[1]:.1f}"] for kind, ms in measured["lookups"].items()],
        ["vectors alone: HNSW graph, top 10", f"{measured['graph_ms'][0]:.2f}", f"{measured['graph_ms'][1]:.2f}"],
        ["vectors alone: exact scan (baseline, same run)", f"{measured['exact_ms'][0]:.1f}",
         f"{measured['exact_ms'][1]:.1f}"],
    ]
    recall = measured["recall_at_10"]
    baseline = measured.get("baseline_ms")
    if baseline:
        rows.insert(1, [f"hybrid query with the code of {arguments.baseline} (baseline, same run, before this one)",
                        f"{baseline[0]:.1f}", f"{baseline[1]:.1f}"])
    ratio = (f"Hybrid query against the baseline: median ×{measured['hybrid_ms'][0] / baseline[0]:.2f}, "
             f"p99 ×{measured['hybrid_ms'][1] / baseline[1]:.2f}." if baseline else "")
    return "\n\n".join([
        f"### Search at {arguments.scale}\n\n`{benchlib.shown_command('bench/search_speed_large.py', argv)}`",
        f"Machine: {benchlib.machine_line()}",
        f"{what}. Vectors: all-MiniLM-L6-v2 from the GPU run (bench/gpu_embed.py), {info['vectors']:,} in the store. "
        f"{measured['queries']} hybrid queries (10 texts × {arguments.rounds} rounds, top 20, SQLite), measured in a "
        "fresh process that opens the indexes as `paperfeed serve` does.",
        benchlib.markdown_table(["part", "median ms", "p99 ms"], rows),
        ratio,
        f"Recall@10 of the HNSW graph against the exact scan: {recall['text queries']:.3f} for text queries, "
        f"{recall['papers as queries']:.3f} for papers as queries (similar papers); "
        f"speed-up of the vector part {measured['exact_ms'][0] / measured['graph_ms'][0]:.0f}× (medians).",
        f"Serving memory (peak RSS of that process): {measured['serving_peak_mib']:,.0f} MiB. "
        f"Build: ingest {info['ingest_seconds']:.0f} s, keyword index {info['keyword_seconds']:.0f} s, "
        f"HNSW graph {info['graph_seconds']:.0f} s (2 cores; peak RSS of the build {info['build_peak_mib']:,.0f} MiB). "
        f"On disk: keyword index {info['index_mib']['keyword']:,.0f} MiB, vectors + graph "
        f"{info['index_mib']['vectors']:,.0f} MiB (graph {info['graph_mib']:,.0f} MiB).",
        cpu_embedding_line(info),
    ])


def cpu_embedding_line(info: dict) -> str:
    cpu = info.get("cpu_embedding")
    if not cpu:
        return ""
    embed_hours = cpu["corpus_papers"] / cpu["per_second"] / 3600
    rest = info["keyword_seconds"] + info["graph_seconds"]
    return (f"Embedding on the CPU (the shipped path, onnxruntime, 2 threads), {cpu['sample']:,} corpus papers drawn at "
            f"random: {cpu['per_second']:.1f} abstracts/s. Time to index the {cpu['corpus_papers']:,} corpus papers "
            f"from scratch on these 2 cores: about {embed_hours:.1f} h of embedding + {rest:.0f} s for the keyword "
            f"index and the graph; with `--device cuda` on the H200 machine the embedding takes about "
            f"{cpu['corpus_papers'] / 12_700:.0f} s (see the GPU section).")


if __name__ == "__main__":
    main()
