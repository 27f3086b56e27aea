"""Does search tell a query that is not English? The shipped rule, :func:`query_language`, on
``bench/query_languages.jsonl``.

The set: researchers' English queries (the known-item queries of ``known_items.jsonl``, and
short ones written here: acronyms, model names, people's names, typos, formulas, words
French shares with English) and queries in other languages (the French known-item
queries, and queries written in German, Spanish, Italian, Portuguese, Dutch, Polish,
Turkish, Vietnamese, Indonesian, Czech, Swedish, and in other scripts).

Each language's queries are split in two halves by their order in the file (first, third,
fifth... in the half the thresholds were chosen on; second, fourth... held out). Printed:
false alarms (English queries said not to be), foreign queries caught and named right,
per half and per language; the time a query takes; the memory and time of loading the
detector, which happens on the first query.

    .venv/bin/python bench/query_languages.py [--write-doc]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

from paperfeed.search import language  # noqa: E402

QUERIES = Path(__file__).with_name("query_languages.jsonl")
TIMING_ROUNDS = 20


def load_queries() -> list[dict]:
    """The set, each query with its ``half``: "chosen" (thresholds tuned there) or "held-out"."""
    queries = [json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    seen: dict[str, int] = defaultdict(int)
    for query in queries:
        query["half"] = "chosen" if seen[query["language"]] % 2 == 0 else "held-out"
        seen[query["language"]] += 1
    return queries


def group_of(code: str) -> str:
    if code == "en":
        return "English"
    return "other Latin script" if code in language.LATIN_SCRIPT_LANGUAGES else "other script"


def summary_rows(queries: Sequence[dict]) -> list[list[object]]:
    """Per half and for the whole set: false alarms, and foreign queries caught and named right."""
    rows = []
    for half in ("chosen", "held-out", None):
        part = [query for query in queries if half is None or query["half"] == half]
        cells: list[object] = [half or "whole set"]
        for group in ("English", "other Latin script", "other script"):
            members = [query for query in part if group_of(query["language"]) == group]
            flagged = [query for query in members if query["answer"] is not None]
            if group == "English":
                cells.append(f"{len(flagged)} / {len(members)}")
                continue
            named = sum(query["answer"] == language.LANGUAGES.get(query["language"]) for query in flagged)
            cells += [f"{len(flagged)} / {len(members)} ({len(flagged) / len(members):.0%})", named]
        rows.append(cells)
    return rows


def language_rows(queries: Sequence[dict]) -> list[list[object]]:
    """Per language: queries, caught, named right, and up to three it missed."""
    by_language: dict[str, list[dict]] = defaultdict(list)
    for query in queries:
        by_language[query["language"]].append(query)
    rows = []
    for code, members in sorted(by_language.items(), key=lambda item: (-len(item[1]), item[0])):
        if code == "en":
            continue
        name = language.LANGUAGES.get(code, code)
        flagged = [query for query in members if query["answer"] is not None]
        missed = [query["text"] for query in members if query["answer"] is None][:3]
        rows.append([name, len(members), len(flagged), sum(query["answer"] == name for query in flagged),
                     "; ".join(missed)])
    return rows


def measure_load() -> tuple[float, float]:
    """Seconds and MiB of resident memory that loading the detector takes (its first query)."""
    before = resident_mib()
    started = time.perf_counter()
    language.query_language("warm up the detector")
    return time.perf_counter() - started, resident_mib() - before


def resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def installed_mib(distribution: str) -> float:
    """The installed size of ``distribution``'s files (its wheel unpacked)."""
    files = importlib.metadata.distribution(distribution).files or []
    return sum(path.locate().stat().st_size for path in files if path.locate().is_file()) / 2**20


def report() -> str:
    queries = load_queries()
    load_seconds, load_mib = measure_load()
    for query in queries:
        query["answer"] = language.query_language(query["text"])
    timings = []
    for _ in range(TIMING_ROUNDS):
        for query in queries:
            started = time.perf_counter()
            language.query_language(query["text"])
            timings.append((time.perf_counter() - started) * 1000)
    false_alarms = [query["text"] for query in queries if query["language"] == "en" and query["answer"]]
    version = importlib.metadata.version("py3langid")
    lines = [
        f"## Query language: py3langid {version}, "
        f"P(first) ≥ {language.MIN_CONFIDENCE}, P(English) ≤ {language.MAX_ENGLISH}, "
        f"≥ {language.MIN_WORDS} words of its own",
        "",
        benchlib.machine_line(),
        "",
        benchlib.markdown_table(
            ["half", "English said not English", "other Latin script caught", "named right",
             "other script caught", "named right"],
            summary_rows(queries)),
        "",
        benchlib.markdown_table(
            ["detector load (first query)", "memory added", "installed size", "per query, median",
             "per query, p99"],
            [[f"{load_seconds:.2f} s", f"{load_mib:.0f} MiB", f"{installed_mib('py3langid'):.1f} MiB",
              f"{benchlib.median(timings):.3f} ms", f"{benchlib.percentile(timings, 0.99):.3f} ms"]]),
        "",
        "English queries said not to be English: " + ("; ".join(false_alarms) or "none"),
        "",
        benchlib.markdown_table(["language", "queries", "caught", "named right", "missed (up to 3)"],
                                language_rows(queries)),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write-doc", action="store_true", help="also replace this section of docs/benchmarks.md")
    arguments = parser.parse_args(argv)
    body = report()
    print(body)
    if arguments.write_doc:
        command = benchlib.shown_command("bench/query_languages.py", argv)
        benchlib.write_doc_section("query-languages", f"{body}\n\n`{command}`")


if __name__ == "__main__":
    main()
