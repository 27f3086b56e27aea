"""Reading a query before it is searched: the person it names, its language, and the words
mistyped in it, in that order, so that a name is never "corrected" (issue 25).

``read_query`` asks the keyword index what it holds (author keys, written words, stems) and
returns a :class:`QueryReading`; the search service searches what it says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperfeed.search.authors import NameInQuery, fold, name_in_query
from paperfeed.search.highlighting import stem
from paperfeed.search.keyword import KeywordIndex
from paperfeed.search.language import query_language
from paperfeed.search.query import SearchQuery, parse_search_query
from paperfeed.search.request import SearchRequest
from paperfeed.search.spelling import Correction, nearest_word, needs_checking, prefixes

# A word of a query is taken for a last name when more papers have it in an author's name than
# this many times those that have it in their title or abstract: "Levine" and "He" are names,
# "Long" (a surname too) is a word. Measured on the bundled sample (bench/search_cases.py).
NAME_OVER_TEXT = 1
# A typed word that no paper holds as written but whose stem some do is searched by its stem, unless
# the written word nearest it is held by this many times more papers (a typo whose stem collides).
STEM_OVERRULED = 10


@dataclass(frozen=True, slots=True)
class QueryReading:
    """How a query is read before anything is searched: who it names, what it is about, its
    language, and the mistyped words taken for others."""

    query: SearchQuery  # the whole query, corrected
    topic: SearchQuery | None  # the words beside the name (the whole query when it names nobody)
    name: NameInQuery | None = None
    language: str | None = None
    corrections: tuple[Correction, ...] = ()


def read_query(index: KeywordIndex, request: SearchRequest) -> QueryReading:
    """How the query is read: the person it names (checked first, so names are never corrected),
    its language, and its words that no paper holds taken for the nearest words papers do hold
    (unless ``request.exact`` or the query is by example). A query in another language is
    corrected too: its words that differ from English ones by an accent or a letter
    ("générative") are found as those (measured on the French known-item queries)."""
    query = request.query
    name = None
    if request.filters.author_key is None and request.like_paper is None:
        name = name_in_query(query.text, known=index.author_known,
                             mostly_a_name=lambda word, capitalised: mostly_a_name(index, word, capitalised))
    topic = without_name(query, name.words) if name else query
    language = query_language(topic.text) if topic is not None and request.like_paper is None else None
    if request.exact or request.like_paper is not None or topic is None:
        return QueryReading(query, topic, name, language)
    found = tuple(corrections(index, topic))
    if found:
        query, topic = corrected(query, found), corrected(topic, found)
    return QueryReading(query, topic, name, language, found)


def mostly_a_name(index: KeywordIndex, word: str, capitalised: bool) -> bool:
    """Whether a word alone is taken for a last name: more papers have it in an author's name than
    :data:`NAME_OVER_TEXT` times those that have it in their text, and it is typed with a capital
    or no paper's text has it at all: "levine" and "Song" are names, "song generation" is about
    songs (the sample's papers say "song" 17 times, and 706 have an author called Song)."""
    in_text = index.stem_frequency(stem(word))
    return (capitalised or in_text == 0) and index.name_frequency(word) > NAME_OVER_TEXT * in_text


def corrections(index: KeywordIndex, query: SearchQuery) -> list[Correction]:
    """The query's words that no paper holds as written in any field, each with the nearest
    written word that papers do hold (:mod:`spelling`); words with no near one are searched as
    typed. A word whose stem papers hold ("tokenizers", "reasonning") is searched by that stem,
    unless the word near it is another word that many more papers hold: "resoning" (whose stem
    is resonance's) is read as "reasoning"."""
    found, unmatched = [], 0
    for word in query.words:
        if not needs_checking(word) or index.written_frequency(word) > 0:
            continue
        meant = nearest_word(word, [entry for prefix in prefixes(word) for entry in index.words_starting(prefix)])
        by_stem = index.stem_frequency(stem(word))
        if meant is None:
            unmatched += by_stem == 0
        elif not by_stem or stem(meant) == stem(word) or index.written_frequency(meant) >= STEM_OVERRULED * by_stem:
            found.append(Correction(word, meant))
    # Half or more of the words have nothing near ("sdfkjh sdkfj wert", "glimbor vexatrude"):
    # keyboard mash, not typos. Reading its near words ("wert" as "wer") would find papers for a
    # query that means nothing.
    return [] if unmatched * 2 >= len(query.words) else found


def corrected(query: SearchQuery, found: tuple[Correction, ...]) -> SearchQuery:
    """The query with each mistyped word replaced by the word it was taken for."""
    text = query.text
    for correction in found:
        text = re.sub(rf"\b{re.escape(correction.typed)}\b", correction.meant, text, flags=re.IGNORECASE)
    return parse_search_query(text, allow_empty=True)


def without_name(query: SearchQuery, name: tuple[str, ...]) -> SearchQuery | None:
    """The query less the words of a name (folded as names are), or None when nothing else is left."""
    words = tuple(word for word in query.words if fold(word) not in name)
    if not words:
        return None
    phrases = tuple(phrase for phrase in query.phrases if not any(fold(word) in name for word in phrase))
    return SearchQuery(" ".join(words), words, phrases)
