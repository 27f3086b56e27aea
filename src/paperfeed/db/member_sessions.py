"""Repository for members' sessions (one row a signed-in browser; see ``tables.member_sessions``)."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa

from paperfeed.db.tables import member_sessions


def session_digest(session_id: str) -> str:
    """What is stored of a session id: its SHA-256, so a copy of the database signs nobody in."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def add_session(connection: sa.Connection, user_id: int, session_id: str, *, now: datetime) -> None:
    connection.execute(member_sessions.insert().values(id_sha256=session_digest(session_id), user_id=user_id,
                                                       created_at=now))


def user_ids_of_sessions(connection: sa.Connection, session_ids: list[str], *,
                         started_after: datetime) -> dict[str, int]:
    """The member each live session of ``session_ids`` belongs to (begun after ``started_after``);
    sessions that ended or never were are left out."""
    digests = {session_digest(session_id): session_id for session_id in session_ids}
    rows = connection.execute(sa.select(member_sessions.c.id_sha256, member_sessions.c.user_id).where(
        member_sessions.c.id_sha256.in_(list(digests)), member_sessions.c.created_at > started_after))
    return {digests[digest]: user_id for digest, user_id in rows}


def delete_session(connection: sa.Connection, session_id: str) -> None:
    connection.execute(member_sessions.delete().where(member_sessions.c.id_sha256 == session_digest(session_id)))


def delete_sessions_of(connection: sa.Connection, user_id: int, *, begun_before: datetime | None = None) -> None:
    """End the member's sessions (only those begun before ``begun_before``, when given)."""
    query = member_sessions.delete().where(member_sessions.c.user_id == user_id)
    if begun_before is not None:
        query = query.where(member_sessions.c.created_at < begun_before)
    connection.execute(query)
