"""Personal access tokens: a member creates named tokens for scripts and revokes them.

A token is ``pf_`` + 32 random bytes (URL-safe base64), shown once; only its
SHA-256 is stored, so a database leak does not leak working tokens. Requests
send ``Authorization: Bearer pf_...``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from paperfeed.db import api_tokens as api_tokens_repo
from paperfeed.db.engine import write_transaction
from paperfeed.db.users import UserRow
from paperfeed.errors import InvalidInput, NotFound

PREFIX = "pf_"
MAX_TOKENS = 20
TOUCH_AFTER = timedelta(minutes=5)  # "last used" moves on at most this often (the account page shows the day)


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
        api_tokens_repo.add_token(connection, user.id, name=name, token_sha256=_digest(token), now=datetime.now(UTC))
    return token


def list_tokens(connection: sa.Connection, user: UserRow) -> list[TokenInfo]:
    return [TokenInfo(*row) for row in api_tokens_repo.live_tokens_of(connection, user.id)]


def revoke_token(engine: sa.Engine, user: UserRow, token_id: int) -> None:
    """Revoke one of ``user``'s tokens (another member's token id is "not found", never revoked)."""
    with write_transaction(engine) as connection:
        if not api_tokens_repo.revoke_token(connection, user.id, token_id=token_id, now=datetime.now(UTC)):
            raise NotFound(f"no token {token_id}")


def user_for_token(engine: sa.Engine, token: str) -> UserRow | None:
    """The member a live token belongs to, or None."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    with engine.connect() as connection:
        found = api_tokens_repo.member_of_live_token(connection, _digest(token))
    if found is None or found[2].banned:
        return None
    token_id, used_at, user = found
    now = datetime.now(UTC)
    if used_at is None or now - used_at >= TOUCH_AFTER:  # not a write for every call of a busy client
        with write_transaction(engine) as connection:
            api_tokens_repo.touch_token(connection, token_id, now=now)
    return user
