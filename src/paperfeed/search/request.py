"""A search as it arrives (the raw parameters of the page, the API, the feeds and the CLI),
checked once and turned into a :class:`SearchRequest`.

Every caller passes what the user typed to :meth:`SearchRequest.from_parameters`; a bad value
raises :class:`InvalidInput` naming the parameter, so no caller parses a query or a filter itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from paperfeed.errors import InvalidInput
from paperfeed.models import Paper
from paperfeed.periods import parse_day
from paperfeed.search.authors import filter_key, has_author
from paperfeed.search.query import MAX_AUTHOR_CHARS, SearchQuery, parse_search_query

SORTS = ("relevance", "newest", "upvotes")  # how results may be ordered (sort= on the page, API, CLI)
MAX_CATEGORIES = 20
MAX_PAGE_SIZE = 1_000
_CATEGORY = re.compile(r"[A-Za-z][A-Za-z0-9.-]{0,31}")


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Optional limits on what a search returns."""

    since: date | None = None
    until: date | None = None
    categories: tuple[str, ...] = ()
    author_key: str | None = None  # authors.filter_key of author:NAME or the author= parameter

    def admits(self, paper: Paper) -> bool:
        """Whether ``paper`` passes every filter (the keyword index applies the same ones itself)."""
        if self.author_key and not has_author(paper.authors, self.author_key):
            return False
        if (self.since or self.until) and paper.published_on is None:
            return False
        if self.since and paper.published_on < self.since:
            return False
        if self.until and paper.published_on > self.until:
            return False
        return not self.categories or bool(set(self.categories) & set(paper.categories))


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One search: the query, its filters, the order and the page wanted."""

    query: SearchQuery
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: str = "relevance"
    page: int = 1  # from 1
    page_size: int = 20
    like_paper: str | None = None  # "more like this paper": its vector joins the query's words
    exact: bool = False  # search the words as typed, never as the words they seem to mean

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @classmethod
    def from_parameters(
        cls, *, q: str | None, since: str | None = None, until: str | None = None,
        categories: list[str] | str | None = None, author: str | None = None, sort: str = "relevance",
        page: int = 1, page_size: int = 20, like_paper: str | None = None, exact: bool = False,
        query_field: str = "q",
    ) -> SearchRequest:
        """Check the raw parameters: ``categories`` as a list or comma-separated, days as YYYY-MM-DD,
        ``author`` a name (one word: a last name). With an author, no words mean all their papers."""
        if sort not in SORTS:
            raise InvalidInput(f"sort must be one of {', '.join(SORTS)}, not {sort[:40]!r}", field="sort")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidInput(f"results per page must be 1 to {MAX_PAGE_SIZE:,}", field="limit")
        if page < 1:
            raise InvalidInput("pages are numbered from 1", field="page")
        if isinstance(categories, str):
            categories = categories.split(",")
        filters = search_filters(since=since, until=until, categories=categories, author=author)
        query = parse_search_query(q, field=query_field, allow_empty=filters.author_key is not None)
        if query.author and filters.author_key is None:  # author:NAME typed in the query
            filters = SearchFilters(filters.since, filters.until, filters.categories, filter_key(query.author))
        return cls(query, filters, sort, page, page_size, like_paper, exact)


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
