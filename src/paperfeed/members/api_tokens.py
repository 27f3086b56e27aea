"""Personal access tokens: a member creates named tokens for scripts and revokes them.

A token is ``pf_`` + 32 random bytes (URL-safe base64), shown once; only its
SHA-256 is stored, so a database leak does not leak working tokens. Requests
send ``Authorization: Bearer pf_...``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db import users as users_repo
from paperfeed.db.engine import write_transaction
from paperfeed.db.tables import api_tokens
from paperfeed.db.users import UserRow
from paperfeed.errors import InvalidInput, NotFound

PREFIX = "pf_"
MAX_TOKENS = 20


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: sa.Engine, user: UserRow, name: str) -> str:
    """A new token for ``user``; returns it (the only time it is shown)."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("give the token a name (1 to 100 characters)", field="name")
    token = PREFIX + secrets.token_urlsafe(32)
    with write_transaction(engine) as connection:
        if len(list_tokens(connection, user)) >= MAX_TOKENS:
            raise InvalidInput(f"at most {MAX_TOKENS} tokens; revoke one first", field="name")
        connection.execute(api_tokens.insert().values(user_id=user.id, name=name, token_sha256=_digest(token),
                                                      created_at=datetime.now(UTC)))
    return token


def list_tokens(connection: sa.Connection, user: UserRow) -> list[TokenInfo]:
    query = (sa.select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.created_at, api_tokens.c.last_used_at)
             .where(api_tokens.c.user_id == user.id, api_tokens.c.revoked_at.is_(None)).order_by(api_tokens.c.id))
    return [TokenInfo(*row) for row in connection.execute(query)]


def revoke_token(engine: sa.Engine, user: UserRow, token_id: int) -> None:
    """Revoke one of ``user``'s tokens (another member's token id is "not found", never revoked)."""
    with write_transaction(engine) as connection:
        done = connection.execute(api_tokens.update().where(
            api_tokens.c.id == token_id, api_tokens.c.user_id == user.id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC)))
        if done.rowcount != 1:
            raise NotFound(f"no token {token_id}")


def user_for_token(engine: sa.Engine, token: str) -> UserRow | None:
    """The member a live token belongs to, or None."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    with engine.connect() as connection:
        row = connection.execute(sa.select(api_tokens.c.id, api_tokens.c.user_id).where(
            api_tokens.c.token_sha256 == _digest(token), api_tokens.c.revoked_at.is_(None))).first()
        user = users_repo.get_user(connection, row.user_id) if row else None
    if user is None or user.banned:
        return None
    with write_transaction(engine) as connection:
        connection.execute(api_tokens.update().where(api_tokens.c.id == row.id).values(last_used_at=datetime.now(UTC)))
    return user
