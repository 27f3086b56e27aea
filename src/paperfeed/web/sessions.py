"""Signed-in members and CSRF protection for forms.

Sessions are signed cookies (Starlette's SessionMiddleware, itsdangerous):
HttpOnly, SameSite=Lax, Secure when the site is served over HTTPS; they hold
the member's id and a CSRF token. Every form that changes state carries the
token in a hidden field and the handler compares it in constant time
(the synchronizer token pattern, OWASP CSRF cheat sheet).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from fastapi import Depends, Request

from paperfeed.db.users import UserRow
from paperfeed.errors import CsrfError, NotSignedIn
from paperfeed.members.sessions import end_session, member_of_session, members_of_sessions, start_session
from paperfeed.web.deps import request_connection

SESSION_COOKIE = "paperfeed_session"


_UNKNOWN = object()


def current_user(request: Request) -> UserRow | None:
    """The signed-in member (banned members count as signed out), read once per request:
    a page asks for it in its header and on every card."""
    cached = getattr(request.state, "member", _UNKNOWN)
    if cached is not _UNKNOWN:
        return cached
    session_id = request.session.get("sid")
    user = None
    if isinstance(session_id, str):
        with request_connection(request) as connection:
            user = member_of_session(connection, session_id)
    request.state.member = user
    return user


def live_members(engine: sa.Engine, session_ids: list[str]) -> dict[str, UserRow]:
    """The members of those of ``session_ids`` that still sign someone in (the page cache checks
    the sessions it serves from memory again, many in one go)."""
    with engine.connect() as connection:
        return members_of_sessions(connection, session_ids)


def sign_in(request: Request, user: UserRow) -> None:
    """A new session for ``user`` in this browser (a new id: no fixation)."""
    request.session.clear()
    request.session["sid"] = start_session(request.app.state.engine, user)
    request.state.member = user
    request.session["csrf"] = secrets.token_urlsafe(32)


def renew_session(request: Request, user: UserRow) -> None:
    """After a password or email change ended every session: a new one for this browser, the same
    member, its open forms still valid (the CSRF token stays)."""
    request.session["sid"] = start_session(request.app.state.engine, user)
    request.state.member = user


def sign_out(request: Request) -> None:
    """End this browser's session: its cookie, even a copy kept elsewhere, no longer signs anyone in."""
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        end_session(request.app.state.engine, session_id)
    request.session.clear()
    request.state.member = None


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
    """Where to go after signing in: a path on this site, never another site (no open redirect).
    Refused, for "/": anything not starting with one "/", a backslash (browsers read "/" + backslash
    + "evil.example" as "//evil.example"), a control character (browsers drop tabs and newlines
    from URLs, so "/", a tab, "/evil.example" leads there too), and anything with a scheme or a
    host. A space may be there: it is how a path like /authors/Ada Lovelace reads decoded."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(character) < 0x20 or ord(character) == 0x7F for character in target)):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


NO_RETURN_PATHS = ("/signin", "/signup", "/signout", "/reset")


def here(request: Request) -> str:
    """This request's path and query (the page number with it), as a ``next`` to come back to."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def signin_url(request: Request, fragment: str = "") -> str:
    """The sign-in page that comes back to this very page, its query and page number included (and
    ``#fragment``, e.g. "comments", the part of the page the visitor was reading). Every "Sign in
    to ..." link and the redirect of a page for members only use it."""
    known = getattr(request.state, "signin_urls", None)
    if known is None:
        known = request.state.signin_urls = {}  # a page of cards asks for it on every card
    if fragment not in known:
        if request.url.path.startswith(NO_RETURN_PATHS):
            known[fragment] = "/signin"
        else:
            back = here(request) + (f"#{fragment}" if fragment else "")
            known[fragment] = f"/signin?next={quote(back, safe='/')}"
    return known[fragment]


def optional_user(request: Request) -> UserRow | None:
    """The member behind a personal access token (``Authorization: Bearer``, for API clients) or
    the session cookie, or None for a visitor. A wrong or revoked token is an error, not a visitor."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        from paperfeed.members.api_tokens import user_for_token

        user = user_for_token(request.app.state.engine, header[7:].strip())
        if user is None:
            raise NotSignedIn("this access token is not valid (revoked, or mistyped)")
        return user
    return current_user(request)


def _require_user(request: Request) -> UserRow:
    user = optional_user(request)
    if user is None:
        raise NotSignedIn("sign in first")
    return user


def cross_site_write(request: Request) -> bool:
    """Whether a state-changing request came from another site's page (Fetch Metadata and the
    ``Origin`` header, OWASP CSRF cheat sheet): refused before any handler runs, on top of the
    forms' CSRF tokens and SameSite cookies. Requests with a bearer token carry no ambient
    credential and pass; so do clients that send neither header (scripts, feed readers)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.headers.get("authorization", "").lower().startswith("bearer "):
        return False
    path = request.url.path
    if path.startswith("/unsubscribe/") and path.endswith("/one-click"):
        return False  # RFC 8058: mail providers POST from their own sites; the signed URL is the credential
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin")
    if not origin:
        return False
    if origin == "null":
        return True
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
    base = request.app.state.settings.base_url.rstrip("/")
    if base:
        parts = urlsplit(base)
        own.add(f"{parts.scheme}://{parts.netloc}")
    return origin not in own


UserDep = Annotated[UserRow, Depends(_require_user)]


def member_voted(request: Request, paper_id: str) -> bool:
    """Whether the signed-in member upvoted this paper. The member's votes are read once per
    request (one query for a page of cards); visitors cost no query."""
    voted = getattr(request.state, "voted", None)
    if voted is None:
        user = current_user(request)
        voted = set()
        if user is not None:
            from paperfeed.db import votes as votes_repo

            with request_connection(request) as connection:
                voted = set(votes_repo.voted_paper_ids(connection, user.id, limit=None))
        request.state.voted = voted
    return paper_id in voted


def member_collections(request: Request) -> list:
    """The signed-in member's collections (for "Save"), read once per request; [] for visitors."""
    mine = getattr(request.state, "collections", None)
    if mine is None:
        user = current_user(request)
        mine = []
        if user is not None:
            from paperfeed.community.collections import of_member

            with request_connection(request) as connection:
                mine = of_member(connection, user.id, viewer=user)
        request.state.collections = mine
    return mine


def member_saved_in(request: Request, paper_id: str) -> set[int]:
    """The ids of the signed-in member's collections that hold this paper. Like
    :func:`member_voted`: one query for a page of cards, none for visitors."""
    held = getattr(request.state, "saved", None)
    if held is None:
        user = current_user(request)
        held = {}
        if user is not None:
            from paperfeed.community.collections import holding

            with request_connection(request) as connection:
                held = holding(connection, user.id)
        request.state.saved = held
    return held.get(paper_id, set())
