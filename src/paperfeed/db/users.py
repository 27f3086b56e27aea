"""Repository for users (members who sign in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from paperfeed.db.tables import users


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    username: str
    email: str | None
    password_hash: str
    role: str


def add_user(connection: sa.Connection, *, username: str, email: str | None, password_hash: str, role: str,
             now: datetime) -> int:
    """Insert a user; returns the new id. The caller checks that the name is free."""
    result = connection.execute(users.insert().values(username=username, email=email, password_hash=password_hash,
                                                      role=role, created_at=now))
    return result.inserted_primary_key[0]


def find_by_username(connection: sa.Connection, username: str) -> UserRow | None:
    row = connection.execute(sa.select(users).where(sa.func.lower(users.c.username) == username.lower())).mappings().first()
    return _user(row) if row else None


def get_user(connection: sa.Connection, user_id: int) -> UserRow | None:
    row = connection.execute(sa.select(users).where(users.c.id == user_id)).mappings().first()
    return _user(row) if row else None


def set_password_hash(connection: sa.Connection, user_id: int, password_hash: str) -> None:
    connection.execute(users.update().where(users.c.id == user_id).values(password_hash=password_hash))


def _user(row) -> UserRow:
    return UserRow(row["id"], row["username"], row["email"], row["password_hash"], row["role"])
