"""What is listed when: the library behind the daily, weekly, monthly and trending
views and the paper page. The web layer and the CLI call these; they hold no SQL.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from paperfeed import ranking
from paperfeed.db import listings as listings_repo
from paperfeed.db import papers as papers_repo
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.ids import parse_paper_id
from paperfeed.models import ListedPaper, Listing, Paper
from paperfeed.periods import Period, day_period, month_period, month_weeks, week_period

# Trending ranks at most this many of the most upvoted papers of its window.
TRENDING_CANDIDATES = 5_000
_PERIOD_OF_KIND = {"day": day_period, "week": week_period, "month": month_period}


@dataclass(slots=True)
class ListingPage:
    """One page of a day, week or month: its papers, most upvoted first, and its neighbours."""

    period: Period
    items: list[ListedPaper]
    total: int
    offset: int
    previous: Period | None
    next: Period | None


@dataclass(slots=True)
class TrendingPage:
    """Papers ranked by :func:`paperfeed.ranking.trending_score` as of ``as_of``."""

    items: list[tuple[ListedPaper, ranking.TrendingScore]]
    total: int
    offset: int
    first_day: date | None
    last_day: date | None
    as_of: datetime
    window_moved: bool  # True when the window was moved back to the latest listings


@dataclass(slots=True)
class PaperDetail:
    """Everything the paper page shows."""

    paper: Paper
    listing: Listing | None
    revisions: list[dict]


def latest_day(connection: sa.Connection, *, today: date) -> date | None:
    """The day the front page shows: the latest day with listings, not after today if possible."""
    return listings_repo.latest_listing_day(connection, on_or_before=today) or listings_repo.latest_listing_day(
        connection
    )


def listing_page(
    connection: sa.Connection, period: Period, *, limit: int, offset: int = 0, order: str = "upvotes"
) -> ListingPage:
    """The papers listed in ``period`` (most upvoted first, or ``order="listed_at"``: most recent first)
    and the nearest earlier and later periods that have listings."""
    items = listings_repo.listed_papers(
        connection, first_day=period.first_day, last_day=period.last_day, limit=limit, offset=offset, order=order
    )
    total = listings_repo.count_listed(connection, first_day=period.first_day, last_day=period.last_day)
    make_period = _PERIOD_OF_KIND[period.kind]
    before = listings_repo.previous_listing_day(connection, period.first_day)
    after = listings_repo.next_listing_day(connection, period.last_day)
    return ListingPage(
        period=period,
        items=items,
        total=total,
        offset=offset,
        previous=make_period(before) if before else None,
        next=make_period(after) if after else None,
    )


def listed_between(
    connection: sa.Connection, *, first_day: date | None, last_day: date | None, limit: int, offset: int = 0,
    order: str = "upvotes", submitter: str | None = None,
) -> list[ListedPaper]:
    """The papers listed between two days (None: no bound), most upvoted first (``order="listed_at"``:
    most recently listed first; ``"published"``: the newest papers first, by their own date); only
    those ``submitter`` listed, when given."""
    return listings_repo.listed_papers(connection, first_day=first_day, last_day=last_day, limit=limit,
                                       offset=offset, order=order, submitter=submitter)


def trending_page(
    connection: sa.Connection, *, now: datetime, window_days: int, weights: ranking.TrendingWeights, limit: int,
    offset: int = 0, submitter: str | None = None,
) -> TrendingPage:
    """Papers listed in the last ``window_days`` days, ranked by trending score with ``weights`` (only
    ``submitter``'s when given: the window is the site's either way).

    When nothing was listed in that window (an archive that stopped updating),
    the window ends at the latest listing day instead, and ``window_moved`` says so.
    """
    last_day = now.date()
    first_day = last_day - timedelta(days=window_days - 1)
    as_of, moved = now, False
    if not listings_repo.count_listed(connection, first_day=first_day, last_day=last_day):
        latest = listings_repo.latest_listing_day(connection)
        if latest is None:
            return TrendingPage([], 0, offset, None, None, now, False)
        last_day, moved = latest, True
        first_day = last_day - timedelta(days=window_days - 1)
        as_of = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=UTC)
    items, total = ranked_by_trending(connection, first_day=first_day, last_day=last_day, as_of=as_of,
                                      weights=weights, limit=limit, offset=offset, submitter=submitter)
    return TrendingPage(items, total, offset, first_day, last_day, as_of, moved)


def ranked_by_trending(
    connection: sa.Connection, *, first_day: date, last_day: date, as_of: datetime,
    weights: ranking.TrendingWeights, limit: int, offset: int = 0, submitter: str | None = None,
) -> tuple[list[tuple[ListedPaper, ranking.TrendingScore]], int]:
    """One page of the papers listed between two days (only ``submitter``'s when given), ranked by
    trending score with ``weights`` as of ``as_of``, and how many were ranked. Scores are computed on a few columns;
    full rows only for the page."""
    candidates = listings_repo.trending_candidates(
        connection, first_day=first_day, last_day=last_day, limit=TRENDING_CANDIDATES, submitter=submitter
    )
    ranked = ranking.rank_trending(candidates, now=as_of, weights=weights)[offset : offset + limit]
    papers = listings_repo.listed_papers_by_ids(connection, [candidate.paper_id for candidate, _ in ranked])
    scores = {candidate.paper_id: score for candidate, score in ranked}
    return [(item, scores[item.paper.id]) for item in papers], len(candidates)


def paper_detail(connection: sa.Connection, raw_id: str) -> PaperDetail:
    """The paper with this id (any accepted spelling); raises NotFound or InvalidInput."""
    paper_id = parse_paper_id(raw_id).canonical
    paper = papers_repo.get_paper(connection, paper_id)
    if paper is None:
        raise NotFound(f"No paper with id {paper_id!r} is in this paperfeed.")
    return PaperDetail(
        paper=paper,
        listing=listings_repo.get_listing(connection, paper_id),
        revisions=papers_repo.get_revisions(connection, paper_id),
    )


@dataclass(frozen=True, slots=True)
class PaperItem:
    """A card of a list that holds papers listed or not (/papers/new, an organisation's papers):
    the paper and its listing, if it is featured (listed) already."""

    paper: Paper
    listing: Listing | None = None

    @property
    def featured(self) -> bool:
        return self.listing is not None


@dataclass(slots=True)
class NewPapersDay:
    """/papers/new: the papers announced on ``day`` (in ``category`` when given) and the nearest
    announcement days before and after it (None: there is none; ``next`` is never after today)."""

    day: date
    category: str | None
    items: list[PaperItem]
    previous: date | None
    next: date | None


def new_papers(connection: sa.Connection, day: date | None, *, today: date, category: str | None = None
               ) -> NewPapersDay:
    """Papers announced on ``day`` (any of their categories is ``category``, when given: the papers
    the category's feed holds for that day). Without a day: the latest day, not after ``today``,
    with papers (in ``category``), so the page and the category's feed start with the same papers."""
    if day is None:
        day = _latest_new_day(connection, today=today, category=category)
    found = listings_repo.papers_published_on_day(connection, day, category=category)
    return NewPapersDay(day, category, [PaperItem(paper, listing) for paper, listing in found],
                        previous=papers_repo.previous_published_day(connection, day),
                        next=papers_repo.next_published_day(connection, day, not_after=today))


def _latest_new_day(connection: sa.Connection, *, today: date, category: str | None) -> date:
    if category is not None:
        newest = papers_repo.papers_whose_list_may_hold(connection, "categories", category, limit=50)
        days = [paper.published_on for paper in newest if category in paper.categories
                and paper.published_on is not None and paper.published_on <= today]
        if days:
            return max(days)
    return latest_new_day(connection, today=today) or today


def latest_new_day(connection: sa.Connection, *, today: date | None = None) -> date | None:
    """The newest announcement day with papers, not after ``today``."""
    return papers_repo.latest_published_day(connection, not_after=today or datetime.now(UTC).date())


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One square of a month's calendar: a day, how many papers were listed on it, and whether it
    belongs to the month (the first and last weeks begin and end in the neighbouring months)."""

    day: date
    count: int
    in_month: bool


@dataclass(slots=True)
class MonthCalendar:
    """A month as weeks (rows, Monday first), each day with its count of listed papers."""

    period: Period
    weeks: list[list[CalendarDay]]
    total: int


def month_calendar(connection: sa.Connection, period: Period) -> MonthCalendar:
    """The calendar of ``period`` (a month): each day's count of listed papers."""
    counts = listings_repo.listing_counts_by_day(connection, first_day=period.first_day, last_day=period.last_day)
    weeks = [[CalendarDay(day, counts.get(day, 0), period.first_day <= day <= period.last_day) for day in week]
             for week in month_weeks(period)]
    return MonthCalendar(period, weeks, sum(counts.values()))


def listing_days(connection: sa.Connection) -> tuple[date | None, date | None]:
    """The first and the last day with listings (None, None on an empty site): the date picker's bounds."""
    return listings_repo.earliest_listing_day(connection), listings_repo.latest_listing_day(connection)


@dataclass(slots=True)
class SubmitterPage:
    """The papers a name listed (a member's submissions, or an imported submitter's), most recent first."""

    name: str
    items: list[ListedPaper]
    total: int
    offset: int


def submitted_by(connection: sa.Connection, name: str, *, limit: int, offset: int = 0) -> SubmitterPage:
    """What ``name`` listed (letter case ignored, as the API's ``submitter``), most recently listed first."""
    items = listings_repo.listed_papers(connection, first_day=None, last_day=None, limit=limit, offset=offset,
                                        order="listed_at", submitter=name)
    return SubmitterPage(name, items, listings_repo.count_listed(connection, first_day=None, last_day=None,
                                                                 submitter=name), offset)


@dataclass(slots=True)
class PapersPage:
    """One page of every paper this site holds, newest first, each with its listing if it has one,
    and the cursor of the next page (None on the last page)."""

    items: list[tuple[Paper, Listing | None]]
    next_cursor: str | None


def papers_page(
    connection: sa.Connection, *, limit: int, cursor: str | None = None, offset: int = 0,
    since: date | None = None, until: date | None = None,
) -> PapersPage:
    """Every paper, newest first by its date (undated ones last), ``limit`` at a time: ``cursor``
    (from the previous page) starts after that page, ``offset`` skips papers; ``since`` / ``until``
    keep papers dated in that range. Raises InvalidInput for a cursor this site did not make."""
    after = parse_papers_cursor(cursor) if cursor else None
    found = papers_repo.papers_newest_first(connection, limit=limit + 1, after=after, offset=offset,
                                            since=since, until=until)
    page = found[:limit]
    listed = listings_repo.get_listings(connection, [paper.id for paper in page])
    next_cursor = papers_cursor(page[-1]) if len(found) > limit else None
    return PapersPage([(paper, listed.get(paper.id)) for paper in page], next_cursor)


def papers_cursor(paper: Paper) -> str:
    """The cursor of the papers after ``paper`` in :func:`papers_page`'s order: ``DATE|ID``
    (DATE empty for an undated paper) in unpadded base64url (RFC 4648, section 5), opaque to clients."""
    text = f"{paper.published_on.isoformat() if paper.published_on else ''}|{paper.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def parse_papers_cursor(cursor: str) -> papers_repo.NewestCursor:
    """``(date or None, id)`` from a cursor :func:`papers_cursor` made; InvalidInput for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        day, paper_id = text.split("|", 1)
        if parse_paper_id(paper_id).canonical != paper_id:  # only a stored id, never NUL or a version
            raise ValueError("not a canonical paper id")
        return (date.fromisoformat(day) if day else None), paper_id
    except (ValueError, InvalidInput):  # binascii.Error and UnicodeDecodeError are ValueErrors too
        raise InvalidInput("not a cursor this site gave; take the next page's address from the Link "
                           "header of the page before, or leave cursor out to start at the newest paper",
                           field="cursor") from None
