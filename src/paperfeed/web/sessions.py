"""Signed-in members and CSRF protection for forms.

Sessions are signed cookies (Starlette's SessionMiddleware, itsdangerous):
HttpOnly, SameSite=Lax, Secure when the site is served over HTTPS; they hold
the member's id and a CSRF token. Every form that changes state carries the
token in a hidden field and the handler compares it in constant time
(the synchronizer token pattern, OWASP CSRF cheat sheet).
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from paperfeed.config import Settings
from paperfeed.db import users as users_repo
from paperfeed.db.users import UserRow
from paperfeed.errors import PaperfeedError

SESSION_COOKIE = "paperfeed_session"
SESSION_MAX_AGE_S = 30 * 24 * 3600


class NotSignedIn(PaperfeedError):
    """The page or action needs a signed-in member."""


class Forbidden(PaperfeedError):
    """A signed-in member without the role this needs."""


class CsrfError(PaperfeedError):
    """A form arrived without the token of the session that showed it."""


def secret_key(settings: Settings) -> str:
    """``PAPERFEED_SECRET_KEY``, or a random key made once and kept in ``<data dir>/secret_key`` (0600)."""
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(key)
        return key
    except OSError:
        raise


def current_user(request: Request) -> UserRow | None:
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return None
    with request.app.state.engine.connect() as connection:
        user = users_repo.get_user(connection, user_id)
    return None if user is None or user.banned else user


def sign_in(request: Request, user: UserRow) -> None:
    request.session.clear()  # a new session on sign-in (no fixation)
    request.session["user_id"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    request.session.clear()


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not isinstance(submitted, str) or not hmac.compare_digest(expected, submitted):
        raise CsrfError("this form expired or came from another site; reload the page and try again")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _require_user(request: Request) -> UserRow:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):  # a personal access token (API clients)
        from paperfeed.api_tokens import user_for_token

        user = user_for_token(request.app.state.engine, header[7:].strip())
        if user is None:
            raise NotSignedIn("this access token is not valid (revoked, or mistyped)")
        return user
    user = current_user(request)
    if user is None:
        raise NotSignedIn("sign in first")
    return user


UserDep = Annotated[UserRow, Depends(_require_user)]


def member_voted(request: Request, paper_id: str) -> bool:
    """Whether the signed-in member upvoted this paper (False for visitors: no query)."""
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return False
    from paperfeed.db import votes as votes_repo

    with request.app.state.engine.connect() as connection:
        return paper_id in votes_repo.voted_ids(connection, user_id, [paper_id])


def member_collections(request: Request) -> list:
    """The signed-in member's collections (for "Add to collection"); [] for visitors."""
    user = current_user(request)
    if user is None:
        return []
    from paperfeed.collections import of_member

    with request.app.state.engine.connect() as connection:
        return of_member(connection, user.id, viewer=user)
