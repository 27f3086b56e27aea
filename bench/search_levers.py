"""Choosing how typed queries are ranked: each lever measured, chosen on training queries, reported on test.

The levers, all in :func:`paperfeed.search.service.fuse_text_query` and the keyword index:

* the title's weight against the abstract's in BM25 (``keyword.TITLE_BOOST``);
* the keyword score's weight in the fusion (``service.KEYWORD_WEIGHT``), and whether
  queries of up to SHORT_QUERY_WORDS words should have a weight of their own (fusion
  that adapts to the query; the search service has one weight, since this measured no better);
* re-ranking the first ``RERANK_DEPTH`` fused papers by the share of the query's
  words their own title and abstract hold (``COVERAGE_WEIGHT``,
  :func:`paperfeed.search.fusion.coverage_rerank`).

Each variant is scored on SciFact's *train* split (809 claims, nDCG@10) and on
the 80 known-item queries of bench/known_items.jsonl (MRR on the bundled sample,
searched with the sample's vectors). The chosen variant is the best mean of the
two among those that lose at most 0.002 on SciFact train against the variant
shipped before; it is then reported on SciFact's *test* split (300 claims),
which chose nothing. The relevance floor (``MEANING_FLOOR``) applies throughout
(bench/relevance_floor.py chose it).

    .venv/bin/python bench/search_levers.py [--write-doc]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402
import known_items  # noqa: E402
import quality  # noqa: E402

from paperfeed.search import keyword, service  # noqa: E402
from paperfeed.search.embedding_models import load_embedder  # noqa: E402
from paperfeed.search.query import parse_search_query  # noqa: E402

TITLE_BOOSTS = (0.25, 0.5, 1.0)
KEYWORD_WEIGHTS = (0.4, 0.5, 0.6, 0.7)
COVERAGE_WEIGHTS = (0.0, 0.1, 0.2, 0.3)
BEFORE = (0.5, 0.6, 0.6, 0.0)  # what search did before these levers: title 0.5, 0.6/0.6, no re-ranking
ALLOWED_LOSS = 0.002
SHORT_QUERY_WORDS = 5


@dataclass(frozen=True)
class Variant:
    title_boost: float
    short_weight: float
    long_weight: float
    coverage_weight: float

    def apply(self) -> None:
        keyword.TITLE_BOOST = self.title_boost
        service.COVERAGE_WEIGHT = self.coverage_weight

    def label(self) -> str:
        return (f"title {self.title_boost}, keyword weight {self.short_weight} / {self.long_weight}, "
                f"coverage {self.coverage_weight}")


class Queries:
    """Queries on one corpus with their keyword hits (per title weight) and vector hits, computed once."""

    def __init__(self, texts: list[str], index: keyword.KeywordIndex, dense_of) -> None:
        self.parsed = [parse_search_query(text[:1000]) for text in texts]
        self.index = index
        self.dense = [dense_of(text) for text in texts]
        self._keyword: dict[float, list] = {}

    def ranked(self, variant: Variant) -> list[list[str]]:
        variant.apply()
        if variant.title_boost not in self._keyword:
            self._keyword[variant.title_boost] = [self.index.search(query, limit=quality.DEPTH) for query in self.parsed]
        rankings = []
        for query, keyword_hits, dense_hits in zip(self.parsed, self._keyword[variant.title_boost], self.dense,
                                                   strict=True):
            short = len(query.words) <= SHORT_QUERY_WORDS
            service.KEYWORD_WEIGHT = variant.short_weight if short else variant.long_weight
            fused = service.fuse_text_query(query, keyword_hits, service.above_floor(keyword_hits, dense_hits),
                                            self.index.coverage)
            rankings.append([paper_id for paper_id, _ in fused])
        return rankings


def scifact_queries(embedder, directory: Path) -> tuple[dict[str, Queries], dict[str, dict]]:
    corpus = quality.Corpus("scifact", quality.read_jsonl(quality.BENCH_DIR / "scifact" / "corpus.jsonl.gz"),
                            embedder, directory)
    claims = quality.read_jsonl(quality.BENCH_DIR / "scifact" / "queries.jsonl.gz")
    queries, judged = {}, {}
    for split in ("train", "test"):
        qrels = quality.read_qrels(quality.BENCH_DIR / "scifact" / "qrels.tsv.gz", split=split)
        chosen = [claim for claim in claims if str(claim["id"]) in qrels]
        queries[split] = Queries([claim["text"] for claim in chosen], corpus.keyword,
                                 lambda text: corpus.dense_hits(embedder.embed_query(text)))
        judged[split] = [qrels[str(claim["id"])] for claim in chosen]
    return queries, judged


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write-doc", action="store_true", help="replace this section of docs/benchmarks.md")
    arguments = parser.parse_args(argv)
    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as directory:
        scifact, judged = scifact_queries(embedder, Path(directory) / "scifact")
        site = known_items.SampleSite(Path(directory) / "sample")
        site.service._refresh()
        items = known_items.read_queries()
        sample = Queries([item["text"] for item in items], site.service._keyword,
                         lambda text: site.service._vectors.nearest(embedder.embed_query(text), limit=quality.DEPTH))

        def scores(variant: Variant, split: str = "train") -> tuple[float, float]:
            ndcg = [quality.ndcg(ranking, relevant, 10)
                    for ranking, relevant in zip(scifact[split].ranked(variant), judged[split], strict=True)]
            ranks = [known_items.rank_of(ranking, item["paper_id"]) for ranking, item in
                     zip(sample.ranked(variant), items, strict=True)]
            return sum(ndcg) / len(ndcg), known_items.summary(ranks)[0]

        before = Variant(*BEFORE)
        before_train, before_mrr = scores(before)
        results = {}
        for values in itertools.product(TITLE_BOOSTS, KEYWORD_WEIGHTS, KEYWORD_WEIGHTS, COVERAGE_WEIGHTS):
            variant = Variant(*values)
            results[variant] = scores(variant)
        allowed = [v for v, (train, _) in results.items() if train >= before_train - ALLOWED_LOSS]
        chosen = max(allowed, key=lambda v: (round(sum(results[v]) / 2, 4), v.short_weight == v.long_weight))
        rows = []
        shown = {before: "before", chosen: "chosen"}
        for lever, change in (("title weight", "title_boost"), ("keyword weight, short queries", "short_weight"),
                              ("keyword weight, long queries", "long_weight"), ("coverage re-ranking", "coverage_weight")):
            for value in {"title_boost": TITLE_BOOSTS, "coverage_weight": COVERAGE_WEIGHTS}.get(change, KEYWORD_WEIGHTS):
                variant = Variant(**{**chosen.__dict__, change: value})
                train, mrr = results[variant]
                rows.append([lever, value, f"{train:.3f}", f"{mrr:.3f}", shown.get(variant, "")])
        test = {name: scores(variant, "test")[0] for name, variant in (("before", before), ("chosen", chosen))}
    section = "\n\n".join([
        f"### Ranking typed queries: the levers\n\n`{benchlib.shown_command('bench/search_levers.py', argv)}`",
        f"Machine: {benchlib.machine_line()}",
        f"Every combination of title weight {TITLE_BOOSTS}, keyword weight for queries of up to "
        f"{SHORT_QUERY_WORDS} words and for longer ones {KEYWORD_WEIGHTS}, and coverage re-ranking of the "
        f"first {service.RERANK_DEPTH} {COVERAGE_WEIGHTS}: {len(results)} variants, each scored on SciFact train "
        f"(nDCG@10) and the {len(items)} known-item queries (MRR). Chosen: the best mean of the two among variants "
        f"that lose at most {ALLOWED_LOSS} on SciFact train. Below, each lever moved alone from the chosen variant.",
        benchlib.markdown_table(["lever", "value", "SciFact train nDCG@10", "known items MRR", ""], rows),
        f"Before: {before.label()}: SciFact train {before_train:.3f}, known items {before_mrr:.3f}. "
        f"Chosen: {chosen.label()}: SciFact train {results[chosen][0]:.3f}, known items {results[chosen][1]:.3f}.",
        f"**SciFact test split** (chose nothing): before {test['before']:.3f}, chosen {test['chosen']:.3f} nDCG@10.",
    ])
    print(section)
    if arguments.write_doc:
        benchlib.write_doc_section("search-levers", section)


if __name__ == "__main__":
    main()
