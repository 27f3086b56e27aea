"""Members: creating them and checking their passwords.

Passwords are hashed with argon2id (RFC 9106) through argon2-cffi's defaults;
a hash made with older parameters is upgraded at the next sign-in. Checking a
password for an unknown name still runs one hash, so the answer takes the
same time whether or not the name exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from paperfeed.db import users as users_repo
from paperfeed.db.engine import write_transaction
from paperfeed.db.users import UserRow
from paperfeed.errors import InvalidInput
from paperfeed.members.sessions import end_all_sessions

ROLES = ("member", "moderator", "editor", "admin")
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,31}")
# USERNAME in words, as the sign-up page states it next to the field and as errors say it. No '@':
# a sign-in name with one is an email address.
USERNAME_RULE = "2 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit"
MIN_PASSWORD_CHARS = 10
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("a password nobody has")


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username or ""):
        raise InvalidInput(USERNAME_RULE, field="username")
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
    check_new_password(password, username=username, email=email or "")
    if role not in ROLES:
        raise InvalidInput(f"one of {', '.join(ROLES)}", field="role")
    with write_transaction(engine) as connection:
        if users_repo.find_by_username(connection, username):
            raise InvalidInput(f"{username!r} is taken", field="username")
        return users_repo.add_user(connection, username=username, email=email, password_hash=_hasher.hash(password),
                                   role=role, now=datetime.now(UTC))


def find_member(connection: sa.Connection, name_or_email: str) -> UserRow | None:
    """The member a sign-in form names, in any case: by address when the text holds an '@' (member
    names cannot, :data:`USERNAME_RULE`), else by name."""
    name_or_email = (name_or_email or "").strip()
    if "@" in name_or_email:
        return users_repo.find_by_email(connection, name_or_email)
    return users_repo.find_by_username(connection, name_or_email)


def sign_in_key(engine: sa.Engine, name_or_email: str) -> str:
    """The account that failed sign-ins are counted against: the member's name when the text is
    their address (typing the name or the address gets no more tries than one of them), else the
    text itself, in lower case."""
    with engine.connect() as connection:
        user = find_member(connection, name_or_email)
    return (user.username if user is not None else (name_or_email or "").strip()).lower()


def authenticate(engine: sa.Engine, name_or_email: str, password: str) -> UserRow | None:
    """The member with this name or email address and this password, or None (for a wrong name,
    address or password alike)."""
    with engine.connect() as connection:
        user = find_member(connection, name_or_email)
    usable = user is not None and user.has_password
    try:  # the same work for an unknown name and for a member without a password
        _hasher.verify(user.password_hash if usable else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if not usable:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        with write_transaction(engine) as connection:
            users_repo.set_password_hash(connection, user.id, _hasher.hash(password))
    return user


# --- sign-up, confirmation, password reset, account changes ---------------------------------

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,63}")
COMMON_PASSWORDS_CHECKED = 10_000
CONFIRM_MAX_AGE_S = 3 * 24 * 3600
RESET_MAX_AGE_S = 3600


def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords (zxcvbn's frequency list, from real password leaks; MIT)."""
    global _COMMON
    if _COMMON is None:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS

        _COMMON = frozenset(FREQUENCY_LISTS["passwords"][:COMMON_PASSWORDS_CHECKED])
    return _COMMON


_COMMON: frozenset[str] | None = None


def check_new_password(password: str, *, username: str = "", email: str = "") -> str:
    """:func:`check_password` plus: not one of the 10,000 most common passwords, not the name or address."""
    check_password(password)
    lowered = password.lower()
    if lowered in common_passwords():
        raise InvalidInput("this is one of the 10,000 most common passwords; choose another", field="password")
    if lowered in {username.lower(), email.lower(), email.split("@")[0].lower()} - {""}:
        raise InvalidInput("must not be your name or email address", field="password")
    return password


def check_email(email: str) -> str:
    email = (email or "").strip()
    if not EMAIL.fullmatch(email):
        raise InvalidInput("not an email address like name@example.org", field="email")
    return email


@dataclass(frozen=True, slots=True)
class SignUp:
    """What a sign-up did: made ``user`` (``new``), or found the address taken by ``user``. The page
    answers the same either way (no probing for addresses); only the email differs."""

    user: UserRow
    new: bool


def sign_up(engine: sa.Engine, username: str, email: str, password: str) -> SignUp:
    """A new, unconfirmed member (they confirm with the emailed link before signing in), or the
    member who has the address already. Names are public, so a taken name is an error; the same
    work (one password hash) is done whether or not the address has an account."""
    check_username(username)
    email = check_email(email)
    check_new_password(password, username=username, email=email)
    password_hash = _hasher.hash(password)
    with write_transaction(engine) as connection:
        if users_repo.find_by_username(connection, username):
            raise InvalidInput(f"{username!r} is taken", field="username")
        holder = users_repo.find_by_email(connection, email)
        if holder is not None:
            return SignUp(holder, new=False)
        user_id = users_repo.add_user(connection, username=username, email=email, password_hash=password_hash,
                                      role="member", now=datetime.now(UTC), confirmed=False)
        return SignUp(users_repo.get_user(connection, user_id), new=True)


def sign_payload(secret: str, purpose: str, payload: dict) -> str:
    """A signed, timestamped token (itsdangerous) for links in emails; the salt keeps one purpose's tokens from another's."""
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret, salt=f"paperfeed-{purpose}").dumps(payload)


def read_payload(secret: str, purpose: str, token: str, max_age: int | None) -> dict:
    """The payload of a token made by :func:`sign_payload` (``max_age`` None: never expires), or a clear error for an expired or forged one."""
    from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

    try:
        return URLSafeTimedSerializer(secret, salt=f"paperfeed-{purpose}").loads(token or "", max_age=max_age)
    except SignatureExpired:
        raise InvalidInput("this link has expired; ask for a new one", field="token") from None
    except BadSignature:
        raise InvalidInput("this link is not valid (copied incompletely?)", field="token") from None


def make_token(secret: str, purpose: str, user: UserRow) -> str:
    """A ``confirm`` or ``reset`` token for ``user``. A reset token also carries the end of the
    password hash, so it stops working once the password changed (single use)."""
    return sign_payload(secret, purpose, {"id": user.id, "h": user.password_hash[-16:] if purpose == "reset" else ""})


def user_from_token(engine: sa.Engine, secret: str, purpose: str, token: str) -> UserRow:
    max_age = CONFIRM_MAX_AGE_S if purpose == "confirm" else RESET_MAX_AGE_S
    payload = read_payload(secret, purpose, token, max_age)
    with engine.connect() as connection:
        user = users_repo.get_user(connection, int(payload.get("id", 0)))
    if user is None or (purpose == "reset" and user.password_hash[-16:] != payload.get("h")):
        raise InvalidInput("this link is no longer valid", field="token")
    return user


def confirm_email(engine: sa.Engine, user: UserRow) -> None:
    with write_transaction(engine) as connection:
        users_repo.confirm_email(connection, user.id, now=datetime.now(UTC))


def set_password(engine: sa.Engine, user: UserRow, new_password: str) -> None:
    """Set a new password and end every session of the member (whoever had one signed in with the
    old password is out); the web layer signs the member's own browser in again."""
    check_new_password(new_password, username=user.username, email=user.email or "")
    with write_transaction(engine) as connection:
        users_repo.set_password_hash(connection, user.id, _hasher.hash(new_password))
        end_all_sessions(connection, user.id)


def change_password(engine: sa.Engine, user: UserRow, current: str, new_password: str) -> None:
    if authenticate(engine, user.username, current) is None:
        raise InvalidInput("the current password is wrong", field="current_password")
    set_password(engine, user, new_password)


def delete_account(engine: sa.Engine, user: UserRow, password: str) -> None:
    """Delete the account after checking the password (or, for a member who signs in only through
    a provider and has none, their name typed again)."""
    confirmed = password == user.username if not user.has_password else (
        authenticate(engine, user.username, password) is not None)
    if not confirmed:
        raise InvalidInput("the password is wrong" if user.has_password else "type your member name",
                           field="password")
    with write_transaction(engine) as connection:
        users_repo.delete_user(connection, user.id, now=datetime.now(UTC))


def find_by_email(engine: sa.Engine, email: str) -> UserRow | None:
    with engine.connect() as connection:
        return users_repo.find_by_email(connection, (email or "").strip())


def promote(engine: sa.Engine, username: str, role: str) -> None:
    """Give a member a role (``paperfeed user promote``)."""
    if role not in ROLES:
        raise InvalidInput(f"one of {', '.join(ROLES)}", field="role")
    with write_transaction(engine) as connection:
        user = users_repo.find_by_username(connection, username)
        if user is None:
            raise InvalidInput(f"no member named {username!r}", field="username")
        users_repo.set_role(connection, user.id, role)


EMAIL_CHANGE_MAX_AGE_S = 24 * 3600


def email_change_token(engine: sa.Engine, secret: str, user: UserRow, password: str, new_email: str) -> str:
    """After checking the password and the new address, a signed token that moves the account to
    ``new_email`` once the link sent *there* is opened."""
    if authenticate(engine, user.username, password) is None:
        raise InvalidInput("the password is wrong", field="password")
    new_email = check_email(new_email)
    if find_by_email(engine, new_email) is not None:
        raise InvalidInput("another account uses this address", field="email")
    return sign_payload(secret, "email", {"id": user.id, "email": new_email})


def change_email(engine: sa.Engine, secret: str, token: str) -> UserRow:
    payload = read_payload(secret, "email", token, EMAIL_CHANGE_MAX_AGE_S)
    with write_transaction(engine) as connection:
        holder = users_repo.find_by_email(connection, payload["email"])
        if holder is not None and holder.id == int(payload["id"]):
            return holder  # the link was opened before: the address is the account's already
        if holder is not None:
            raise InvalidInput("another account uses this address now", field="email")
        users_repo.set_email(connection, int(payload["id"]), payload["email"], now=datetime.now(UTC))
        end_all_sessions(connection, int(payload["id"]))  # the account moved: every browser signs in again
        user = users_repo.get_user(connection, int(payload["id"]))
    if user is None:
        raise InvalidInput("this link is no longer valid", field="token")
    return user
