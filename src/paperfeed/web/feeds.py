"""RSS and Atom feeds of every list: daily, weekly, monthly, trending, a search, an author, a
category, an organisation, a public collection, and a member's private feed (a secret URL).

Every feed URL ends in ``.atom`` or ``.rss``. Answers carry an ``ETag`` (a hash of the body) and
``Last-Modified`` (the newest entry); a reader that sends ``If-None-Match`` or
``If-Modified-Since`` gets ``304 Not Modified`` when nothing changed (RFC 9110 §13.1.2, §13.2.2:
``If-None-Match`` wins when both are sent).
"""

from __future__ import annotations

from urllib.parse import quote
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from paperfeed import ranking
from paperfeed.catalog import listings
from paperfeed.catalog import feeds, organizations
from paperfeed.community import follows
from paperfeed.community import collections
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.periods import day_period, month_period, week_period
from paperfeed.web.conditional import body_etag, http_date, not_modified
from paperfeed.web.deps import ConnectionDep, NowDep, RowId, SettingsDep, site_url
from paperfeed.search import SearchRequest, check_category

router = APIRouter(include_in_schema=False)
FEED_SIZE = 50
Format = Annotated[str, Path(pattern="^(atom|rss)$", description="atom or rss")]
WeightText = Annotated[str, Query(max_length=30)]


def _answer(request: Request, info: feeds.FeedInfo, entries: list[feeds.FeedEntry], fmt: str, *,
            private: bool = False) -> Response:
    body = feeds.render(info, entries, fmt)
    etag = body_etag(body)
    modified = feeds.last_modified(entries)
    headers = {"ETag": etag, "Last-Modified": http_date(modified)}
    if private:  # a public feed is cached like every page for visitors (web/page_cache.py)
        headers["Cache-Control"] = "private, max-age=300"
    if not_modified(request.headers, etag, modified):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=feeds.FORMATS[fmt], headers=headers)


def _info(request: Request, title: str, description: str, page: str) -> feeds.FeedInfo:
    base, site = site_url(request), request.app.state.settings.site_name
    self_url = base + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return feeds.FeedInfo(f"{title} · {site}", description, self_url, base + page)


def _period_feed(request: Request, connection, period, fmt: str, title: str, page: str) -> Response:
    listing = listings.listing_page(connection, period, limit=FEED_SIZE)
    entries = [feeds.entry(item.paper, site_url(request), listed=item.listing.listed_on) for item in listing.items]
    return _answer(request, _info(request, f"{title} {period.label}", f"Papers listed {period.label}, most upvoted first.",
                                  page), entries, fmt)


@router.get("/feeds/daily.{fmt}")
def daily_feed(fmt: Format, request: Request, connection: ConnectionDep, now: NowDep) -> Response:
    """The latest day's papers (the front page)."""
    day = listings.latest_day(connection, today=now.date()) or now.date()
    return _period_feed(request, connection, day_period(day), fmt, "Daily papers", f"/papers/date/{day}")


@router.get("/feeds/weekly.{fmt}")
def weekly_feed(fmt: Format, request: Request, connection: ConnectionDep, now: NowDep) -> Response:
    period = week_period(listings.latest_day(connection, today=now.date()) or now.date())
    return _period_feed(request, connection, period, fmt, "Papers of the week", f"/papers/week/{period.key}")


@router.get("/feeds/monthly.{fmt}")
def monthly_feed(fmt: Format, request: Request, connection: ConnectionDep, now: NowDep) -> Response:
    period = month_period(listings.latest_day(connection, today=now.date()) or now.date())
    return _period_feed(request, connection, period, fmt, "Papers of the month", f"/papers/month/{period.key}")


@router.get("/feeds/trending.{fmt}")
def trending_feed(fmt: Format, request: Request, connection: ConnectionDep, settings: SettingsDep,
                  now: NowDep, votes: WeightText = "", comments: WeightText = "", stars: WeightText = "",
                  gravity: WeightText = "") -> Response:
    """Trending, with the weights of /papers/trending's address when it has some."""
    given = {"votes": votes, "comments": comments, "stars": stars, "gravity": gravity}
    weights = ranking.parse_trending_weights(given, defaults=settings.trending_weights)
    trending = listings.trending_page(connection, now=now, window_days=settings.trending_window_days,
                                     weights=weights, limit=FEED_SIZE)
    entries = [feeds.entry(item.paper, site_url(request), listed=item.listing.listed_on) for item, _ in trending.items]
    page = "/papers/trending" + (f"?{request.url.query}" if request.url.query else "")
    return _answer(request, _info(request, "Trending papers", "Papers gaining upvotes fastest.", page), entries, fmt)


@router.get("/feeds/search.{fmt}")
def search_feed(
    fmt: Format, request: Request, connection: ConnectionDep,
    q: Annotated[str, Query(max_length=10_000)] = "", category: str = "", since: str = "", until: str = "",
    author: str = "",
) -> Response:
    """The best matches of a search, newest first: subscribe to a topic (or a person's papers)."""
    wanted = SearchRequest.from_parameters(q=q, since=since or None, until=until or None, categories=category,
                                           author=author or None, page_size=FEED_SIZE)
    found = request.app.state.search.search(connection, wanted)
    # Newest first; but a query that names a person keeps the search's order: their papers (newest
    # first), then the others, as the page and the API rank them.
    hits = found.hits if found.author else sorted(
        found.hits, key=lambda hit: (hit.paper.published_on is not None, hit.paper.published_on), reverse=True)
    entries = [feeds.entry(hit.paper, site_url(request), listed=hit.listing.listed_on if hit.listing else None)
               for hit in hits]
    page = "/search?" + request.url.query
    return _answer(request, _info(request, f"Search: {q.strip()}", f"Papers matching “{q.strip()}”.", page),
                   entries, fmt)


@router.get("/feeds/authors/{name}.{fmt}")
def author_feed(name: str, fmt: Format, request: Request, connection: ConnectionDep) -> Response:
    _check_name(name, "name")
    found = follows.papers_by_author(connection, name, limit=FEED_SIZE)
    if not found:
        raise NotFound(f"no papers by {name}")
    entries = [feeds.entry(paper, site_url(request)) for paper in found]
    return _answer(request, _info(request, f"Papers by {name}", f"New papers by {name}.",
                                  f"/authors/{quote(name)}"), entries, fmt)


@router.get("/feeds/orgs/{name:path}.{fmt}")
def organization_feed(name: str, fmt: Format, request: Request, connection: ConnectionDep) -> Response:
    """An organisation's newest papers (what /orgs/{name} shows first)."""
    found = organizations.organization_page(connection, name, limit=FEED_SIZE)
    entries = [feeds.entry(item.paper, site_url(request), listed=item.listing.listed_on if item.listing else None)
               for item in found.items]
    return _answer(request, _info(request, f"Papers from {name}", f"The newest papers from {name}.",
                                  f"/orgs/{quote(name)}"), entries, fmt)


@router.get("/feeds/categories/{category}.{fmt}")
def category_feed(category: str, fmt: Format, request: Request, connection: ConnectionDep) -> Response:
    check_category(category)
    entries = [feeds.entry(paper, site_url(request))
               for paper in follows.papers_in_category(connection, category, limit=FEED_SIZE)]
    return _answer(request, _info(request, f"New in {category}", f"The newest papers in {category}.",
                                  f"/papers/new?category={quote(category)}"), entries, fmt)


@router.get("/feeds/collections/{collection_id}.{fmt}")
def collection_feed(collection_id: RowId, fmt: Format, request: Request, connection: ConnectionDep) -> Response:
    """A public collection (a private one is not found, whoever asks: feed readers send no session)."""
    collection, papers = collections.get(connection, collection_id, viewer=None)
    added = collections.added_times(connection, collection.id)
    entries = [feeds.entry(paper, site_url(request), listed=added.get(paper.id)) for paper in papers]
    entries.sort(key=lambda item: item.listed, reverse=True)
    return _answer(request, _info(request, f"{collection.name} (by {collection.owner})",
                                  f"Papers {collection.owner} collected in “{collection.name}”.",
                                  f"/collections/{collection.id}"), entries[:FEED_SIZE * 4], fmt)


@router.get("/feeds/private/{token}.{fmt}")
def private_feed(token: str, fmt: Format, request: Request, connection: ConnectionDep, now: NowDep) -> Response:
    """A member's personal feed (what /feed shows), for a feed reader: the URL is the secret."""
    user_id = follows.member_of_feed_token(connection, token)
    if user_id is None:
        raise NotFound("this private feed link is not valid (replaced by a newer one?)")
    items = follows.personal_feed(connection, user_id, request.app.state.search.vectors_of, today=now.date())
    entries = [feeds.entry(item.paper, site_url(request), note=item.why) for item in items]
    return _answer(request, _info(request, "Your feed", "New papers from the authors and categories you follow.",
                                  "/feed"), entries, fmt, private=True)


def _check_name(value: str, field: str) -> None:
    if not 1 <= len(value) <= 300:
        raise InvalidInput("1 to 300 characters", field=field)
