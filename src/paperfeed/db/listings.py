"""Repository for listings: which papers were featured on which day."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import sqlalchemy as sa

from paperfeed.db import dialect
from paperfeed.db.papers import _IDS_PER_QUERY, as_utc, list_may_hold, paper_from_row
from paperfeed.db.tables import listings, papers
from paperfeed.models import ListedPaper, Listing, Paper
from paperfeed.ranking import TrendingCandidate, listed_at


def fetch_listing_rows(connection: sa.Connection, paper_ids: Iterable[str]) -> dict[str, dict]:
    """Stored listing rows for the given papers, keyed by paper id."""
    found: dict[str, dict] = {}
    id_list = list(dict.fromkeys(paper_ids))
    for start in range(0, len(id_list), _IDS_PER_QUERY):
        chunk = id_list[start : start + _IDS_PER_QUERY]
        query = sa.select(listings).where(listings.c.paper_id.in_(chunk))
        for row in connection.execute(query).mappings():
            found[row["paper_id"]] = {**row, "submitted_at": as_utc(row["submitted_at"])}
    return found


def write_listing_rows(connection: sa.Connection, rows: Sequence[dict]) -> None:
    """Insert or update listings (one per paper)."""
    dialect.upsert(connection, listings, rows, key=["paper_id"])


def delete_listing(connection: sa.Connection, paper_id: str) -> None:
    connection.execute(listings.delete().where(listings.c.paper_id == paper_id))


_LISTED_PAPER_COLUMNS = (papers, listings.c.listed_on, listings.c.source, listings.c.submitted_by,
                         listings.c.submitted_at)
_ORDERS = {
    "upvotes": ((papers.c.upvotes + papers.c.member_votes).desc(), listings.c.listed_on.desc(), papers.c.id),
    "listed_at": (listings.c.listed_on.desc(), listings.c.submitted_at.desc().nulls_last(), papers.c.id),
    "published": (papers.c.published_on.desc().nulls_last(), listings.c.listed_on.desc(),
                  listings.c.submitted_at.desc().nulls_last(), papers.c.id),
}


def _listed_where(first_day: date | None, last_day: date | None, submitter: str | None):
    """Listings between two days (inclusive; None: no bound), by ``submitter`` only when given
    (letter case ignored, as in a username typed by hand)."""
    conditions = []
    if first_day is not None:
        conditions.append(listings.c.listed_on >= first_day)
    if last_day is not None:
        conditions.append(listings.c.listed_on <= last_day)
    if submitter is not None:
        conditions.append(sa.func.lower(listings.c.submitted_by) == submitter.lower())
    return sa.and_(sa.true(), *conditions)


def listed_papers(
    connection: sa.Connection, *, first_day: date | None, last_day: date | None, limit: int, offset: int = 0,
    order: str = "upvotes", submitter: str | None = None,
) -> list[ListedPaper]:
    """Papers listed between two days (inclusive; None: no bound), most upvoted (or most recently
    listed) first; only ``submitter``'s when given."""
    query = (
        sa.select(*_LISTED_PAPER_COLUMNS)
        .join(listings, listings.c.paper_id == papers.c.id)
        .where(_listed_where(first_day, last_day, submitter))
        .order_by(*_ORDERS[order])
        .limit(limit)
        .offset(offset)
    )
    return [_listed_paper(row) for row in connection.execute(query).mappings()]


def listed_papers_by_ids(connection: sa.Connection, paper_ids: Sequence[str]) -> list[ListedPaper]:
    """The listed papers with these ids, in the order given (unknown or unlisted ids are left out)."""
    query = sa.select(*_LISTED_PAPER_COLUMNS).join(listings, listings.c.paper_id == papers.c.id).where(
        papers.c.id.in_(list(paper_ids))
    )
    found = {row["id"]: _listed_paper(row) for row in connection.execute(query).mappings()}
    return [found[paper_id] for paper_id in paper_ids if paper_id in found]


def trending_candidates(
    connection: sa.Connection, *, first_day: date, last_day: date, limit: int, submitter: str | None = None
) -> list[TrendingCandidate]:
    """What the trending score needs, for the ``limit`` most upvoted papers listed between two days
    (only ``submitter``'s when given)."""
    query = (
        sa.select(papers.c.id, papers.c.upvotes + papers.c.member_votes, papers.c.num_comments + papers.c.member_comments,
                  papers.c.github_stars, listings.c.listed_on, listings.c.submitted_at)
        .join(listings, listings.c.paper_id == papers.c.id)
        .where(_listed_where(first_day, last_day, submitter))
        .order_by((papers.c.upvotes + papers.c.member_votes).desc(), papers.c.id)
        .limit(limit)
    )
    return [
        TrendingCandidate(paper_id, upvotes or 0, comments or 0, stars,
                          listed_at(Listing(paper_id, listed_on, "", submitted_at=as_utc(submitted_at))))
        for paper_id, upvotes, comments, stars, listed_on, submitted_at in connection.execute(query)
    ]


def count_listed(connection: sa.Connection, *, first_day: date | None, last_day: date | None,
                 submitter: str | None = None) -> int:
    """How many papers were listed between two days (inclusive; None: no bound), by ``submitter``
    only when given."""
    query = sa.select(sa.func.count()).select_from(listings).where(_listed_where(first_day, last_day, submitter))
    return connection.execute(query).scalar_one()


def listing_counts_by_day(connection: sa.Connection, *, first_day: date, last_day: date) -> dict[date, int]:
    """``{day: papers listed that day}`` between two days (inclusive); days without listings are left out."""
    query = (sa.select(listings.c.listed_on, sa.func.count()).where(listings.c.listed_on.between(first_day, last_day))
             .group_by(listings.c.listed_on))
    return {day: count for day, count in connection.execute(query)}


def papers_published_on_day(
    connection: sa.Connection, day: date, *, category: str | None = None, limit: int = 2_000
) -> list[tuple[Paper, Listing | None]]:
    """Papers first published on ``day`` (only those in ``category``, any of their categories, when
    given), newest id first, each with its listing if it is listed (featured) already."""
    query = (sa.select(*_LISTED_PAPER_COLUMNS).select_from(papers.outerjoin(listings, listings.c.paper_id == papers.c.id))
             .where(papers.c.published_on == day).order_by(papers.c.id.desc()).limit(limit))
    if category is not None:
        query = query.where(list_may_hold("categories", category))
    found = [(paper_from_row(row), _listing(row) if row["listed_on"] is not None else None)
             for row in connection.execute(query).mappings()]
    return [(paper, listing) for paper, listing in found if category is None or category in paper.categories]


def get_listing(connection: sa.Connection, paper_id: str) -> Listing | None:
    """The listing of a paper, or None if it was never featured."""
    row = connection.execute(sa.select(listings).where(listings.c.paper_id == paper_id)).mappings().first()
    return _listing(row) if row else None


def get_listings(connection: sa.Connection, paper_ids: Sequence[str]) -> dict[str, Listing]:
    """The listings of these papers, keyed by paper id (papers never listed are left out)."""
    return {paper_id: _listing(row) for paper_id, row in fetch_listing_rows(connection, paper_ids).items()}


def previous_listing_day(connection: sa.Connection, before: date) -> date | None:
    """The latest day before ``before`` that has listings (empty days are skipped)."""
    query = sa.select(sa.func.max(listings.c.listed_on)).where(listings.c.listed_on < before)
    return connection.execute(query).scalar_one()


def next_listing_day(connection: sa.Connection, after: date) -> date | None:
    """The earliest day after ``after`` that has listings."""
    query = sa.select(sa.func.min(listings.c.listed_on)).where(listings.c.listed_on > after)
    return connection.execute(query).scalar_one()


def earliest_listing_day(connection: sa.Connection) -> date | None:
    """The first day with listings."""
    return connection.execute(sa.select(sa.func.min(listings.c.listed_on))).scalar_one()


def latest_listing_day(connection: sa.Connection, *, on_or_before: date | None = None) -> date | None:
    """The most recent day with listings, optionally not after ``on_or_before``."""
    query = sa.select(sa.func.max(listings.c.listed_on))
    if on_or_before is not None:
        query = query.where(listings.c.listed_on <= on_or_before)
    return connection.execute(query).scalar_one()


def _listing(row) -> Listing:
    return Listing(
        paper_id=row["paper_id"] if "paper_id" in row else row["id"],
        listed_on=row["listed_on"],
        source=row["source"],
        submitted_by=row["submitted_by"],
        submitted_at=as_utc(row["submitted_at"]),
    )


def _listed_paper(row) -> ListedPaper:
    return ListedPaper(paper=paper_from_row(row), listing=_listing(row))
