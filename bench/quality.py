"""Search quality on real benchmarks: SciFact (ad-hoc search) and CSFCube (similar papers).

Uses paperfeed's own search parts (the tantivy keyword index, the packaged
embedder, reciprocal rank fusion) on each benchmark's corpus:

* SciFact (BEIR), test split: 300 claims, 5,183 abstracts; nDCG@10 and recall@100
  for keyword only, dense only and hybrid variants.
* CSFCube: 50 query papers, each with a facet; the query paper's title + abstract
  is the query (query by example), the query paper itself excluded; NDCG@20 per
  facet and pooled.

Document vectors are cached in bench/results/ (git-ignored), keyed by the
model's SHA-256, so reruns only time the retrieval.

    .venv/bin/python bench/quality.py [--baseline GIT_REF] [--write-doc]

With ``--baseline`` the shipped variants are also measured with the code of an
older commit, in the same run (:func:`benchlib.measure_with_code_of`).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

from paperfeed.search.documents import embedding_text  # noqa: E402
from paperfeed.search.embedding_models import load_embedder  # noqa: E402
from paperfeed.search.fusion import min_max_fusion, reciprocal_rank_fusion  # noqa: E402
from paperfeed.search.service import above_floor, fuse_text_query  # noqa: E402
from paperfeed.search.keyword import MLT_MAX_TERMS, TITLE_BOOST, KeywordDocument, KeywordIndex  # noqa: E402
from paperfeed.search.query import MAX_TERMS, parse_search_query  # noqa: E402

BENCH_DIR = benchlib.DATA_DIR / "bench"
DEPTH = 100


def read_jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt") as file:
        return [json.loads(line) for line in file]


def read_qrels(path: Path, *, split: str | None) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with gzip.open(path, "rt") as file:
        for row in csv.DictReader(file, delimiter="\t"):
            if split is None or row.get("split", split) == split:
                qrels[row["query_id"]][row["corpus_id"]] = int(row["score"])
    return qrels


def ndcg(ranked: Sequence[str], relevant: dict[str, int], k: int) -> float:
    """nDCG@k with linear gains (as BEIR's pytrec_eval)."""
    dcg = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    best = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
    return dcg / best if best else 0.0


def recall(ranked: Sequence[str], relevant: dict[str, int], k: int) -> float:
    wanted = {doc for doc, gain in relevant.items() if gain > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


class Corpus:
    """A benchmark corpus in paperfeed's keyword index and as a matrix of vectors."""

    def __init__(self, name: str, documents: list[dict], embedder, directory: Path) -> None:
        self.ids = [str(doc["id"]) for doc in documents]
        self.keyword = KeywordIndex.recreate(directory / name)
        self.keyword.upsert(KeywordDocument(str(d["id"]), d["title"] or "", d["abstract"] or "", (), None)
                            for d in documents)
        self.texts = [embedding_text(d["title"] or "", d["abstract"] or "") for d in documents]
        self.vectors = cached_vectors(name, self.texts, embedder)

    def keyword_hits(self, text: str, *, exclude: str | None = None) -> list[tuple[str, float]]:
        hits = self.keyword.search(parse_search_query(_first_terms(text)), limit=DEPTH + 1)
        return [(doc, score) for doc, score in hits if doc != exclude][:DEPTH]

    def dense_hits(self, vector: np.ndarray, *, exclude: str | None = None) -> list[tuple[str, float]]:
        scores = self.vectors @ vector
        top = np.argsort(-scores)[: DEPTH + 1]
        return [(self.ids[i], float(scores[i])) for i in top if self.ids[i] != exclude][:DEPTH]


def _ids(hits: list[tuple[str, float]]) -> list[str]:
    return [doc for doc, _ in hits]


def shipped_hybrid(corpus: Corpus, text: str, keyword: list[tuple[str, float]],
                   dense: list[tuple[str, float]]) -> list[str]:
    """The ranking the search service gives a typed query: the floor, the fusion, the re-ranking."""
    query = parse_search_query(_first_terms(text))
    # The code before issue 25 (--baseline) has no origin boost, nor the index method it reads.
    holders = getattr(corpus.keyword, "earliest_holders", None)
    extra = (holders,) if holders is not None else ()
    return _ids(fuse_text_query(query, keyword, above_floor(keyword, dense), corpus.keyword.coverage, *extra))


def _first_terms(text: str) -> str:
    """Long texts (query by example) are cut to the words the query parser keeps."""
    return " ".join(text.split()[: MAX_TERMS * 3])[:1000]


def cached_vectors(name: str, texts: list[str], embedder) -> np.ndarray:
    path = benchlib.RESULTS_DIR / f"{name}-{embedder.identity.sha256[:12]}.npy"
    if path.exists():
        return np.load(path)
    started = time.perf_counter()
    vectors = embedder.embed_documents(texts)
    print(f"embedded {len(texts):,} {name} documents in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def evaluate_scifact(embedder, directory: Path) -> list[list]:
    corpus = Corpus("scifact", read_jsonl(BENCH_DIR / "scifact" / "corpus.jsonl.gz"), embedder, directory)
    qrels = read_qrels(BENCH_DIR / "scifact" / "qrels.tsv.gz", split="test")
    queries = [q for q in read_jsonl(BENCH_DIR / "scifact" / "queries.jsonl.gz") if str(q["id"]) in qrels]
    runs: dict[str, list[list[str]]] = defaultdict(list)
    for query in queries:
        keyword = corpus.keyword_hits(query["text"])
        dense = corpus.dense_hits(embedder.embed_query(query["text"]))
        runs[f"keyword (BM25, title weight {TITLE_BOOST})"].append(_ids(keyword))
        runs["dense (MiniLM int8)"].append(_ids(dense))
        runs["hybrid as shipped for queries (bench/search_levers.py)"].append(
            shipped_hybrid(corpus, query["text"], keyword, dense))
        for alpha in (0.5, 0.7):
            runs[f"hybrid, min-max {alpha}/{1 - alpha:.1f}"].append(
                _ids(min_max_fusion([keyword, dense], weights=(alpha, 1 - alpha))))
        for k in (60, 20):
            runs[f"hybrid, RRF k={k}"].append(_ids(reciprocal_rank_fusion([_ids(keyword), _ids(dense)], k=k)))
    rows = []
    for name, rankings in runs.items():
        pairs = list(zip(rankings, queries, strict=True))
        rows.append([name, _mean(ndcg(r, qrels[str(q["id"])], 10) for r, q in pairs),
                     _mean(recall(r, qrels[str(q["id"])], 100) for r, q in pairs)])
    return rows


def evaluate_csfcube(embedder, directory: Path) -> list[list]:
    documents = read_jsonl(BENCH_DIR / "csfcube" / "corpus.jsonl.gz")
    corpus = Corpus("csfcube", documents, embedder, directory)
    row_of = {doc_id: row for row, doc_id in enumerate(corpus.ids)}
    qrels = read_qrels(BENCH_DIR / "csfcube" / "qrels.tsv.gz", split=None)
    queries = read_jsonl(BENCH_DIR / "csfcube" / "queries.jsonl.gz")
    by_id = {str(d["id"]): d for d in documents}

    def keyword(query: dict) -> list[tuple[str, float]]:
        return corpus.keyword_hits(query["text"], exclude=query["query_paper_id"])

    def mlt(query: dict, terms: int = MLT_MAX_TERMS) -> list[tuple[str, float]]:
        paper = by_id[query["query_paper_id"]]
        hits = corpus.keyword.similar(paper["title"] or "", paper["abstract"] or "", limit=DEPTH + 1, max_terms=terms)
        return [(doc, score) for doc, score in hits if doc != query["query_paper_id"]][:DEPTH]

    def dense(query: dict) -> list[tuple[str, float]]:
        return corpus.dense_hits(corpus.vectors[row_of[query["query_paper_id"]]], exclude=query["query_paper_id"])

    def dense_prf(query: dict, feedback: int = 5, beta: float = 0.5) -> list[tuple[str, float]]:
        """Rocchio in vector space: the query vector plus the mean of its nearest neighbours'."""
        vector = corpus.vectors[row_of[query["query_paper_id"]]]
        neighbours = [row_of[doc] for doc, _ in dense(query)[:feedback]]
        expanded = vector + beta * corpus.vectors[neighbours].mean(axis=0)
        return corpus.dense_hits(expanded / np.linalg.norm(expanded), exclude=query["query_paper_id"])

    methods: dict[str, Callable[[dict], list[str]]] = {
        "keyword (BM25)": lambda q: _ids(keyword(q)),
        "dense": lambda q: _ids(dense(q)),
        "hybrid, min-max 0.6/0.4": lambda q: _ids(min_max_fusion([keyword(q), dense(q)], weights=(0.6, 0.4))),
        "hybrid, RRF k=60 (first words as keywords)": lambda q: _ids(
            reciprocal_rank_fusion([_ids(keyword(q)), _ids(dense(q))])),
        "dense + neighbour feedback (Rocchio, 5, 0.5)": lambda q: _ids(dense_prf(q)),
    }
    for terms in (25, 50, 100):
        methods[f"keyword, More Like This ({terms} terms)"] = lambda q, t=terms: _ids(mlt(q, t))
    for terms in (25, 50, 100):
        shipped = " (shipped for similar papers)" if terms == MLT_MAX_TERMS else ""
        methods[f"hybrid, RRF k=60 of MLT {terms} + dense{shipped}"] = lambda q, t=terms: _ids(
            reciprocal_rank_fusion([_ids(mlt(q, t)), _ids(dense(q))]))
    methods["hybrid, RRF k=60 of MLT + dense with feedback"] = lambda q: _ids(
        reciprocal_rank_fusion([_ids(mlt(q)), _ids(dense_prf(q))]))
    for alpha in (0.3, 0.5):
        methods[f"hybrid, min-max {alpha}/{1 - alpha:.1f} of MLT + dense"] = lambda q, a=alpha: _ids(
            min_max_fusion([mlt(q), dense(q)], weights=(a, 1 - a)))
    rows = []
    for name, method in methods.items():
        per_facet: dict[str, list[float]] = defaultdict(list)
        for query in queries:
            score = ndcg(method(query), qrels[query["id"]], 20)
            per_facet[query["facet"]].append(score)
            per_facet["pooled"].append(score)
        rows.append([name, *(_mean(per_facet[f]) for f in ("background", "method", "result", "pooled"))])
    return rows


def _mean(values) -> str:
    """The mean to three decimals, as text (the tables' number format would round to two)."""
    values = list(values)
    return f"{sum(values) / len(values):.3f}" if values else "-"


SHIPPED_ROWS = ("hybrid as shipped for queries (bench/search_levers.py)",
                "hybrid, RRF k=60 of MLT 100 + dense (shipped for similar papers)")


def measure() -> dict:
    """Both benchmarks' tables with the paperfeed this process imports."""
    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as directory:
        return {"paperfeed": benchlib.imported_package(), "scifact": evaluate_scifact(embedder, Path(directory)),
                "csfcube": evaluate_csfcube(embedder, Path(directory))}


def before_and_after(before: dict, after: dict) -> str:
    """The shipped variants' scores with the baseline's code and this checkout's, side by side."""
    rows = []
    for benchmark, column, label in (("scifact", 1, "SciFact nDCG@10"), ("csfcube", 4, "CSFCube NDCG@20, pooled")):
        for name in SHIPPED_ROWS:
            found = [(old, new) for old, new in zip(before[benchmark], after[benchmark], strict=True)
                     if old[0] == name == new[0]]
            rows += [[label, name, old[column], new[column]] for old, new in found]
    return benchlib.markdown_table(["benchmark", "retrieval", f"before ({before['ref']})", "after"], rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", metavar="GIT_REF", help="also measure this commit's code, in the same run")
    parser.add_argument("--write-doc", action="store_true", help="replace this section of docs/benchmarks.md")
    parser.add_argument("--measure-into", type=Path, help=argparse.SUPPRESS)  # internal: the baseline's process
    arguments = parser.parse_args(argv)
    if arguments.measure_into:
        arguments.measure_into.write_text(json.dumps(measure()))
        return
    before = benchlib.measure_with_code_of(arguments.baseline, Path(__file__)) if arguments.baseline else None
    after = measure()
    scifact, csfcube = after["scifact"], after["csfcube"]
    section = "\n\n".join([
        f"### Search quality\n\n`{benchlib.shown_command('bench/quality.py', argv)}`",
        f"Machine: {benchlib.machine_line()}",
        "SciFact (BEIR), test split, 300 claims, 5,183 abstracts. Measured here before, same split: "
        "BM25 (bm25s) 0.662 (published 0.665), MiniLM int8 dense 0.649, plain RRF 0.691. Target: hybrid ≥ 0.72.",
        benchlib.markdown_table(["retrieval", "nDCG@10", "recall@100"], scifact),
        "CSFCube, query by example (the query paper's title + abstract; the query paper excluded), NDCG@20. "
        "Measured here before, pooled: BM25 0.499, MiniLM dense 0.510, plain RRF 0.547. Target: ≥ 0.58 pooled. "
        "*keyword (BM25)* is the search box's query (the parser keeps the first 64 words); *More Like This* "
        "takes the paper's N terms of highest tf-idf. CSFCube has no training split: these 50 queries both "
        "chose and measure the variant, so differences of 0.01 are within noise.",
        benchlib.markdown_table(["retrieval", "background", "method", "result", "pooled"], csfcube),
        *([f"Before and after, same run: the code of {before['ref']} and this checkout's, on the same "
           "corpora, vectors and judgements.", before_and_after(before, after)] if before else []),
    ])
    print(section)
    if arguments.write_doc:
        benchlib.write_doc_section("quality", section)


if __name__ == "__main__":
    main()
