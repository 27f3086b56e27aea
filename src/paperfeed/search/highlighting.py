"""Marking the words of a text that a query matched, as Hugging Face's
``highlightedTitle`` / ``highlightedSummary``: a list of ``{type: text|highlight, text}``.

A word is highlighted when its stem is one of the query's stems, the same
analysis the keyword index uses, so "decoding" lights up for "decode".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from paperfeed.search.keyword import stemming_analyzer

_WORD = re.compile(r"\w+", re.UNICODE)
_ANALYZER = stemming_analyzer()


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The index's stem of one word (lower-cased, English Snowball)."""
    tokens = _ANALYZER.analyze(word)
    return tokens[0] if tokens else word.lower()


# Function words still count for ranking (BM25 gives them little weight) but are not marked.
FUNCTION_WORDS = frozenset("a an and are as at be by for from has have in is it its of on or that the this to "
                      "was were which with".split())


def query_stems(words: tuple[str, ...]) -> frozenset[str]:
    """The stems of a query's words, less function words."""
    return frozenset(stem(word) for word in words if word.lower() not in FUNCTION_WORDS)


@lru_cache(maxsize=4_096)
def _candidates(stems: frozenset[str]) -> re.Pattern | None:
    """A pattern for words that may share one of ``stems``: words starting with the stem less its
    last two letters (Snowball rewrites endings, e.g. happy -> happi). Each hit is checked by stemming."""
    if not stems:
        return None
    prefixes = sorted({s if len(s) <= 3 else s[: max(3, len(s) - 2)] for s in stems}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, prefixes)) + r")\w*", re.IGNORECASE | re.UNICODE)


def highlight(text: str, stems: frozenset[str], *, stemmer: Callable[[str], str] = stem) -> list[dict]:
    """Split ``text`` into text and highlight segments; adjacent segments of one type are merged."""
    segments: list[dict] = []
    position = 0
    pattern = _candidates(stems)
    for match in pattern.finditer(text) if pattern else ():
        if stemmer(match.group()) in stems:
            _append(segments, "text", text[position:match.start()])
            _append(segments, "highlight", match.group())
            position = match.end()
    _append(segments, "text", text[position:])
    return segments


def _append(segments: list[dict], kind: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1]["type"] == kind:
        segments[-1]["text"] += text
    else:
        segments.append({"type": kind, "text": text})
