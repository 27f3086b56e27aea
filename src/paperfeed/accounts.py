"""Members: creating them and checking their passwords.

Passwords are hashed with argon2id (RFC 9106) through argon2-cffi's defaults;
a hash made with older parameters is upgraded at the next sign-in. Checking a
password for an unknown name still runs one hash, so the answer takes the
same time whether or not the name exists.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from paperfeed.db import users as users_repo
from paperfeed.db.engine import write_transaction
from paperfeed.db.users import UserRow
from paperfeed.errors import InvalidInput

ROLES = ("member", "editor", "admin")
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,31}")
MIN_PASSWORD_CHARS = 10
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("a password nobody has")


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username or ""):
        raise InvalidInput("2 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit",
                           field="username")
    return username


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"at least {MIN_PASSWORD_CHARS} characters", field="password")
    if len(password) > 1024:
        raise InvalidInput("at most 1,024 characters", field="password")
    return password


def create_user(engine: sa.Engine, username: str, password: str, *, email: str | None = None,
                role: str = "member") -> int:
    """A new member; clear errors for a taken name, a weak password or an unknown role."""
    check_username(username)
    check_password(password)
    if role not in ROLES:
        raise InvalidInput(f"one of {', '.join(ROLES)}", field="role")
    with write_transaction(engine) as connection:
        if users_repo.find_by_username(connection, username):
            raise InvalidInput(f"{username!r} is taken", field="username")
        return users_repo.add_user(connection, username=username, email=email, password_hash=_hasher.hash(password),
                                   role=role, now=datetime.now(UTC))


def authenticate(engine: sa.Engine, username: str, password: str) -> UserRow | None:
    """The member with this name and password, or None (for a wrong name or password alike)."""
    with engine.connect() as connection:
        user = users_repo.find_by_username(connection, username or "")
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        with write_transaction(engine) as connection:
            users_repo.set_password_hash(connection, user.id, _hasher.hash(password))
    return user
