"""The JSON API (``/api``). Parameters and field names follow Hugging Face's API."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from paperfeed import ranking
from paperfeed.catalog import listings
from paperfeed.errors import InvalidInput
from paperfeed.periods import Period, day_period, parse_day, parse_month, parse_week
from paperfeed.web.ratelimit import limit
from paperfeed.web.deps import ConnectionDep, NowDep, SettingsDep
from paperfeed.search import SearchFilters, SearchRequest, search_filters
from paperfeed.catalog.shapes import (DailyPaperOut, ErrorOut, PaperOut, SearchItemOut, daily_paper_out, paper_out,
                                  search_item_out, unmatched_item_out)

MAX_LIMIT = 100
MAX_CURSOR_CHARS = 400
router = APIRouter(prefix="/api", dependencies=[limit("api")], tags=["api"], responses={400: {"model": ErrorOut}, 404: {"model": ErrorOut}})


@router.get("/daily_papers", response_model=list[DailyPaperOut], response_model_exclude_none=False)
def daily_papers(
    connection: ConnectionDep,
    settings: SettingsDep,
    now: NowDep,
    date: Annotated[str | None, Query(description="a day, YYYY-MM-DD")] = None,
    week: Annotated[str | None, Query(description="an ISO week, YYYY-Www")] = None,
    month: Annotated[str | None, Query(description="a month, YYYY-MM")] = None,
    sort: Annotated[Literal["upvotes", "publishedAt", "trending"], Query()] = "upvotes",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"items per page, 1-{MAX_LIMIT}")] = 50,
    p: Annotated[int, Query(ge=0, le=100_000, description="page number, from 0")] = 0,
    submitter: Annotated[str | None, Query(max_length=200, description="only the papers this username listed "
                                           "(letter case ignored); with no period, of every day")] = None,
    votes: Annotated[float | None, Query(ge=0, le=ranking.MAX_WEIGHT, description="sort=trending: what an "
                                         "upvote is worth (default PAPERFEED_TRENDING_VOTE_WEIGHT, 1)")] = None,
    comments: Annotated[float | None, Query(ge=0, le=ranking.MAX_WEIGHT, description="sort=trending: what a "
                                            "comment is worth (default PAPERFEED_TRENDING_COMMENT_WEIGHT, 2)")] = None,
    stars: Annotated[float | None, Query(ge=0, le=ranking.MAX_WEIGHT, description="sort=trending: the weight of "
                                         "log2(1 + GitHub stars) (default PAPERFEED_TRENDING_STAR_WEIGHT, 1)")] = None,
    gravity: Annotated[float | None, Query(ge=0, le=ranking.MAX_GRAVITY, description="sort=trending: the age "
                                           "exponent (default PAPERFEED_TRENDING_GRAVITY, 1.5)")] = None,
) -> list[DailyPaperOut]:
    """Listed papers of a day, a week or a month (default: the latest day), most upvoted first.

    ``sort=publishedAt`` puts the newest papers first, by the paper's own date (``paper.publishedAt``,
    the date Hugging Face's client prints; listing time breaks ties), as Hugging Face orders them. ``sort=trending`` ranks by the
    trending score (docs/ranking.md) and adds a ``trending`` object with the score's parts; without
    a period it covers the trending window (the last ``PAPERFEED_TRENDING_WINDOW_DAYS`` days).
    ``submitter`` keeps one member's listings; without a period (and without trending) those of
    every day, as Hugging Face's ``hf papers ls --submitter NAME`` expects. With ``sort=trending``,
    ``votes``, ``comments``, ``stars`` and ``gravity`` re-weight the formula (as on /papers/trending).
    """
    period = _requested_period(date=date, week=week, month=month)
    weights = _trending_weights(settings, sort=sort, votes=votes, comments=comments, stars=stars, gravity=gravity)
    submitter = (submitter or "").strip() or None
    offset = p * limit
    if sort == "trending" and period is None:
        page = listings.trending_page(connection, now=now, window_days=settings.trending_window_days,
                                     weights=weights, limit=limit, offset=offset, submitter=submitter)
        return [daily_paper_out(item, score) for item, score in page.items]
    if period is None and submitter is None:
        latest = listings.latest_day(connection, today=now.date())
        if latest is None:
            return []
        period = day_period(latest)
    if sort == "trending":
        as_of = min(now, datetime.combine(period.last_day + timedelta(days=1), time(0), tzinfo=UTC))
        ranked, _ = listings.ranked_by_trending(connection, first_day=period.first_day, last_day=period.last_day,
                                               as_of=as_of, weights=weights, limit=limit,
                                               offset=offset, submitter=submitter)
        return [daily_paper_out(item, score) for item, score in ranked]
    first_day, last_day = (period.first_day, period.last_day) if period else (None, None)
    items = listings.listed_between(connection, first_day=first_day, last_day=last_day, limit=limit, offset=offset,
                                    order="upvotes" if sort == "upvotes" else "published", submitter=submitter)
    return [daily_paper_out(item) for item in items]


def _trending_weights(settings, *, sort: str, **given: float | None) -> ranking.TrendingWeights:
    """The trending formula's weights: the settings' defaults, replaced by those given; a weight
    given without ``sort=trending`` is a mistake worth naming (it would change nothing)."""
    chosen = {name: value for name, value in given.items() if value is not None}
    if chosen and sort != "trending":
        raise InvalidInput("weights the trending score: add sort=trending", field=next(iter(chosen)))
    return replace(settings.trending_weights, **chosen)


def _requested_period(*, date: str | None, week: str | None, month: str | None) -> Period | None:
    given = [name for name, value in (("date", date), ("week", week), ("month", month)) if value is not None]
    if len(given) > 1:
        raise InvalidInput(f"give only one of date, week and month (got {', '.join(given)})", field=given[1])
    if date is not None:
        return day_period(parse_day(date))
    if week is not None:
        return parse_week(week)
    if month is not None:
        return parse_month(month)
    return None


@router.get("/papers", response_model=list[PaperOut])
def every_paper(
    request: Request,
    response: Response,
    connection: ConnectionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"papers per page, 1-{MAX_LIMIT}")] = 20,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_CHARS, description="where the page starts: "
                                        "from the Link header of the page before")] = None,
) -> list[PaperOut]:
    """Every paper, newest first (the paper's date), as Hugging Face's ``GET /api/papers?cursor=&limit=``.
    The ``Link`` header's ``rel="next"`` address (RFC 8288) gives the next page; the last has none."""
    page = listings.papers_page(connection, limit=limit, cursor=cursor)
    _link_next_page(request, response, page.next_cursor)
    return [paper_out(paper, listing) for paper, listing in page.items]


@router.get("/papers/search", response_model=list[SearchItemOut])
def search_papers(
    request: Request,
    response: Response,
    connection: ConnectionDep,
    q: Annotated[str, Query(description="words, and \"quoted phrases\"; none: every paper, newest first")] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"results, 1-{MAX_LIMIT}")] = 20,
    p: Annotated[int, Query(ge=0, le=1_000, description="page number, from 0")] = 0,
    since: Annotated[str | None, Query(description="papers from this day on, YYYY-MM-DD")] = None,
    until: Annotated[str | None, Query(description="papers up to this day, YYYY-MM-DD")] = None,
    category: Annotated[list[str] | None, Query(description="arXiv category, e.g. cs.CL (repeatable)")] = None,
    author: Annotated[str | None, Query(description="only this author's papers (accents and case ignored; "
                                                    "one word: a last name); with no q, all of them, newest first")
                      ] = None,
    sort: Annotated[str, Query(pattern="^(relevance|newest|upvotes)$",
                               description="relevance (default), newest (paper's date) or upvotes")] = "relevance",
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_CHARS, description="with no q: where the page "
                                        "starts, from the Link header of the page before")] = None,
) -> list[SearchItemOut]:
    """Papers matching a query, most relevant first, with the matched words marked. A query that is a
    person's name ranks that person's papers first; one that names a paper (an arXiv id or link, a
    DOI) returns that paper alone. With no q (and no author): every paper, newest first, paged by
    the ``Link`` header's cursor, as Hugging Face's ``list_papers()`` gets."""
    if not q.strip() and not (author or "").strip():
        filters = search_filters(since=since, until=until, categories=category)
        return _every_paper_found(request, response, connection, limit=limit, offset=p * limit, filters=filters,
                                  sort=sort, cursor=cursor)
    if cursor is not None:
        raise InvalidInput("pages the list of every paper (no q); page search results with p",
                           field="cursor")
    wanted = SearchRequest.from_parameters(q=q, since=since, until=until, categories=category, author=author,
                                           sort=sort, page=p + 1, page_size=limit)
    found = request.app.state.search.search(connection, wanted)
    _tell_how_it_was_read(response, found)
    return [search_item_out(hit) for hit in found.hits]


def _tell_how_it_was_read(response: Response, found) -> None:
    """What the search page says above its results, as headers a client can show: the query searched
    when a word was taken for another (``X-Search-Query``), and the notice (``X-Search-Notice``),
    percent-encoded UTF-8 (RFC 3986 §2.1), as header values are Latin-1 only."""
    if found.corrections:
        response.headers["X-Search-Query"] = quote(found.query.text)
    if found.notice:
        response.headers["X-Search-Notice"] = quote(found.notice)


def _every_paper_found(request: Request, response: Response, connection, *, limit: int, offset: int,
                       filters: SearchFilters, sort: str, cursor: str | None) -> list[SearchItemOut]:
    """``/api/papers/search`` with no words: every paper (of ``since`` .. ``until``), newest first."""
    if filters.categories:
        raise InvalidInput("give q as well (the list of every paper takes since and until)",
                           field="category")
    if sort == "upvotes":
        raise InvalidInput("the list of every paper (no q) is newest first; sort=upvotes needs q",
                           field="sort")
    page = listings.papers_page(connection, limit=limit, cursor=cursor, offset=offset, since=filters.since,
                                until=filters.until)
    _link_next_page(request, response, page.next_cursor)
    return [unmatched_item_out(paper, listing) for paper, listing in page.items]


def _link_next_page(request: Request, response: Response, next_cursor: str | None) -> None:
    """``Link: <...>; rel="next"`` (RFC 8288, GitHub's and the Hugging Face Hub's way of paging) when
    there is a next page: this request's address with the cursor in it and the page number out."""
    if next_cursor is not None:
        address = request.url.remove_query_params("p").include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{address}>; rel="next"'


@router.get("/papers/{paper_id:path}", response_model=PaperOut)
def get_paper(paper_id: str, connection: ConnectionDep) -> PaperOut:
    """One paper by id (``2406.01234``, ``2406.01234v2``, ``hep-th/9901001`` or ``source:id``)."""
    detail = listings.paper_detail(connection, paper_id)
    return paper_out(detail.paper, detail.listing)
