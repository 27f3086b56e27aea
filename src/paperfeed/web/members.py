"""What members do: sign in and out, submit a paper, browse new arXiv papers and feature one, upvote;
the admin page. (Accounts are in :mod:`.accounts`, comments, collections and follows in :mod:`.community`.)

Every state change is a POST with the session's CSRF token (forms) or a JSON
body (the API, where browsers cannot forge ``application/json`` across sites).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from paperfeed.members import accounts
from paperfeed.catalog import listings
from paperfeed.catalog import submissions
from paperfeed.community import votes
from paperfeed.errors import InvalidInput
from paperfeed.periods import parse_day
from paperfeed.search import check_category

from paperfeed.web.deps import ConnectionDep, NowDep, SettingsDep, render
from paperfeed.web.ratelimit import LimiterDep, client_address, limit
from paperfeed.errors import AlreadyListed, Forbidden, UpstreamUnavailable
from paperfeed.web.sessions import (UserDep, check_csrf, current_user, safe_next, sign_in,
                                    sign_out)

router = APIRouter()


@router.get("/signin", include_in_schema=False)
def signin_page(request: Request, next: str = "/") -> Response:  # noqa: A002 (the parameter's public name)
    return render(request, "signin.html", next=safe_next(next), error=None, username="")


@router.post("/signin", include_in_schema=False, dependencies=[limit("sign-in")])
def signin(
    request: Request, limiter: LimiterDep, username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "", csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
) -> Response:
    """``username`` is the member's name or email address (the field keeps its name for password managers)."""
    check_csrf(request, csrf)
    account, address = accounts.sign_in_key(request.app.state.engine, username), client_address(request)
    limiter.refuse_when_full("sign-in-failures", account, address)
    if limiter.full("sign-in-account-failures", account):
        limiter.hit("sign-in-account-slow", account)  # under attack from many addresses: slowed, not locked
    user = accounts.authenticate(request.app.state.engine, username, password)
    if user is None:
        limiter.record("sign-in-failures", account, address)
        limiter.record("sign-in-account-failures", account)
        return render(request, "signin.html", status_code=400, next=safe_next(next), username=username,
                       error="Wrong username, email address or password.")
    if user.banned:
        return render(request, "signin.html", status_code=403, next="/", username=username,
                       error="This account was banned by the moderators.")
    if not user.email_confirmed:
        return render(request, "signin.html", status_code=400, next=safe_next(next), username=username,
                       error="Confirm your email address first: open the link we sent you.")
    sign_in(request, user)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/signout", include_in_schema=False)
def signout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    sign_out(request)
    return RedirectResponse("/", status_code=303)


@router.get("/submit", include_in_schema=False)
def submit_page(request: Request, arxiv_id: Annotated[str, Query(max_length=2000)] = "") -> Response:
    if current_user(request) is None:
        back = "/submit" + (f"?{urlencode({'arxiv_id': arxiv_id})}" if arxiv_id else "")
        return RedirectResponse(f"/signin?next={quote(back, safe='/')}", status_code=303)
    return render(request, "submit.html", error=None, value=arxiv_id, done=None)


@router.post("/submit", include_in_schema=False)
def submit_form(
    request: Request, user: UserDep, now: NowDep, settings: SettingsDep,
    arxiv_id: Annotated[str, Form(max_length=2000)] = "", csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    try:
        done = _submit(request, settings, arxiv_id, user.username, now)
    except (InvalidInput, UpstreamUnavailable) as error:
        status = 503 if isinstance(error, UpstreamUnavailable) else 400
        message = error.reason if isinstance(error, InvalidInput) else str(error)
        return render(request, "submit.html", status_code=status, error=message, value=arxiv_id, done=None)
    return render(request, "submit.html", error=None, value="", done=done)


class SubmitBody(BaseModel):
    arxiv_id: str = Field(max_length=2000, description="2406.01234, arXiv:2406.01234v2 or an arxiv.org link")


@router.post("/api/papers/submit", status_code=201, tags=["papers"], dependencies=[limit("api")])
def submit_api(body: SubmitBody, request: Request, user: UserDep, now: NowDep, settings: SettingsDep) -> Response:
    """Submit an arXiv paper (signed-in members): it is fetched from arXiv and listed today."""
    try:
        done = _submit(request, settings, body.arxiv_id, user.username, now)
    except AlreadyListed as error:
        return JSONResponse({"error": str(error), "field": "arxiv_id"}, status_code=409)
    except UpstreamUnavailable as error:
        return JSONResponse({"error": str(error), "field": None}, status_code=503, headers={"Retry-After": "60"})
    return JSONResponse({"id": done.paper_id, "title": done.title, "listedOn": done.listed_on.isoformat(),
                         "url": f"/papers/{done.paper_id}"}, status_code=201)


def _submit(request: Request, settings, reference: str, username: str, now) -> submissions.Submission:
    request.app.state.rate_limiter.hit("submit", username)
    return submissions.submit_paper(request.app.state.engine, request.app.state.arxiv_client,
                                    api_url=settings.arxiv_api_url, reference=reference, username=username,
                                    today=now.date(), now=now)


@router.get("/papers/new", include_in_schema=False)
def new_papers_page(
    request: Request, connection: ConnectionDep, now: NowDep,
    day: Annotated[str | None, Query(alias="date", max_length=10)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """Papers fetched from arXiv by announcement day, featured or not; members feature them here.
    With a category, the papers its feed (/feeds/categories/{category}.atom) holds for that day."""
    chosen = parse_day(day, field="date") if day else None
    category = (category or "").strip() or None
    if category is not None:
        check_category(category)
    new = listings.new_papers(connection, chosen, today=now.date(), category=category)
    return render(request, "new.html", active="new", new=new, category=category or "")


@router.post("/papers/{paper_id:path}/feature", include_in_schema=False)
def feature(
    paper_id: str, request: Request, user: UserDep, now: NowDep, csrf: Annotated[str, Form()] = "",
    back: Annotated[str, Form(max_length=2000)] = "/papers/new",
) -> Response:
    check_csrf(request, csrf)
    submissions.feature_paper(request.app.state.engine, paper_id, username=user.username, today=now.date(), now=now)
    return RedirectResponse(safe_next(back), status_code=303)


@router.post("/papers/{paper_id:path}/unfeature", include_in_schema=False)
def unfeature(paper_id: str, request: Request, user: UserDep, csrf: Annotated[str, Form()] = "",
              back: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    """Editors take a paper off the daily page."""
    check_csrf(request, csrf)
    if user.role not in submissions.EDITORS:
        raise Forbidden("only editors can un-feature papers (paperfeed user promote NAME --role editor)")
    submissions.unfeature_paper(request.app.state.engine, paper_id, role=user.role)
    return RedirectResponse(safe_next(back), status_code=303)


@router.post("/papers/{paper_id:path}/upvote", include_in_schema=False)
def upvote_form(
    paper_id: str, request: Request, user: UserDep, now: NowDep, csrf: Annotated[str, Form()] = "",
    vote: Annotated[str, Form(pattern="^(up|undo)$")] = "up", back: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The vote button: a plain form (redirects back) or, from votes.js, JSON without a reload.
    (The field is ``vote``, not ``action``: an input named ``action`` would hide ``form.action`` in scripts.)"""
    check_csrf(request, csrf)
    request.app.state.rate_limiter.hit("vote", str(user.id))
    upvotes, voted = votes.set_vote(request.app.state.engine, user.id, paper_id, up=vote == "up", now=now)
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse({"upvotes": upvotes, "voted": voted})
    return RedirectResponse(safe_next(back), status_code=303)


@router.post("/api/papers/{paper_id:path}/upvote", tags=["papers"], dependencies=[limit("api")])
def upvote_api(paper_id: str, request: Request, user: UserDep, now: NowDep) -> dict:
    """Upvote a paper (signed-in members; once per member): ``{upvotes, voted: true}``."""
    request.app.state.rate_limiter.hit("vote", str(user.id))
    upvotes, voted = votes.set_vote(request.app.state.engine, user.id, paper_id, up=True, now=now)
    return {"upvotes": upvotes, "voted": voted}


@router.delete("/api/papers/{paper_id:path}/upvote", tags=["papers"], dependencies=[limit("api")])
def undo_upvote_api(paper_id: str, request: Request, user: UserDep, now: NowDep) -> dict:
    """Take back an upvote: ``{upvotes, voted: false}``."""
    request.app.state.rate_limiter.hit("vote", str(user.id))
    upvotes, voted = votes.set_vote(request.app.state.engine, user.id, paper_id, up=False, now=now)
    return {"upvotes": upvotes, "voted": voted}


@router.get("/admin", include_in_schema=False)
def admin_page(request: Request, user: UserDep, connection: ConnectionDep) -> Response:
    """For admins: each source's last fetch (outcome, counts, cursor), the scheduler's recent job runs,
    and the digests (subscribers by state, the last runs with sent, failed, bounced, skipped)."""
    from paperfeed.db import fetch_state, job_runs

    if user.role != "admin":
        raise Forbidden("only admins see this page (paperfeed user add NAME --role admin)")
    from paperfeed.digest.status import digest_status

    return render(request, "admin.html", states=fetch_state.all_states(connection),
                   runs=job_runs.recent_runs(connection, limit=30),
                   digests=digest_status(request.app.state.engine, runs=15))
