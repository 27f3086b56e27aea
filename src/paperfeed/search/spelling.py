"""Words no paper holds, matched to the nearest words papers do hold ("did you mean").

A query word is checked only when no paper holds it in any field: as written in a
title or abstract, as the plain form of a formula, as a word of an author's name
(accents folded), or by its stem. Names are never corrected: "Levine" and "Stanić"
are words of the index like any other.

A word to correct is compared, as written, with the written words of the index that
begin as it does (its first two letters, those swapped, or its first and third:
"nueral" finds "neural"), by Damerau-Levenshtein distance (an insertion, deletion, substitution or
swap of neighbours costs 1): at most 1 for words up to seven letters, 2 for longer
ones. That is stricter than Elasticsearch's "AUTO" fuzziness (2 from six letters on),
because keyboard mash must stay nonsense: with 2 edits at six letters "poiuyt" was
read as "point" and "flurbo" as "flurry" (bench/search_cases.py). Function words
("were", "from") are never what a word was taken for. The nearest wins, and among
equally near words the one most papers hold: "tokenzier" is one swap from
"tokenizer" and two edits from "tokenize", so it is read as "tokenizer". Comparing
written words, not stems, is what tells those two apart (both stem to "token").
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from paperfeed.search.highlighting import FUNCTION_WORDS

MIN_LETTERS = 4
LONG_WORD = 8  # from this many letters on, a word may be two edits from the word meant


@dataclass(frozen=True, slots=True)
class Correction:
    """A query word the index lacks, and the indexed word it was taken for."""

    typed: str
    meant: str


def allowed_distance(word: str) -> int:
    return 1 if len(word) < LONG_WORD else 2


def prefixes(word: str) -> set[str]:
    """The two-letter beginnings a word's candidates are looked up by: its own, with the first
    two letters swapped ("nueral" is looked for among "un…" too), and with the second letter left
    out or swapped with the third ("nueral" among "ne…", where "neural" is). Two letters, not one:
    at a million papers the words beginning with one letter are a hundred thousand."""
    word = word.lower()
    return {word[:2], word[1::-1], word[0] + word[2:3]}


def nearest_word(typed: str, vocabulary: list[tuple[str, int]]) -> str | None:
    """The word of ``vocabulary`` (``(word, papers)``) nearest ``typed`` (lower case), within
    :func:`allowed_distance`; among equally near words, the one most papers hold, then the first
    in alphabetical order. None when no word is near enough."""
    typed = typed.lower()
    limit = allowed_distance(typed)
    words = [word for word, _ in vocabulary
             if word != typed and abs(len(word) - len(typed)) <= limit and word not in FUNCTION_WORDS]
    papers = dict(vocabulary)
    near = process.extract(typed, words, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=None)
    best = min(((distance, -papers[word], word) for word, distance, _ in near), default=None)
    return best[2] if best else None


def needs_checking(word: str) -> bool:
    """Long enough and made of letters: digits, ids and short words are taken as typed."""
    return len(word) >= MIN_LETTERS and word.isalpha()
