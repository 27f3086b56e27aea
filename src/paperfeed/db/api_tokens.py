"""Repository for personal access tokens (only their SHA-256 is stored)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.tables import api_tokens, users
from paperfeed.db.users import UserRow, user_of_row


def add_token(connection: sa.Connection, user_id: int, *, name: str, token_sha256: str, now: datetime) -> None:
    """Store a new token of the member, by its digest."""
    connection.execute(api_tokens.insert().values(user_id=user_id, name=name, token_sha256=token_sha256,
                                                  created_at=now))


def live_tokens_of(connection: sa.Connection, user_id: int) -> list[tuple[int, str, datetime, datetime | None]]:
    """The member's tokens not revoked, oldest first, as (id, name, created_at, last_used_at)."""
    query = (sa.select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.created_at, api_tokens.c.last_used_at)
             .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None)).order_by(api_tokens.c.id))
    return [tuple(row) for row in connection.execute(query)]


def revoke_token(connection: sa.Connection, user_id: int, *, token_id: int, now: datetime) -> bool:
    """Revoke one of the member's live tokens; True if one was (another member's token is left alone)."""
    done = connection.execute(api_tokens.update().where(
        api_tokens.c.id == token_id, api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now))
    return done.rowcount == 1


def member_of_live_token(connection: sa.Connection, token_sha256: str) -> tuple[int, datetime | None, UserRow] | None:
    """The (token id, when last used, member) of the live token with this digest, or None (one query)."""
    row = connection.execute(
        sa.select(users, api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at.label("token_used_at"))
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(api_tokens.c.token_sha256 == token_sha256, api_tokens.c.revoked_at.is_(None))).mappings().first()
    if row is None:
        return None
    used = row["token_used_at"]
    return row["token_id"], used.replace(tzinfo=UTC) if used is not None and used.tzinfo is None else used, user_of_row(row)


def touch_token(connection: sa.Connection, token_id: int, *, now: datetime) -> None:
    """Record that the token was just used."""
    connection.execute(api_tokens.update().where(api_tokens.c.id == token_id).values(last_used_at=now))
