"""Words the index does not hold, matched to the nearest words it does ("did you mean").

A query word whose stem no paper holds is compared with the indexed stems that share
its first two letters, by Damerau-Levenshtein distance (an insertion, deletion,
substitution or swap of neighbours costs 1): at most 1 for words up to five letters,
2 for longer ones, as Lucene's and tantivy's fuzzy queries allow. Among the nearest,
the stem most papers hold wins. The word shown is read back from a paper that holds
it, so "tokenzier" is shown as "tokenizer", not as the stem "token".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein

from paperfeed.search.highlight import stem

MIN_LETTERS = 4
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Correction:
    """A query word the index lacks, and the indexed word it was taken for."""

    typed: str
    meant: str


def allowed_distance(word: str) -> int:
    return 1 if len(word) <= 5 else 2


def nearest_stem(typed_stem: str, vocabulary: list[tuple[str, int]]) -> str | None:
    """The stem of ``vocabulary`` (``(stem, papers)``) nearest ``typed_stem``, most papers first."""
    limit = allowed_distance(typed_stem)
    best: tuple[int, int, str] | None = None
    for candidate, papers in vocabulary:
        if candidate == typed_stem or abs(len(candidate) - len(typed_stem)) > limit:
            continue
        distance = DamerauLevenshtein.distance(typed_stem, candidate, score_cutoff=limit)
        if distance <= limit and (best is None or (distance, -papers) < best[:2]):
            best = (distance, -papers, candidate)
    return best[2] if best else None


def written_form(text: str, wanted_stem: str, typed: str) -> str | None:
    """The word of ``text`` (lower case) whose stem is ``wanted_stem`` that is nearest ``typed``:
    "tokenzier" is shown as "tokenizer" where the text has both "tokenization" and "tokenizer"."""
    forms = {word.lower() for word in _WORD.findall(text) if stem(word) == wanted_stem}
    return min(forms, key=lambda form: (DamerauLevenshtein.distance(typed, form), form), default=None)


def needs_checking(word: str) -> bool:
    """Long enough and made of letters: digits, ids and short words are taken as typed."""
    return len(word) >= MIN_LETTERS and word.isalpha()
