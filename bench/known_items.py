"""Known-item search: does the paper a researcher half remembers come first?

``bench/known_items.jsonl`` holds queries written by hand from abstracts of
the bundled sample, the way a researcher recalls a paper days later, each naming
the one paper it is after: 80 of the kinds keywords, description and finding
(what it found), 30 of them also in French and Chinese; and, for issue 25, kinds
written before the search was run on them: name (a person's name and topic
words), formula (a TeX title as people type it: MVD2 for MVD$^2$), typo (a
description with one real misspelling) and coined (a phrase a paper introduced,
for that paper). They are searched through paperfeed's own search service on the
sample as ``paperfeed demo`` loads it (10,630 papers, the sample's vectors),
exactly as the search page does; reported: mean reciprocal rank (MRR), and how
often the paper is first and in the first 10, per kind of query; the French and
Chinese rows count the lines that have those texts.

The first 80 queries chose the search's settings (bench/search_levers.py), so
they are not an unbiased test of them: that is what SciFact's test split is for.

    .venv/bin/python bench/known_items.py [--write-doc]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

QUERIES = Path(__file__).with_name("known_items.jsonl")
DEPTH = 100


def read_queries(path: Path = QUERIES) -> list[dict]:
    with path.open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


class SampleSite:
    """The bundled sample loaded as ``paperfeed demo --load-only`` does, in a temporary data directory."""

    def __init__(self, data_dir: Path) -> None:
        os.environ["PAPERFEED_DATA_DIR"] = str(data_dir)
        from paperfeed.cli import _initialised_engine
        from paperfeed.config import load_settings
        from paperfeed.sample import load_sample
        from paperfeed.search.embedding_models import embedder_factory
        from paperfeed.search.indexer import refresh_indexes
        from paperfeed.search.service import SearchService

        self.settings = load_settings()
        self.engine = _initialised_engine(self.settings)
        load_sample(self.engine)
        refresh_indexes(self.engine, self.settings)
        self.service = SearchService(self.settings.data_dir, embedder_factory=embedder_factory(self.settings))

    def respond(self, text: str, depth: int = DEPTH):
        """The search's response to ``text`` as typed in the search box (None when it refuses the
        query), through ``SearchRequest.from_parameters`` where :mod:`paperfeed.search` has it, else
        through the interface before it (``parse_search_query`` and ``limit``), so that
        ``--baseline`` runs of older commits work too."""
        import paperfeed.search
        from paperfeed.errors import InvalidInput

        request_type = getattr(paperfeed.search, "SearchRequest", None)
        with self.engine.connect() as connection:
            try:
                if request_type is not None:
                    return self.service.search(connection, request_type.from_parameters(q=text, page_size=depth))
                from paperfeed.search.query import parse_search_query

                return self.service.search(connection, parse_search_query(text), limit=depth)
            except InvalidInput:
                return None

    def ranked_ids(self, text: str) -> list[str]:
        response = self.respond(text)
        return [hit.paper.id for hit in response.hits] if response is not None else []


def rank_of(ranked: Sequence[str], wanted: str) -> int | None:
    return next((rank for rank, paper_id in enumerate(ranked, 1) if paper_id == wanted), None)


def summary(ranks: Sequence[int | None]) -> tuple[float, float, float]:
    """(MRR, share first, share in the first 10)."""
    count = len(ranks) or 1
    return (sum(1 / rank for rank in ranks if rank) / count, sum(1 for rank in ranks if rank == 1) / count,
            sum(1 for rank in ranks if rank and rank <= 10) / count)


def evaluate(site: SampleSite, queries: list[dict], key: str = "text") -> dict[str, list[int | None]]:
    """The wanted paper's rank (None: not in the first 100) per kind of query, and pooled under "all"."""
    ranks: dict[str, list[int | None]] = defaultdict(list)
    for query in queries:
        if query.get(key):
            rank = rank_of(site.ranked_ids(query[key]), query["paper_id"])
            ranks[query["kind"]].append(rank)
            ranks["all"].append(rank)
    return ranks


ORIGIN_WEIGHTS = (0.0, 0.3, 0.5, 0.7, 1.0, 1.5)


def origin_sweep(site: SampleSite, queries: list[dict]) -> str:
    """The English queries' MRR (all, and the "coined" kind) for each weight of the origin boost
    (paperfeed.search.service.ORIGIN_WEIGHT, fusion.origin_boost): how the shipped weight was chosen."""
    from paperfeed.search import service

    shipped, rows = service.ORIGIN_WEIGHT, []
    try:
        for weight in ORIGIN_WEIGHTS:
            service.ORIGIN_WEIGHT = weight
            ranks = evaluate(site, queries)
            rows.append([f"{weight:.1f}" + (" (shipped)" if weight == shipped else ""),
                         f"{summary(ranks['all'])[0]:.3f}", f"{summary(ranks['coined'])[0]:.3f}"])
    finally:
        service.ORIGIN_WEIGHT = shipped
    return benchlib.markdown_table(["origin weight", "MRR, English, all", "MRR, coined"], rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write-doc", action="store_true", help="replace this section of docs/benchmarks.md")
    parser.add_argument("--origin-sweep", action="store_true",
                        help="also score each weight of the boost for the paper that introduced a phrase")
    arguments = parser.parse_args(argv)
    queries = read_queries()
    with tempfile.TemporaryDirectory() as directory:
        site = SampleSite(Path(directory))
        sweep = origin_sweep(site, queries) if arguments.origin_sweep else None
        rows = []
        for key, language in (("text", "English"), ("text_fr", "French"), ("text_zh", "Chinese")):
            for kind, ranks in sorted(evaluate(site, queries, key).items(), key=lambda pair: pair[0] != "all"):
                if language != "English" and kind != "all":
                    continue
                mrr, first, top10 = summary(ranks)
                rows.append([f"{language}, {kind}", len(ranks), f"{mrr:.3f}", f"{first:.0%}", f"{top10:.0%}"])
    section = "\n\n".join([
        f"### Known-item search\n\n`{benchlib.shown_command('bench/known_items.py', argv)}`",
        f"Machine: {benchlib.machine_line()}",
        "Queries written by hand from sample abstracts (bench/known_items.jsonl), searched through the search "
        "service on the bundled sample (10,630 papers). MRR: mean of 1/rank of the wanted paper (0 beyond 100).",
        benchlib.markdown_table(["queries", "count", "MRR", "first", "in first 10"], rows),
        *(["The boost for the paper that introduced a phrase (docs/search.md), weight by weight; the "
           "coined queries both chose the weight and measure it, so this is not an unbiased test:", sweep]
          if sweep else []),
    ])
    print(section)
    if arguments.write_doc:
        benchlib.write_doc_section("known-items", section)


if __name__ == "__main__":
    main()
