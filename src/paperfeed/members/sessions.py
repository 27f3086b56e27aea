"""Signed-in browsers: a random session id in the cookie, a row in the database.

A session ends when the member signs out (that browser), changes their password or email
address (every other browser), or deletes the account (all). It also ends after
``SESSION_MAX_AGE_S``. Because the row is looked up on every request, a copied or replayed
cookie stops working the moment its session ends, on every node.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from paperfeed.db import member_sessions as repo
from paperfeed.db import users as users_repo
from paperfeed.db.engine import write_transaction
from paperfeed.db.users import UserRow

SESSION_MAX_AGE_S = 30 * 24 * 3600


def start_session(engine: sa.Engine, user: UserRow, *, now: datetime | None = None) -> str:
    """A new session for ``user``; returns its id (for the cookie). The member's expired sessions go."""
    now = now or datetime.now(UTC)
    session_id = secrets.token_urlsafe(32)
    with write_transaction(engine) as connection:
        repo.delete_sessions_of(connection, user.id, begun_before=now - timedelta(seconds=SESSION_MAX_AGE_S))
        repo.add_session(connection, user.id, session_id, now=now)
    return session_id


def member_of_session(connection: sa.Connection, session_id: str, *, now: datetime | None = None) -> UserRow | None:
    """The member of a live session, or None (ended, expired, unknown, or the member banned)."""
    return members_of_sessions(connection, [session_id], now=now).get(session_id)


def members_of_sessions(connection: sa.Connection, session_ids: list[str], *,
                        now: datetime | None = None) -> dict[str, UserRow]:
    """The member of each live session of ``session_ids`` (two queries however many); ended,
    expired and unknown sessions, and those of banned members, are left out."""
    wanted = [session_id for session_id in session_ids if session_id and len(session_id) <= 100]
    if not wanted:
        return {}
    started_after = (now or datetime.now(UTC)) - timedelta(seconds=SESSION_MAX_AGE_S)
    user_ids = repo.user_ids_of_sessions(connection, wanted, started_after=started_after)
    members = users_repo.get_users(connection, sorted(set(user_ids.values()))) if user_ids else {}
    return {session_id: members[user_id] for session_id, user_id in user_ids.items()
            if user_id in members and not members[user_id].banned}


def end_session(engine: sa.Engine, session_id: str) -> None:
    with write_transaction(engine) as connection:
        repo.delete_session(connection, session_id)


def end_all_sessions(connection: sa.Connection, user_id: int) -> None:
    """Sign the member out everywhere (inside the transaction that changed their password or address)."""
    repo.delete_sessions_of(connection, user_id)
