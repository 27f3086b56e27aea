"""What a user typed, made safe to search with.

Search syntax is deliberately small: words, and "quoted phrases". Everything
else (operators, field prefixes, brackets, SQL) is read as plain words, so no
query can fail to parse or reach an engine's own syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperfeed.errors import InvalidInput

MAX_QUERY_CHARS = 1_000
MAX_TERMS = 64
_PHRASE = re.compile(r'"([^"]*)"')
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A cleaned query: the text as typed (trimmed), its words and its phrases."""

    text: str
    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...] = ()

    def keyword_syntax(self) -> str:
        """The query in tantivy's syntax: lower-case words (never operators) and quoted phrases."""
        parts = [f'"{" ".join(phrase)}"' for phrase in self.phrases if len(phrase) > 1]
        parts.extend(self.words)
        return " ".join(parts)


def parse_search_query(raw: str | None, *, field: str = "q") -> SearchQuery:
    """Clean a query; raise :class:`InvalidInput` with a sentence a user understands when it is unusable."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput("type some words to search for", field=field)
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"the query has {len(text):,} characters; at most {MAX_QUERY_CHARS:,} are searched",
                           field=field)
    phrases = tuple(tuple(_words(match)) for match in _PHRASE.findall(text))
    words = _words(_PHRASE.sub(" ", text)) + [word for phrase in phrases for word in phrase]
    if not words:
        raise InvalidInput("the query has no words to search for (only punctuation or symbols)", field=field)
    return SearchQuery(text, tuple(dict.fromkeys(words))[:MAX_TERMS], phrases)


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]
