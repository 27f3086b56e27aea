"""Search filters as they arrive in a URL, checked and turned into :class:`SearchFilters`."""

from __future__ import annotations

import re

from paperfeed.errors import InvalidInput
from paperfeed.periods import parse_day
from paperfeed.search.authors import filter_key
from paperfeed.search.query import MAX_AUTHOR_CHARS
from paperfeed.search.service import SearchFilters

_CATEGORY = re.compile(r"[A-Za-z][A-Za-z0-9.-]{0,31}")
MAX_CATEGORIES = 20


def search_filters(*, since: str | None, until: str | None, categories: list[str] | None,
                   author: str | None = None) -> SearchFilters:
    """Parse ``since`` / ``until`` (YYYY-MM-DD), categories and an author's name; empty values mean
    no filter."""
    first = parse_day(since, field="since") if since else None
    last = parse_day(until, field="until") if until else None
    if first and last and first > last:
        raise InvalidInput(f"since ({first}) is after until ({last})", field="since")
    chosen = tuple(dict.fromkeys(c.strip() for c in categories or () if c and c.strip()))
    if len(chosen) > MAX_CATEGORIES:
        raise InvalidInput(f"at most {MAX_CATEGORIES} categories", field="category")
    for category in chosen:
        check_category(category)
    author_key = None
    if author and author.strip():
        if len(author) > MAX_AUTHOR_CHARS:
            raise InvalidInput(f"the name has {len(author):,} characters; at most {MAX_AUTHOR_CHARS}", field="author")
        author_key = filter_key(author)
        if author_key is None:
            raise InvalidInput(f"{author[:40]!r} has no letters to look an author up by", field="author")
    return SearchFilters(first, last, chosen, author_key)


def check_category(category: str) -> None:
    """An arXiv-style category (``cs.CL``, ``q-bio.BM``), or :class:`InvalidInput` naming the field."""
    if not _CATEGORY.fullmatch(category):
        raise InvalidInput(f"{category[:40]!r} is not a category like cs.CL", field="category")
