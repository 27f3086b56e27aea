"""Repository for members' upvotes: one per member and paper, counted on ``papers.member_votes``."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from paperfeed.db import dialect
from paperfeed.db.tables import papers, votes


def add_vote(connection: sa.Connection, user_id: int, paper_id: str, *, now: datetime) -> int | None:
    """Upvote; the paper's upvotes after a new vote, None when the member had upvoted it already
    (a second upvote changes nothing)."""
    row = {"user_id": user_id, "paper_id": paper_id, "created_at": now}
    if not dialect.insert_one_if_absent(connection, votes, row):
        return None
    return _count_member_vote(connection, paper_id, +1)


def remove_vote(connection: sa.Connection, user_id: int, paper_id: str) -> int | None:
    """Undo an upvote; the paper's upvotes after it, None when there was none."""
    deleted = connection.execute(votes.delete().where(votes.c.user_id == user_id, votes.c.paper_id == paper_id))
    if deleted.rowcount != 1:
        return None
    return _count_member_vote(connection, paper_id, -1)


def _count_member_vote(connection: sa.Connection, paper_id: str, change: int) -> int:
    """Add ``change`` to the paper's members' votes; its upvotes after (one statement: RETURNING)."""
    return connection.execute(papers.update().where(papers.c.id == paper_id)
                              .values(member_votes=papers.c.member_votes + change)
                              .returning(papers.c.upvotes + papers.c.member_votes)).scalar_one()


def upvotes_of(connection: sa.Connection, paper_id: str) -> int | None:
    """Imported plus members' upvotes; None for an unknown paper."""
    query = sa.select(papers.c.upvotes + papers.c.member_votes).where(papers.c.id == paper_id)
    return connection.execute(query).scalar_one_or_none()


def voted_paper_ids(connection: sa.Connection, user_id: int, *, limit: int | None = 500) -> list[str]:
    """The papers a member upvoted, most recent first (all of them with ``limit=None``)."""
    query = (sa.select(votes.c.paper_id).where(votes.c.user_id == user_id)
             .order_by(votes.c.created_at.desc()).limit(limit))
    return list(connection.execute(query).scalars())


def voted_among(connection: sa.Connection, user_id: int, paper_ids: list[str]) -> set[str]:
    """Which of ``paper_ids`` the member upvoted."""
    if not paper_ids:
        return set()
    query = sa.select(votes.c.paper_id).where(votes.c.user_id == user_id, votes.c.paper_id.in_(paper_ids))
    return set(connection.execute(query).scalars())


def votes_of_member(connection: sa.Connection, user_id: int) -> list[tuple[str, datetime]]:
    """``(paper_id, created_at)`` of each of a member's upvotes, oldest first."""
    query = (sa.select(votes.c.paper_id, votes.c.created_at).where(votes.c.user_id == user_id)
             .order_by(votes.c.created_at))
    return [tuple(row) for row in connection.execute(query)]
