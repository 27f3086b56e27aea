"""Repository for follows: the authors (by name) and arXiv categories a member follows."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from paperfeed.db import dialect
from paperfeed.db.tables import follows


def add_follow(connection: sa.Connection, user_id: int, *, kind: str, value: str, now: datetime) -> None:
    """Follow ``value`` (an author or a category); following it twice changes nothing."""
    dialect.insert_one_if_absent(connection, follows, {"user_id": user_id, "kind": kind, "value": value,
                                                       "created_at": now})


def remove_follow(connection: sa.Connection, user_id: int, *, kind: str, value: str) -> None:
    """Stop following ``value`` (nothing happens if the member did not follow it)."""
    connection.execute(follows.delete().where(follows.c.user_id == user_id, follows.c.kind == kind,
                                              follows.c.value == value))


def follows_of(connection: sa.Connection, user_id: int) -> list[tuple[str, str]]:
    """What a member follows, as (kind, value) pairs."""
    rows = connection.execute(sa.select(follows.c.kind, follows.c.value).where(follows.c.user_id == user_id)).all()
    return [(kind, value) for kind, value in rows]
