"""Repository for users (members who sign in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from paperfeed.db.tables import users

# The password hash of a member who signs in only through an OpenID Connect provider: no
# password matches it (argon2 hashes start with "$argon2").
NO_PASSWORD = "!"


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    username: str
    email: str | None
    password_hash: str
    role: str
    email_confirmed: bool = True
    banned: bool = False

    @property
    def has_password(self) -> bool:
        return self.password_hash != NO_PASSWORD


def add_user(connection: sa.Connection, *, username: str, email: str | None, password_hash: str, role: str,
             now: datetime, confirmed: bool = True) -> int:
    """Insert a user; returns the new id. The caller checks that the name is free."""
    result = connection.execute(users.insert().values(username=username, email=email, password_hash=password_hash,
                                                      role=role, created_at=now,
                                                      email_confirmed_at=now if confirmed else None))
    return result.inserted_primary_key[0]


def find_by_username(connection: sa.Connection, username: str) -> UserRow | None:
    row = connection.execute(sa.select(users).where(sa.func.lower(users.c.username) == username.lower())).mappings().first()
    return user_of_row(row) if row else None


def find_by_email(connection: sa.Connection, email: str) -> UserRow | None:
    row = connection.execute(sa.select(users).where(sa.func.lower(users.c.email) == email.lower())).mappings().first()
    return user_of_row(row) if row else None


def confirm_email(connection: sa.Connection, user_id: int, *, now: datetime) -> None:
    connection.execute(users.update().where(users.c.id == user_id, users.c.email_confirmed_at.is_(None))
                       .values(email_confirmed_at=now))


def delete_user(connection: sa.Connection, user_id: int, *, now: datetime) -> None:
    """Remove the member and their votes (the papers' counts follow). Their comments stay as
    "[deleted]" stubs in the threads, so the replies of others keep their place; the stubs
    belong to nobody (``user_id`` set to NULL by the foreign key)."""
    from paperfeed.db.tables import papers, votes

    voted = connection.execute(sa.select(votes.c.paper_id).where(votes.c.user_id == user_id)).scalars().all()
    if voted:
        connection.execute(papers.update().where(papers.c.id.in_(voted)).values(member_votes=papers.c.member_votes - 1))
        connection.execute(votes.delete().where(votes.c.user_id == user_id))
    from paperfeed.db import comments as comments_repo
    from paperfeed.db.tables import comments

    commented = connection.execute(sa.select(comments.c.paper_id).where(comments.c.user_id == user_id)).scalars().all()
    connection.execute(comments.update().where(comments.c.user_id == user_id)
                       .values(body="", body_html="", deleted_at=sa.func.coalesce(comments.c.deleted_at, now)))
    connection.execute(users.delete().where(users.c.id == user_id))
    comments_repo.recount(connection, commented)


def get_user(connection: sa.Connection, user_id: int) -> UserRow | None:
    row = connection.execute(sa.select(users).where(users.c.id == user_id)).mappings().first()
    return user_of_row(row) if row else None


def get_users(connection: sa.Connection, user_ids: list[int]) -> dict[int, UserRow]:
    rows = connection.execute(sa.select(users).where(users.c.id.in_(user_ids))).mappings()
    return {row["id"]: user_of_row(row) for row in rows}


def set_email(connection: sa.Connection, user_id: int, email: str, *, now: datetime) -> None:
    connection.execute(users.update().where(users.c.id == user_id).values(email=email, email_confirmed_at=now))


def set_role(connection: sa.Connection, user_id: int, role: str) -> None:
    connection.execute(users.update().where(users.c.id == user_id).values(role=role))


def set_password_hash(connection: sa.Connection, user_id: int, password_hash: str) -> None:
    connection.execute(users.update().where(users.c.id == user_id).values(password_hash=password_hash))


def user_of_row(row) -> UserRow:
    """A member from a row of ``users`` (its columns by name)."""
    return UserRow(row["id"], row["username"], row["email"], row["password_hash"], row["role"],
                   row["email_confirmed_at"] is not None, row["banned_at"] is not None)


def feed_token_of(connection: sa.Connection, user_id: int) -> str | None:
    """The secret in the member's private feed URL, None until one is made."""
    return connection.execute(sa.select(users.c.feed_token).where(users.c.id == user_id)).scalar()


def set_feed_token(connection: sa.Connection, user_id: int, *, token: str) -> None:
    """Set (or replace) the secret in the member's private feed URL."""
    connection.execute(users.update().where(users.c.id == user_id).values(feed_token=token))


def user_id_of_feed_token(connection: sa.Connection, token: str) -> int | None:
    """The member whose private feed URL holds ``token``; None if nobody's does or they are banned."""
    return connection.execute(sa.select(users.c.id).where(users.c.feed_token == token,
                                                          users.c.banned_at.is_(None))).scalar()
