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
# author:"Zifeng Wang" or author:Pfister, anywhere in the query; an unclosed quote runs to the end.
_AUTHOR = re.compile(r'\bauthor:(?:"(?P<quoted>[^"]*)"?|(?P<word>\S*))', re.IGNORECASE)
MAX_AUTHOR_CHARS = 200
_WORD = re.compile(r"\w+", re.UNICODE)
_SCRIPT = re.compile(r"([^\W_]+)\^\{?([^\W_]+)\}?", re.UNICODE)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A cleaned query: the text as typed (trimmed), its words and its phrases."""

    text: str
    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...] = ()
    author: str | None = None  # author:"NAME" in the query: only that author's papers


def parse_search_query(raw: str | None, *, field: str = "q", allow_empty: bool = False) -> SearchQuery:
    """Clean a query; raise :class:`InvalidInput` with a sentence a user understands when it is unusable.
    With ``allow_empty`` (an author filter given apart), no words means all of that author's papers."""
    text = (raw or "").strip()
    if not text and allow_empty:
        return SearchQuery("", ())
    if not text:
        raise InvalidInput("type some words to search for", field=field)
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"the query has {len(text):,} characters; at most {MAX_QUERY_CHARS:,} are searched",
                           field=field)
    author, rest = _author_filter(text, field)
    phrases = tuple(tuple(_words(match)) for match in _PHRASE.findall(rest))
    words = _words(_PHRASE.sub(" ", rest)) + [word for phrase in phrases for word in phrase]
    if not words and author is None:
        raise InvalidInput("the query has no words to search for (only punctuation or symbols)", field=field)
    return SearchQuery(text, tuple(dict.fromkeys(words))[:MAX_TERMS], phrases, author)


def _author_filter(text: str, field: str) -> tuple[str | None, str]:
    """``author:NAME`` taken out of the query: the name, and the rest of the query."""
    match = _AUTHOR.search(text)
    if match is None:
        return None, text
    name = (match["quoted"] if match["quoted"] is not None else match["word"] or "").strip()
    if not name:
        raise InvalidInput('author: needs a name after it, e.g. author:"Zifeng Wang"', field=field)
    if len(name) > MAX_AUTHOR_CHARS:
        raise InvalidInput(f"the author's name has {len(name):,} characters; at most {MAX_AUTHOR_CHARS} are "
                           "searched", field=field)
    return name, text[:match.start()] + " " + text[match.end():]


def _words(text: str) -> list[str]:
    """The words of ``text``, lower case; a word with a superscript or subscript typed with ``^`` or
    ``_`` ("Synth^2", "MVD^{2}") also as one word ("synth2"), as the index holds formulas' plain forms."""
    joined = [f"{base}{script}".lower() for base, script in _SCRIPT.findall(text)]
    return [word.lower() for word in _WORD.findall(text)] + joined
