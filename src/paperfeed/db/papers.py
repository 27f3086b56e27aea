"""Repository for papers and their revisions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa

from paperfeed.db import dialect
from paperfeed.db.tables import paper_revisions, papers, record_fingerprints
from paperfeed.models import Paper

# SQLite's host-parameter limit is 32,766 since 3.32; stay well below it.
_IDS_PER_QUERY = 900


def fetch_paper_rows(connection: sa.Connection, ids: Iterable[str]) -> dict[str, dict]:
    """Stored rows for the given ids, as column -> value dicts keyed by id."""
    found: dict[str, dict] = {}
    id_list = list(dict.fromkeys(ids))
    for start in range(0, len(id_list), _IDS_PER_QUERY):
        chunk = id_list[start : start + _IDS_PER_QUERY]
        for row in connection.execute(sa.select(papers).where(papers.c.id.in_(chunk))).mappings():
            found[row["id"]] = dict(row)
    return found


MEMBER_COUNTS = ("member_votes", "member_comments")


def write_paper_rows(connection: sa.Connection, rows: Sequence[dict]) -> None:
    """Insert new rows and update existing ones (matched on id). Members' vote and comment counts
    are never written here (only :mod:`paperfeed.db.votes` and :mod:`paperfeed.db.comments` change
    them, with the votes and comments)."""
    rows = [{name: value for name, value in row.items() if name not in MEMBER_COUNTS} for row in rows]
    dialect.upsert(connection, papers, rows, key=["id"])


def record_revisions(connection: sa.Connection, rows: Sequence[dict]) -> None:
    """Keep earlier titles/abstracts (``paper_id, version, title, abstract, replaced_at``)."""
    if rows:
        connection.execute(paper_revisions.insert(), list(rows))


def fetch_fingerprints(connection: sa.Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """What each origin last said about each paper (a hash), for ``(paper_id, origin)`` keys."""
    wanted = set(keys)
    origins = list({origin for _, origin in wanted})
    id_list = list(dict.fromkeys(paper_id for paper_id, _ in wanted))
    found: dict[tuple[str, str], str] = {}
    for start in range(0, len(id_list), _IDS_PER_QUERY):
        query = sa.select(record_fingerprints).where(
            record_fingerprints.c.origin.in_(origins),
            record_fingerprints.c.paper_id.in_(id_list[start : start + _IDS_PER_QUERY]),
        )
        for paper_id, origin, fingerprint in connection.execute(query):
            if (paper_id, origin) in wanted:
                found[paper_id, origin] = fingerprint
    return found


def write_fingerprints(connection: sa.Connection, fingerprints: dict[tuple[str, str], str]) -> None:
    """Remember what each origin said about each paper."""
    rows = [{"paper_id": paper_id, "origin": origin, "fingerprint": value}
            for (paper_id, origin), value in fingerprints.items()]
    dialect.upsert(connection, record_fingerprints, rows, key=["paper_id", "origin"])


def get_paper(connection: sa.Connection, paper_id: str) -> Paper | None:
    """The paper with this canonical id, or None."""
    row = connection.execute(sa.select(papers).where(papers.c.id == paper_id)).mappings().first()
    return paper_from_row(row) if row else None


def find_paper_by_doi(connection: sa.Connection, doi: str) -> Paper | None:
    """The paper with this DOI (any case), or None."""
    row = connection.execute(sa.select(papers).where(sa.func.lower(papers.c.doi) == doi.lower())
                             .order_by(papers.c.id).limit(1)).mappings().first()
    return paper_from_row(row) if row else None


def get_papers(connection: sa.Connection, ids: Sequence[str]) -> dict[str, Paper]:
    """The papers with these ids, keyed by id (unknown ids are left out)."""
    return {paper_id: paper_from_row(row) for paper_id, row in fetch_paper_rows(connection, ids).items()}


def sort_keys(connection: sa.Connection, ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Each paper's (day as an ordinal, 0 without one; upvotes as :func:`paper_from_row` counts them), keyed by id: what search results
    are ordered by when asked for the newest or the most upvoted first. Two columns, not the rows."""
    found: dict[str, tuple[int, int]] = {}
    id_list = list(dict.fromkeys(ids))
    for start in range(0, len(id_list), _IDS_PER_QUERY):
        query = sa.select(papers.c.id, papers.c.published_on, papers.c.upvotes, papers.c.member_votes).where(
            papers.c.id.in_(id_list[start:start + _IDS_PER_QUERY]))
        for paper_id, day, upvotes, member_votes in connection.execute(query):
            found[paper_id] = (day.toordinal() if day else 0, (upvotes or 0) + (member_votes or 0))
    return found


def get_revisions(connection: sa.Connection, paper_id: str) -> list[dict]:
    """Earlier titles and abstracts of a paper, oldest first."""
    query = (
        sa.select(paper_revisions.c.version, paper_revisions.c.title, paper_revisions.c.abstract,
                  paper_revisions.c.replaced_at)
        .where(paper_revisions.c.paper_id == paper_id)
        .order_by(paper_revisions.c.id)
    )
    return [dict(row) for row in connection.execute(query).mappings()]


ChangeCursor = tuple[datetime, str]  # (updated_at, id) of the last paper taken


def _after(cursor: ChangeCursor | None):
    """Papers after ``cursor`` in (updated_at, id) order: a keyset that neither repeats nor skips the
    papers of one batch, which share an updated_at."""
    if cursor is None:
        return sa.true()
    moment, paper_id = cursor
    return sa.or_(papers.c.updated_at > moment, sa.and_(papers.c.updated_at == moment, papers.c.id > paper_id))


def papers_changed_since(
    connection: sa.Connection, cursor: ChangeCursor | None, *, batch_size: int = 2_000
) -> Iterator[list[dict]]:
    """Batches of ``id, title, abstract, categories, published_on, authors, updated_at`` of papers changed
    after ``cursor`` (all papers when None), in (updated_at, id) order."""
    query = (sa.select(papers.c.id, papers.c.title, papers.c.abstract, papers.c.categories, papers.c.published_on,
                       papers.c.authors, papers.c.updated_at).where(_after(cursor)).order_by(papers.c.updated_at, papers.c.id))
    result = connection.execution_options(yield_per=batch_size).execute(query).mappings()
    for partition in result.partitions(batch_size):
        yield [{**row, "updated_at": as_utc(row["updated_at"])} for row in partition]


def count_papers_changed_since(connection: sa.Connection, cursor: ChangeCursor | None) -> int:
    """How many papers :func:`papers_changed_since` would return."""
    return connection.execute(sa.select(sa.func.count()).select_from(papers).where(_after(cursor))).scalar_one()


def count_papers(connection: sa.Connection) -> int:
    return connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()


def paper_from_row(row) -> Paper:
    """A :class:`Paper` from a row mapping of ``papers`` (extra columns are ignored)."""
    return Paper(
        id=row["id"],
        title=row["title"],
        abstract=row["abstract"] or "",
        authors=list(row["authors"] or []),
        published_on=row["published_on"],
        categories=list(row["categories"] or []),
        primary_category=row["primary_category"],
        version=row["version"],
        versions=list(row["versions"] or []),
        doi=row["doi"],
        comments=row["comments"],
        github_repo=row["github_repo"],
        github_stars=row["github_stars"],
        project_page=row["project_page"],
        ai_summary=row["ai_summary"],
        ai_keywords=list(row["ai_keywords"] or []),
        organization=row["organization"],
        thumbnail=row["thumbnail"],
        upvotes=(row["upvotes"] or 0) + (row.get("member_votes") or 0),
        num_comments=row.get("member_comments") or 0,
        hf_comments=row["num_comments"] or 0,  # the column holds what the imported records said
        updated_at=as_utc(row["updated_at"]),
    )


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything paperfeed stores is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def papers_published_on(connection: sa.Connection, day: date, *, limit: int = 2_000) -> list[tuple[Paper, bool]]:
    """Papers first published on ``day`` (arXiv's announcement of v1), newest id first, each with
    whether it is listed (featured) already."""
    from paperfeed.db.tables import listings

    query = (sa.select(papers, listings.c.paper_id.label("listed_id"))
             .select_from(papers.outerjoin(listings, listings.c.paper_id == papers.c.id))
             .where(papers.c.published_on == day).order_by(papers.c.id.desc()).limit(limit))
    return [(paper_from_row(row), row["listed_id"] is not None) for row in connection.execute(query).mappings()]


def latest_published_day(connection: sa.Connection, *, not_after: date) -> date | None:
    """The newest day on or before ``not_after`` on which a paper was published."""
    query = sa.select(sa.func.max(papers.c.published_on)).where(papers.c.published_on <= not_after)
    return connection.execute(query).scalar_one_or_none()


def previous_published_day(connection: sa.Connection, before: date) -> date | None:
    """The latest day before ``before`` on which a paper was published (days without papers are skipped)."""
    query = sa.select(sa.func.max(papers.c.published_on)).where(papers.c.published_on < before)
    return connection.execute(query).scalar_one_or_none()


def next_published_day(connection: sa.Connection, after: date, *, not_after: date) -> date | None:
    """The earliest day after ``after``, and not after ``not_after``, on which a paper was published."""
    query = sa.select(sa.func.min(papers.c.published_on)).where(papers.c.published_on > after,
                                                                 papers.c.published_on <= not_after)
    return connection.execute(query).scalar_one_or_none()


def papers_of_organization(connection: sa.Connection, name: str, *, limit: int, offset: int = 0) -> list[Paper]:
    """The papers whose organisation is ``name`` (exactly), newest first (undated ones last, then by id)."""
    query = (sa.select(papers).where(papers.c.organization == name)
             .order_by(papers.c.published_on.desc().nulls_last(), papers.c.id.desc()).limit(limit).offset(offset))
    return [paper_from_row(row) for row in connection.execute(query).mappings()]


def count_papers_of_organization(connection: sa.Connection, name: str) -> int:
    query = sa.select(sa.func.count()).select_from(papers).where(papers.c.organization == name)
    return connection.execute(query).scalar_one()


def papers_whose_list_may_hold(connection: sa.Connection, field: str, value: str, *, limit: int) -> list[Paper]:
    """Newest papers (up to ``limit``) whose JSON list column ``field`` ("authors" or "categories")
    may hold ``value``: a LIKE on the stored JSON narrows the rows, so the caller checks the exact value."""
    query = (sa.select(papers).where(list_may_hold(field, value))
             .order_by(papers.c.published_on.desc().nulls_last(), papers.c.id.desc()).limit(limit))
    return [paper_from_row(row) for row in connection.execute(query).mappings()]


def list_may_hold(field: str, value: str):
    """The condition "the JSON list column ``field`` ("authors" or "categories") may hold ``value``"
    (a LIKE on the stored JSON: the caller checks the exact value)."""
    column = {"authors": papers.c.authors, "categories": papers.c.categories}[field]
    return sa.cast(column, sa.Text).like('%' + _json_string(value) + '%')


def _json_string(name: str) -> str:
    """How ``name`` appears inside the stored JSON list (orjson: not ASCII-escaped), with LIKE's ``%``
    made a one-character wildcard (the exact match is checked afterwards in Python)."""
    import json

    return json.dumps(name, ensure_ascii=False).replace("%", "_")


def papers_published_since(connection: sa.Connection, since: date, *, limit: int) -> list[Paper]:
    """Papers published on or after ``since``, newest first (then by id, descending), at most ``limit``."""
    query = (sa.select(papers).where(papers.c.published_on >= since)
             .order_by(papers.c.published_on.desc(), papers.c.id.desc()).limit(limit))
    return [paper_from_row(row) for row in connection.execute(query).mappings()]


NewestCursor = tuple[date | None, str]  # (published_on, id) of the last paper of a page


def papers_newest_first(
    connection: sa.Connection, *, limit: int, after: NewestCursor | None = None, offset: int = 0,
    since: date | None = None, until: date | None = None,
) -> list[Paper]:
    """Papers by date, newest first (undated ones last), then by id descending; with ``after``,
    those that come after that paper (a keyset: a page neither repeats nor skips papers added
    meanwhile elsewhere in the order); with ``since`` / ``until``, only papers dated in that range."""
    order = (papers.c.published_on.desc().nulls_last(), papers.c.id.desc())
    query = sa.select(papers).where(_newest_after(after)).order_by(*order).limit(limit).offset(offset)
    if since is not None:
        query = query.where(papers.c.published_on >= since)
    if until is not None:
        query = query.where(papers.c.published_on <= until)
    return [paper_from_row(row) for row in connection.execute(query).mappings()]


def _newest_after(cursor: NewestCursor | None):
    if cursor is None:
        return sa.true()
    day, paper_id = cursor
    if day is None:
        return sa.and_(papers.c.published_on.is_(None), papers.c.id < paper_id)
    return sa.or_(papers.c.published_on < day, sa.and_(papers.c.published_on == day, papers.c.id < paper_id),
                  papers.c.published_on.is_(None))
