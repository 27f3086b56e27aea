"""Repository for comments and their reports."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from paperfeed.db import dialect
from paperfeed.db.tables import comment_reports, comments, users


def insert_comment(connection: sa.Connection, *, paper_id: str, user_id: int, parent_id: int | None, body: str,
                   body_html: str, now: datetime) -> int:
    result = connection.execute(comments.insert().values(paper_id=paper_id, user_id=user_id, parent_id=parent_id,
                                                         body=body, body_html=body_html, created_at=now))
    return result.inserted_primary_key[0]


def get_comment(connection: sa.Connection, comment_id: int) -> dict | None:
    row = connection.execute(sa.select(comments).where(comments.c.id == comment_id)).mappings().first()
    return dict(row) if row else None


def update_comment(connection: sa.Connection, comment_id: int, **values) -> None:
    connection.execute(comments.update().where(comments.c.id == comment_id).values(**values))


def comments_of_paper(connection: sa.Connection, paper_id: str) -> list[dict]:
    """Every comment on the paper with its author's name, oldest first."""
    query = (sa.select(comments, users.c.username).outerjoin(users, users.c.id == comments.c.user_id)
             .where(comments.c.paper_id == paper_id).order_by(comments.c.created_at, comments.c.id))
    return [dict(row) for row in connection.execute(query).mappings()]


def comments_of_member(connection: sa.Connection, user_id: int) -> list[tuple[str, str, datetime]]:
    """``(paper_id, body, created_at)`` of each comment the member wrote and did not delete, oldest first."""
    query = (sa.select(comments.c.paper_id, comments.c.body, comments.c.created_at)
             .where(comments.c.user_id == user_id, comments.c.deleted_at.is_(None))
             .order_by(comments.c.created_at))
    return [tuple(row) for row in connection.execute(query)]


def comment_keys_of_member(connection: sa.Connection, user_id: int) -> set[tuple[str, str]]:
    """``(paper_id, body)`` of every comment the member wrote, deleted ones included."""
    query = sa.select(comments.c.paper_id, comments.c.body).where(comments.c.user_id == user_id)
    return {(row.paper_id, row.body) for row in connection.execute(query)}


def recent_comments_of_member(connection: sa.Connection, user_id: int, *, limit: int = 30) -> list[dict]:
    """The member's latest visible comments (not deleted, not hidden), newest first: ``id``, ``paper_id``,
    ``body_html``, ``created_at`` and the paper's ``title``."""
    from paperfeed.db.tables import papers

    query = (sa.select(comments.c.id, comments.c.paper_id, comments.c.body_html, comments.c.created_at,
                       papers.c.title)
             .join(papers, papers.c.id == comments.c.paper_id)
             .where(comments.c.user_id == user_id, comments.c.deleted_at.is_(None), comments.c.hidden_at.is_(None))
             .order_by(comments.c.created_at.desc()).limit(limit))
    return [dict(row) for row in connection.execute(query).mappings()]


def add_report(connection: sa.Connection, comment_id: int, user_id: int, reason: str, *, now: datetime) -> bool:
    row = {"comment_id": comment_id, "user_id": user_id, "reason": reason, "created_at": now, "resolved_at": None}
    return dialect.insert_one_if_absent(connection, comment_reports, row)


def open_reports(connection: sa.Connection) -> list[dict]:
    """Reported comments not dealt with yet, most reported first: the moderation queue."""
    author = users.alias("author")
    query = (sa.select(comments.c.id, comments.c.paper_id, comments.c.body, comments.c.hidden_at, comments.c.user_id,
                       author.c.username.label("author"), sa.func.count().label("reports"),
                       sa.func.min(comment_reports.c.reason).label("reason"))
             .join(comments, comments.c.id == comment_reports.c.comment_id)
             .join(author, author.c.id == comments.c.user_id)
             .where(comment_reports.c.resolved_at.is_(None))
             .group_by(comments.c.id, comments.c.paper_id, comments.c.body, comments.c.hidden_at, comments.c.user_id,
                       author.c.username)
             .order_by(sa.func.count().desc(), comments.c.id))
    return [dict(row) for row in connection.execute(query).mappings()]


def resolve_reports(connection: sa.Connection, comment_id: int, *, now: datetime) -> None:
    connection.execute(comment_reports.update().where(comment_reports.c.comment_id == comment_id,
                                                      comment_reports.c.resolved_at.is_(None)).values(resolved_at=now))


def ban(connection: sa.Connection, user_id: int, *, now: datetime) -> None:
    connection.execute(users.update().where(users.c.id == user_id).values(banned_at=now))


def recount(connection: sa.Connection, paper_ids) -> None:
    """Set each paper's ``member_comments`` to its visible comments (not deleted, not hidden): a
    recount, not an increment, so no sequence of edits, hides and deletions can make it drift."""
    from paperfeed.db.tables import papers

    visible = (sa.select(sa.func.count()).select_from(comments)
               .where(comments.c.paper_id == papers.c.id, comments.c.deleted_at.is_(None),
                      comments.c.hidden_at.is_(None)).scalar_subquery())
    for paper_id in set(paper_ids):
        connection.execute(papers.update().where(papers.c.id == paper_id).values(member_comments=visible))
