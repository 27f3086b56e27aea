"""Search on what researchers type: names, nonsense, misspellings, known items (issue 25).

Four measurements on the bundled sample (10,630 papers), through paperfeed's own
search service as the search page calls it, each query alone:

- names: authors drawn at random (fixed seed) from all of the sample's authors,
  spellings that fold to the same words merged (accents, case); each is searched
  as "First Last" and as "Last, First", and is a hit when the first result is one
  of their papers (an author of it folds to the same words);
- nonsense: ``bench/nonsense_queries.txt`` (keyboard mash, made-up words, none
  of them in the sample); a query fails when it returns any paper;
- misspellings: ``bench/misspellings.jsonl``; lines whose ``typed`` differs from
  ``meant`` are real misspellings of words the sample's papers use, each either
  corrected to the word meant (case aside), corrected to another, or left as
  typed; lines with ``typed`` = ``meant`` are words the sample holds as typed
  (rare technical words, model names, authors' names) that must not be corrected;
- known items: the MRR of ``bench/known_items.jsonl`` (bench/known_items.py),
  per kind of query.

With ``--baseline GIT_REF`` the same measurements are made first with the code of
that commit (checked out in a ``git worktree``, imported through PYTHONPATH) and
this checkout's script and query files, so both columns of the table come from
the same queries on the same machine in the same run.

    .venv/bin/python bench/search_cases.py [--baseline GIT_REF] [--names N] [--write-doc]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402
import known_items  # noqa: E402

HERE = Path(__file__).resolve().parent
MISSPELLINGS = HERE / "misspellings.jsonl"
NONSENSE = HERE / "nonsense_queries.txt"
NAMES = 200
NAME_SEED = 25  # the number: the same people in every run
SHOWN = 10  # misses listed per measurement
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_UNDECOMPOSABLE = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "ß": "ss"})
# Words that go with the family name when it is put first: "van der Maaten, Laurens".
PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "da", "das", "dos", "du", "di", "la", "las", "le",
             "ten", "ter", "y", "e"}
SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
# Authors that are organisations, not people ("Gemma Team", "LG AI Research"): no first and last name.
ORGANISATION_WORDS = {"team", "lab", "labs", "research", "group", "contributors", "inc", "corp", "consortium"}


# --- the people of the sample ---------------------------------------------------------------------------------

def fold(text: str) -> str:
    """Lower case without accents, as a reader types a name: "Stanić" -> "stanic" (NFKD, marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_UNDECOMPOSABLE)


def name_key(name: str) -> str:
    """The folded words of a name in reading order: "Wang, Zifeng" and "Zífeng Wáng" -> "zifeng wang"."""
    if name.count(",") == 1:
        last, first = name.split(",")
        name = f"{first} {last}"
    return " ".join(_WORD.findall(fold(name)))


@dataclass(slots=True)
class Person:
    """One author of the sample: the spellings that fold to one key, and how many papers use each."""

    key: str
    spellings: Counter = field(default_factory=Counter)

    @property
    def name(self) -> str:
        """The spelling most of their papers use."""
        return self.spellings.most_common(1)[0][0]


def sample_people(sample_path: Path) -> dict[str, Person]:
    """Every author of the sample file, keyed by :func:`name_key`."""
    people: dict[str, Person] = {}
    with gzip.open(sample_path, "rt", encoding="utf-8") as file:
        for record in map(json.loads, file):
            for name in record.get("authors") or ():
                key = name_key(name)
                if key:
                    people.setdefault(key, Person(key)).spellings[name.strip()] += 1
    return people


def is_personal_name(name: str) -> bool:
    """A first and a last name: two words or more, letters, no digits, not an organisation."""
    words = name.split()
    return (len(words) >= 2 and "," not in name and not any(c.isdigit() for c in name)
            and all(_WORD.search(word) for word in words)
            and not {word.lower() for word in words} & ORGANISATION_WORDS)


def drawn_people(people: dict[str, Person], count: int, seed: int = NAME_SEED) -> list[Person]:
    """``count`` people drawn at random (``seed``) among those with a personal name."""
    eligible = sorted(key for key, person in people.items() if is_personal_name(person.name))
    return [people[key] for key in random.Random(seed).sample(eligible, min(count, len(eligible)))]


def last_first(name: str) -> str:
    """"Laurens van der Maaten" -> "van der Maaten, Laurens"; "Martin Luther King Jr." -> "King Jr., Martin Luther"."""
    words = name.split()
    start = len(words) - 1
    if len(words) > 2 and words[-1].rstrip(".").lower() in SUFFIXES:
        start -= 1
    while start > 1 and words[start - 1].lower() in PARTICLES:
        start -= 1
    return f"{' '.join(words[start:])}, {' '.join(words[:start])}"


# --- reading the search's responses (known_items.SampleSite.respond: old interface or new) ---------------

def hits_of(response) -> list:
    return list(response.hits) if response is not None else []


def corrections_of(response) -> list[tuple[str, str]]:
    return [(c.typed, c.meant) for c in response.corrections] if response is not None else []


def corrected_text(text: str, corrections: list[tuple[str, str]]) -> str:
    """``text`` with each corrected word replaced by the word the search took it for."""
    for typed, meant in corrections:
        text = re.sub(rf"(?<!\w){re.escape(typed)}(?!\w)", lambda _match, meant=meant: meant, text,
                      flags=re.IGNORECASE)
    return text


def top_paper(response) -> dict | None:
    hits = hits_of(response)
    if not hits:
        return None
    paper = hits[0].paper
    return {"id": paper.id, "title": paper.title, "authors": list(paper.authors[:3])}


# --- the four measurements ----------------------------------------------------------------------------------

def measure_names(site: known_items.SampleSite, people: list[Person]) -> dict:
    """Per form of the name, how many people have one of their papers first, and the misses."""
    found = {"First Last": 0, "Last, First": 0}
    misses = []
    for person in people:
        for form, text in (("First Last", person.name), ("Last, First", last_first(person.name))):
            response = site.respond(text)
            hits = hits_of(response)
            if hits and any(name_key(author) == person.key for author in hits[0].paper.authors):
                found[form] += 1
            else:
                misses.append({"form": form, "query": text, "top": top_paper(response),
                               "corrections": corrections_of(response), "papers": sum(person.spellings.values())})
    return {"count": len(people), "found": found, "misses": misses}


def measure_nonsense(site: known_items.SampleSite, queries: list[str]) -> dict:
    """The nonsense queries that return papers, with what the search made of them."""
    answered = []
    for text in queries:
        response = site.respond(text)
        if hits_of(response):
            answered.append({"query": text, "results": getattr(response, "total", len(response.hits)),
                             "corrections": corrections_of(response), "top": top_paper(response)})
    return {"count": len(queries), "with_results": answered}


def measure_misspellings(site: known_items.SampleSite, lines: list[dict]) -> dict:
    """Misspellings: corrected to the word meant, to another word, or not at all; correct words corrected."""
    outcome: dict[str, list] = {"right": [], "wrong": [], "none": [], "false": []}
    for line in lines:
        typed, meant = line["typed"], line["meant"]
        corrections = corrections_of(site.respond(typed))
        got = corrected_text(typed, corrections)
        if typed == meant:
            if corrections:
                outcome["false"].append({"typed": typed, "got": got})
        elif not corrections:
            outcome["none"].append({"typed": typed, "meant": meant})
        elif got.casefold() == meant.casefold():
            outcome["right"].append({"typed": typed, "meant": meant})
        else:
            outcome["wrong"].append({"typed": typed, "meant": meant, "got": got})
    misspelt = sum(1 for line in lines if line["typed"] != line["meant"])
    return {"misspellings": misspelt, "correct_words": len(lines) - misspelt, **outcome}


def measure_known_items(site: known_items.SampleSite, queries: list[dict]) -> dict:
    """The wanted paper's rank (None beyond 100) per language and kind (bench/known_items.py)."""
    return {language: dict(known_items.evaluate(site, queries, key))
            for key, language in (("text", "English"), ("text_fr", "French"), ("text_zh", "Chinese"))}


def read_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def measure(names: int) -> dict:
    """All four measurements with the paperfeed this process imports."""
    from paperfeed.sample import SAMPLE_PATH

    people = drawn_people(sample_people(SAMPLE_PATH), names)
    with tempfile.TemporaryDirectory() as directory:
        site = known_items.SampleSite(Path(directory))
        probe = site.respond("diffusion models for video generation")
        return {
            "paperfeed": benchlib.imported_package(),
            "notice": probe.notice if probe is not None else "the probe query was refused",
            "names": measure_names(site, people),
            "nonsense": measure_nonsense(site, read_lines(NONSENSE)),
            "misspellings": measure_misspellings(site, [json.loads(line) for line in read_lines(MISSPELLINGS)]),
            "known_items": measure_known_items(site, known_items.read_queries()),
        }


def measure_baseline(ref: str, names: int) -> dict:
    """:func:`measure` with the code of git ``ref`` (:func:`benchlib.measure_with_code_of`)."""
    return benchlib.measure_with_code_of(ref, Path(__file__), ["--names", str(names)])


# --- the report ---------------------------------------------------------------------------------------------

def table_rows(measured: dict) -> list[tuple[str, str]]:
    """(row label, value) for one run, in the table's order."""
    names, nonsense, spelling = measured["names"], measured["nonsense"], measured["misspellings"]
    rows = [(f'names as "{form}": first result is theirs ({names["count"]} people)',
             f"{found / (names['count'] or 1):.0%}") for form, found in names["found"].items()]
    rows.append((f"nonsense queries with results (of {nonsense['count']})", str(len(nonsense["with_results"]))))
    for outcome, label in (("right", "corrected right"), ("wrong", "corrected wrong"), ("none", "left uncorrected")):
        rows.append((f"misspellings ({spelling['misspellings']}): {label}", str(len(spelling[outcome]))))
    rows.append((f"correct words ({spelling['correct_words']}): falsely corrected", str(len(spelling["false"]))))
    for language, kinds in measured["known_items"].items():
        for kind, ranks in sorted(kinds.items(), key=lambda pair: pair[0] != "all"):
            if language != "English" and kind != "all":
                continue
            mrr, _, _ = known_items.summary(ranks)
            rows.append((f"known items MRR, {language}, {kind} ({len(ranks)})", f"{mrr:.3f}"))
    return rows


def details(measured: dict) -> str:
    """The misses of one run, a few of each, for reading what went wrong."""
    lines = []
    misses = measured["names"]["misses"]
    if misses:
        lines.append(f"Names missed ({len(misses)}; first {min(SHOWN, len(misses))}):")
        lines += [f"- `{miss['query']}` ({miss['papers']} papers): first {_paper(miss['top'])}"
                  + _corrections(miss["corrections"]) for miss in misses[:SHOWN]]
    answered = measured["nonsense"]["with_results"]
    if answered:
        lines.append(f"Nonsense with results ({len(answered)}):")
        lines += [f"- `{item['query']}`: {item['results']} results{_corrections(item['corrections'])}, "
                  f"first {_paper(item['top'])}" for item in answered[:SHOWN]]
    spelling = measured["misspellings"]
    if spelling["wrong"]:
        lines.append("Misspellings corrected wrong: " + ", ".join(
            f"{item['typed']} → {item['got']} (meant {item['meant']})" for item in spelling["wrong"]))
    if spelling["none"]:
        lines.append("Misspellings left as typed: " + ", ".join(item["typed"] for item in spelling["none"]))
    if spelling["false"]:
        lines.append("Correct words corrected: " + ", ".join(
            f"{item['typed']} → {item['got']}" for item in spelling["false"]))
    return "\n".join(lines) or "No misses."


def _paper(top: dict | None) -> str:
    if top is None:
        return "nothing"
    return f"{top['id']} \"{top['title'][:70]}\" ({', '.join(top['authors'])})"


def _corrections(corrections: list) -> str:
    return (", corrected " + ", ".join(f"{typed} → {meant}" for typed, meant in corrections)) if corrections else ""


def report(after: dict, before: dict | None, argv: Sequence[str] | None) -> str:
    after_rows = table_rows(after)
    if before is None:
        table = benchlib.markdown_table(["measure", "this checkout"], after_rows)
    else:
        before_values = dict(table_rows(before))
        table = benchlib.markdown_table(["measure", f"before: {before['ref']}", "after: this checkout"],
                                        [(label, before_values.get(label, "–"), value) for label, value in after_rows])
    notices = [f"{name}: the search said “{run['notice']}”" for name, run in (("before", before), ("after", after))
               if run is not None and run["notice"]]
    parts = [
        f"### Search cases (issue 25)\n\n`{benchlib.shown_command('bench/search_cases.py', argv)}`",
        f"Machine: {benchlib.machine_line()}",
        "The bundled sample (10,630 papers) through the search service, each query alone. Names: people drawn at "
        f"random (seed {NAME_SEED}) from the sample's authors; a hit when the first result is one of their papers. "
        "Nonsense: bench/nonsense_queries.txt. Misspellings and correct words: bench/misspellings.jsonl. Known "
        "items: bench/known_items.jsonl, MRR (0 beyond 100).",
        table,
        *notices,
    ]
    if before is not None:
        parts.append(f"#### Misses before ({before['ref']})\n\n{details(before)}")
    parts.append(f"#### Misses {'after ' if before is not None else ''}(this checkout)\n\n{details(after)}")
    return "\n\n".join(parts)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", metavar="GIT_REF", help="also measure this commit's code first, in the same run")
    parser.add_argument("--names", type=int, default=NAMES, help=f"people drawn from the sample (default {NAMES})")
    parser.add_argument("--write-doc", action="store_true", help="replace this section of docs/benchmarks.md")
    parser.add_argument("--measure-into", type=Path, help=argparse.SUPPRESS)  # internal: the baseline's process
    arguments = parser.parse_args(argv)
    if arguments.measure_into:
        arguments.measure_into.write_text(json.dumps(measure(arguments.names)))
        return
    before = measure_baseline(arguments.baseline, arguments.names) if arguments.baseline else None
    after = measure(arguments.names)
    section = report(after, before, argv)
    print(section)
    if arguments.write_doc:
        benchlib.write_doc_section("search-cases", section)


if __name__ == "__main__":
    main()
