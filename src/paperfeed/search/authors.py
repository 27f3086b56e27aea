"""Author names as search keys: one person however the name is written.

"Zifeng Wang", "Wang, Zifeng", "Z. Wang" and "Zífeng Wáng" are one key space:
accents are folded (Unicode NFKD, combining marks dropped), case and punctuation
are ignored, "Last, First" is turned around, and every name also has an initials
key ("z wang"), so a query in initials finds the full name. Two people who share a
name share its keys; the author page tells them apart by their co-authors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

MAX_NAME_CHARS = 200
MAX_NAME_WORDS = 6
MAX_QUERY_WORDS = 12  # a longer query is a description, not a name with a topic
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case without accents: "Wáng" -> "wang", "Ørsted" -> "orsted" (NFKD; ø, ł and ß by hand)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    return plain.translate(_UNDECOMPOSABLE)


_UNDECOMPOSABLE = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe"})


def name_words(name: str) -> list[str]:
    """The words of a name in reading order, folded: "Wang, Zifeng" -> ["zifeng", "wang"]."""
    name = name[:MAX_NAME_CHARS]
    if name.count(",") == 1:
        last, first = name.split(",")
        name = f"{first} {last}"
    return _WORD.findall(fold(name))


def author_keys(name: str) -> set[str]:
    """The keys a name is indexed under: the full name, its initials form ("z wang") and its last
    name ("last:wang", for ``author:Wang``)."""
    words = name_words(name)
    if not words:
        return set()
    keys = {" ".join(words), f"last:{words[-1]}"}
    if len(words) > 1:
        keys.add(" ".join([word[0] for word in words[:-1]] + [words[-1]]))
    return keys


def filter_key(name: str) -> str | None:
    """The key ``author:NAME`` restricts to: the whole name, or with one word the last name."""
    words = name_words(name)
    if not words:
        return None
    return f"last:{words[0]}" if len(words) == 1 else " ".join(words)


def has_author(authors: list[str], key: str) -> bool:
    """Whether one of ``authors`` has this key."""
    return any(key in author_keys(name) for name in authors)


def query_key(text: str) -> str | None:
    """The key a typed name looks up ("Z. Wang" -> "z wang"), or None when ``text`` does not look
    like a name (one word, more than six, or digits)."""
    if any(character.isdigit() for character in text):
        return None
    words = name_words(text)
    if not 2 <= len(words) <= MAX_NAME_WORDS:
        return None
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class NameInQuery:
    """The part of a query that names a person: the key their papers are indexed under, and the
    query's words that make the name (folded); the other words are what the query is about."""

    key: str
    words: tuple[str, ...]


def name_in_query(text: str, *, known: Callable[[str], bool],
                  mostly_a_name: Callable[[str, bool], bool]) -> NameInQuery | None:
    """The person ``text`` names, if any: the whole of it ("Sergey Levine", "Levine, Sergey",
    "S. Levine", "Aleksandar Stanic"), or a name at its start or end with topic words beside it
    ("Levine offline reinforcement learning", "diffusion models Kaiming He").

    ``known(key)`` says whether some paper has an author of that key (:func:`author_keys`). A name
    of two or more words counts when known; a single word (a last name) only when it is also
    ``mostly_a_name(word, capitalised)``: "Levine" is, "long" (a surname too) is not. The longest
    name wins."""
    whole = query_key(text)
    if whole is not None and known(whole):
        return NameInQuery(whole, tuple(whole.split()))
    words = _WORD.findall(fold(text[:MAX_NAME_CHARS * 2]))
    if not words or len(words) > MAX_QUERY_WORDS:
        return None
    for size in range(min(3, len(words)), 1, -1):
        for span in (words[:size], words[-size:]):
            if known(" ".join(span)):
                return NameInQuery(" ".join(span), tuple(span))
    for word in dict.fromkeys((words[0], words[-1])):
        capitalised = any(typed[:1].isupper() for typed in re.findall(r"[^\W\d_]+", text) if fold(typed) == word)
        if len(word) >= 2 and known(f"last:{word}") and mostly_a_name(word, capitalised):
            return NameInQuery(f"last:{word}", (word,))
    return None
