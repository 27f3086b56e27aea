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
    if not session_id or len(session_id) > 100:
        return None
    started_after = (now or datetime.now(UTC)) - timedelta(seconds=SESSION_MAX_AGE_S)
    user_id = repo.user_id_of_session(connection, session_id, started_after=started_after)
    user = users_repo.get_user(connection, user_id) if user_id is not None else None
    return None if user is None or user.banned else user


def end_session(engine: sa.Engine, session_id: str) -> None:
    with write_transaction(engine) as connection:
        repo.delete_session(connection, session_id)


def end_all_sessions(connection: sa.Connection, user_id: int) -> None:
    """Sign the member out everywhere (inside the transaction that changed their password or address)."""
    repo.delete_sessions_of(connection, user_id)
