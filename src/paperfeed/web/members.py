"""What members do: sign in and out, submit a paper, browse new arXiv papers and feature one.

Every state change is a POST with the session's CSRF token (forms) or a JSON
body (the API, where browsers cannot forge ``application/json`` across sites).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from paperfeed import accounts, catalog, comments, identities, submissions, voting
from paperfeed import collections as paper_collections
from paperfeed.db import papers as papers_repo
from paperfeed.errors import InvalidInput
from paperfeed.sources.fields import parse_date_text

from paperfeed.mail import send_text
from paperfeed.web.deps import ConnectionDep, NowDep, SettingsDep, site_url
from paperfeed.web.ratelimit import LimiterDep, limit
from paperfeed.web.sessions import (Forbidden, UserDep, check_csrf, current_user, safe_next, secret_key, sign_in,
                                    sign_out)

router = APIRouter()


def _render(request: Request, template: str, *, status_code: int = 200, **context) -> Response:
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)


@router.get("/signin", include_in_schema=False)
def signin_page(request: Request, next: str = "/") -> Response:  # noqa: A002 (the parameter's public name)
    return _render(request, "signin.html", next=safe_next(next), error=None, username="")


@router.post("/signin", include_in_schema=False, dependencies=[limit("sign-in")])
def signin(
    request: Request, limiter: LimiterDep, username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "", csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
) -> Response:
    check_csrf(request, csrf)
    limiter.hit("sign-in-account", username.strip().lower())
    user = accounts.authenticate(request.app.state.engine, username, password)
    if user is None:
        return _render(request, "signin.html", status_code=400, next=safe_next(next), username=username,
                       error="Wrong name or password.")
    if user.banned:
        return _render(request, "signin.html", status_code=403, next="/", username=username,
                       error="This account was banned by the moderators.")
    if not user.email_confirmed:
        return _render(request, "signin.html", status_code=400, next=safe_next(next), username=username,
                       error="Confirm your email address first: open the link we sent you.")
    sign_in(request, user)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/signout", include_in_schema=False)
def signout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    sign_out(request)
    return RedirectResponse("/", status_code=303)


@router.get("/submit", include_in_schema=False)
def submit_page(request: Request) -> Response:
    if current_user(request) is None:
        return RedirectResponse("/signin?next=/submit", status_code=303)
    return _render(request, "submit.html", error=None, value="", done=None)


@router.post("/submit", include_in_schema=False)
def submit_form(
    request: Request, user: UserDep, now: NowDep, settings: SettingsDep,
    arxiv_id: Annotated[str, Form(max_length=2000)] = "", csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    try:
        done = _submit(request, settings, arxiv_id, user.username, now)
    except (InvalidInput, submissions.UpstreamUnavailable) as error:
        status = 503 if isinstance(error, submissions.UpstreamUnavailable) else 400
        message = error.reason if isinstance(error, InvalidInput) else str(error)
        return _render(request, "submit.html", status_code=status, error=message, value=arxiv_id, done=None)
    return _render(request, "submit.html", error=None, value="", done=done)


class SubmitBody(BaseModel):
    arxiv_id: str = Field(max_length=2000, description="2406.01234, arXiv:2406.01234v2 or an arxiv.org link")


@router.post("/api/papers/submit", status_code=201, tags=["papers"], dependencies=[limit("api")])
def submit_api(body: SubmitBody, request: Request, user: UserDep, now: NowDep, settings: SettingsDep) -> Response:
    """Submit an arXiv paper (signed-in members): it is fetched from arXiv and listed today."""
    try:
        done = _submit(request, settings, body.arxiv_id, user.username, now)
    except submissions.AlreadyListed as error:
        return JSONResponse({"error": str(error), "field": "arxiv_id"}, status_code=409)
    except submissions.UpstreamUnavailable as error:
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
    """Papers fetched from arXiv by announcement day, featured or not; members feature them here."""
    chosen = parse_date_text(day, field="date") if day else catalog.latest_new_day(connection) or now.date()
    papers = catalog.new_papers(connection, chosen, category=category or None)
    return _render(request, "new.html", active="new", day=chosen, category=category or "", papers=papers,
                   previous_day=chosen - timedelta(days=1), next_day=chosen + timedelta(days=1),
                   today=now.date())


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
    upvotes, voted = voting.set_vote(request.app.state.engine, user.id, paper_id, up=vote == "up", now=now)
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse({"upvotes": upvotes, "voted": voted})
    return RedirectResponse(safe_next(back), status_code=303)


@router.post("/api/papers/{paper_id:path}/upvote", tags=["papers"], dependencies=[limit("api")])
def upvote_api(paper_id: str, request: Request, user: UserDep, now: NowDep) -> dict:
    """Upvote a paper (signed-in members; once per member): ``{upvotes, voted: true}``."""
    request.app.state.rate_limiter.hit("vote", str(user.id))
    upvotes, voted = voting.set_vote(request.app.state.engine, user.id, paper_id, up=True, now=now)
    return {"upvotes": upvotes, "voted": voted}


@router.delete("/api/papers/{paper_id:path}/upvote", tags=["papers"], dependencies=[limit("api")])
def undo_upvote_api(paper_id: str, request: Request, user: UserDep, now: NowDep) -> dict:
    """Take back an upvote: ``{upvotes, voted: false}``."""
    request.app.state.rate_limiter.hit("vote", str(user.id))
    upvotes, voted = voting.set_vote(request.app.state.engine, user.id, paper_id, up=False, now=now)
    return {"upvotes": upvotes, "voted": voted}


@router.get("/admin", include_in_schema=False)
def admin_page(request: Request, user: UserDep, connection: ConnectionDep) -> Response:
    """For admins: each source's last fetch (outcome, counts, cursor), the scheduler's recent job runs,
    and the digests (subscribers by state, the last runs with sent, failed, bounced, skipped)."""
    from paperfeed.db import fetch_state, job_runs

    if user.role != "admin":
        raise Forbidden("only admins see this page (paperfeed user add NAME --role admin)")
    from paperfeed.digest.status import digest_status

    return _render(request, "admin.html", states=fetch_state.all_states(connection),
                   runs=job_runs.recent_runs(connection, limit=30),
                   digests=digest_status(request.app.state.engine, runs=15))


# --- sign-up, confirmation, password reset, account -------------------------------------------




@router.get("/signup", include_in_schema=False)
def signup_page(request: Request) -> Response:
    return _render(request, "signup.html", error=None, form={}, sent_to=None)


@router.post("/signup", include_in_schema=False, dependencies=[limit("sign-up")])
def signup(
    request: Request, settings: SettingsDep, username: Annotated[str, Form(max_length=64)] = "",
    email: Annotated[str, Form(max_length=320)] = "", password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    try:
        user = accounts.sign_up(request.app.state.engine, username, email, password)
    except InvalidInput as error:
        return _render(request, "signup.html", status_code=400, error=str(error),
                       form={"username": username, "email": email}, sent_to=None)
    token = accounts.make_token(secret_key(settings), "confirm", user)
    link = f"{site_url(request)}/confirm?token={token}"
    send_text(settings, to=user.email, subject=f"Confirm your {settings.site_name} account",
          text=f"Hello {user.username},\n\nopen this link to confirm your address and finish signing up:\n\n{link}\n\n"
          "It works for 3 days. If you did not sign up, ignore this email.\n")
    return _render(request, "signup.html", error=None, form={}, sent_to=user.email)


@router.get("/confirm", include_in_schema=False)
def confirm(request: Request, settings: SettingsDep, token: Annotated[str, Query(max_length=2000)] = "") -> Response:
    user = accounts.user_from_token(request.app.state.engine, secret_key(settings), "confirm", token)
    accounts.confirm_email(request.app.state.engine, user)
    sign_in(request, user)
    return RedirectResponse("/account?confirmed=1", status_code=303)


@router.get("/reset", include_in_schema=False)
def reset_page(request: Request) -> Response:
    return _render(request, "reset.html", error=None, sent=False, token=None)


@router.post("/reset", include_in_schema=False, dependencies=[limit("reset")])
def reset_request(
    request: Request, settings: SettingsDep, email: Annotated[str, Form(max_length=320)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Always the same answer, whether or not the address has an account (no account probing)."""
    check_csrf(request, csrf)
    user = accounts.find_by_email(request.app.state.engine, email)
    if user is not None and user.email:
        token = accounts.make_token(secret_key(settings), "reset", user)
        link = f"{site_url(request)}/reset/new?token={token}"
        send_text(settings, to=user.email, subject=f"Reset your {settings.site_name} password",
              text=f"Hello {user.username},\n\nopen this link within an hour to choose a new password:\n\n{link}\n\n"
              "If you did not ask for this, ignore this email; your password stays as it is.\n")
    return _render(request, "reset.html", error=None, sent=True, token=None)


@router.get("/reset/new", include_in_schema=False)
def reset_new_page(request: Request, settings: SettingsDep, token: Annotated[str, Query(max_length=2000)] = "") -> Response:
    accounts.user_from_token(request.app.state.engine, secret_key(settings), "reset", token)
    return _render(request, "reset.html", error=None, sent=False, token=token)


@router.post("/reset/new", include_in_schema=False)
def reset_new(
    request: Request, settings: SettingsDep, token: Annotated[str, Form(max_length=2000)] = "",
    password: Annotated[str, Form(max_length=1024)] = "", csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    user = accounts.user_from_token(request.app.state.engine, secret_key(settings), "reset", token)
    try:
        accounts.set_password(request.app.state.engine, user, password)
    except InvalidInput as error:
        return _render(request, "reset.html", status_code=400, error=str(error), sent=False, token=token)
    accounts.confirm_email(request.app.state.engine, user)  # the link proved the address
    return RedirectResponse("/signin?reset=1", status_code=303)


def _account(request: Request, user, *, status_code: int = 200, error=None, done=None, new_token=None) -> Response:
    from paperfeed import api_tokens

    with request.app.state.engine.connect() as connection:
        tokens = api_tokens.list_tokens(connection, user)
        providers = identities.providers_of(connection, user.id)
    return _render(request, "account.html", status_code=status_code, member=user, error=error, done=done,
                   tokens=tokens, new_token=new_token, providers=providers)


@router.get("/account", include_in_schema=False)
def account_page(request: Request, user: UserDep, confirmed: int = 0, connected: int = 0) -> Response:
    done = "Your address is confirmed." if confirmed else "Connected: you can sign in with it now." if connected else None
    return _account(request, user, done=done)


@router.post("/account/tokens", include_in_schema=False)
def token_create(request: Request, user: UserDep, name: Annotated[str, Form(max_length=200)] = "",
                 csrf: Annotated[str, Form()] = "") -> Response:
    from paperfeed import api_tokens

    check_csrf(request, csrf)
    try:
        token = api_tokens.create_token(request.app.state.engine, user, name)
    except InvalidInput as error:
        return _account(request, user, status_code=400, error=str(error))
    return _account(request, user, new_token=token, done="Token created: copy it now, it is not shown again.")


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
def token_revoke(token_id: int, request: Request, user: UserDep, csrf: Annotated[str, Form()] = "") -> Response:
    from paperfeed import api_tokens

    check_csrf(request, csrf)
    api_tokens.revoke_token(request.app.state.engine, user, token_id)
    return _account(request, user, done="Token revoked.")


@router.post("/account/password", include_in_schema=False)
def account_password(
    request: Request, user: UserDep, current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "", csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    try:
        accounts.change_password(request.app.state.engine, user, current_password, new_password)
    except InvalidInput as error:
        return _account(request, user, status_code=400, error=str(error))
    return _account(request, user, done="Your password is changed.")


@router.post("/account/email", include_in_schema=False)
def account_email(
    request: Request, user: UserDep, settings: SettingsDep, new_email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "", csrf: Annotated[str, Form()] = "",
) -> Response:
    """Send a confirmation link to the new address; the account moves there when it is opened."""
    check_csrf(request, csrf)
    try:
        token = accounts.email_change_token(request.app.state.engine, secret_key(settings), user, password, new_email)
    except InvalidInput as error:
        return _account(request, user, status_code=400, error=str(error))
    link = f"{site_url(request)}/confirm-email?token={token}"
    send_text(settings, to=new_email.strip(), subject=f"Confirm your new address for {settings.site_name}",
          text=f"Hello {user.username},\n\nopen this link within a day to use this address for your account:\n\n{link}\n")
    return _account(request, user, done=f"We sent a link to {new_email.strip()}: open it to switch to that address.")


@router.get("/confirm-email", include_in_schema=False)
def confirm_email_change(request: Request, settings: SettingsDep,
                         token: Annotated[str, Query(max_length=2000)] = "") -> Response:
    user = accounts.change_email(request.app.state.engine, secret_key(settings), token)
    viewer = current_user(request)
    if viewer is None or viewer.id != user.id:
        return RedirectResponse("/signin", status_code=303)  # switched; sign in to see it
    return _account(request, viewer, done=f"Your address is now {user.email}.")


@router.post("/account/delete", include_in_schema=False)
def account_delete(
    request: Request, user: UserDep, password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    try:
        accounts.delete_account(request.app.state.engine, user, password)
    except InvalidInput as error:
        return _account(request, user, status_code=400, error=str(error))
    sign_out(request)
    return RedirectResponse("/", status_code=303)


# --- comments and moderation -----------------------------------------------------------------


@router.post("/papers/{paper_id:path}/comments", include_in_schema=False)
def comment_add(
    paper_id: str, request: Request, user: UserDep, now: NowDep, body: Annotated[str, Form(max_length=20_000)] = "",
    parent_id: Annotated[int | None, Form()] = None, csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    request.app.state.rate_limiter.hit("comment", str(user.id))
    comment_id = comments.add_comment(request.app.state.engine, user, paper_id, body, parent_id=parent_id, now=now)
    return RedirectResponse(f"/papers/{paper_id}#comment-{comment_id}", status_code=303)


@router.post("/comments/{comment_id}/edit", include_in_schema=False)
def comment_edit(
    comment_id: int, request: Request, user: UserDep, now: NowDep, body: Annotated[str, Form(max_length=20_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    paper_id = comments.edit_comment(request.app.state.engine, user, comment_id, body, now=now)
    return RedirectResponse(f"/papers/{paper_id}#comment-{comment_id}", status_code=303)


@router.post("/comments/{comment_id}/delete", include_in_schema=False)
def comment_delete(comment_id: int, request: Request, user: UserDep, now: NowDep,
                   csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    paper_id = comments.delete_comment(request.app.state.engine, user, comment_id, now=now)
    return RedirectResponse(f"/papers/{paper_id}#comments", status_code=303)


@router.post("/comments/{comment_id}/report", include_in_schema=False)
def comment_report(
    comment_id: int, request: Request, user: UserDep, now: NowDep,
    reason: Annotated[str, Form(max_length=1000)] = "", csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    paper_id = comments.report_comment(request.app.state.engine, user, comment_id, reason, now=now)
    return RedirectResponse(f"/papers/{paper_id}?reported={comment_id}#comment-{comment_id}", status_code=303)


@router.get("/moderation", include_in_schema=False)
def moderation_page(request: Request, user: UserDep, connection: ConnectionDep) -> Response:
    """The moderators' queue: reported comments, most reported first."""
    from paperfeed.db import comments as comments_repo

    if not comments.is_moderator(user):
        raise Forbidden("only moderators see this page (paperfeed user promote NAME --role moderator)")
    return _render(request, "moderation.html", reports=comments_repo.open_reports(connection))


@router.post("/moderation/{comment_id}", include_in_schema=False)
def moderation_action(
    comment_id: int, request: Request, user: UserDep, now: NowDep,
    action: Annotated[str, Form(pattern="^(hide|ban|dismiss)$")] = "hide", csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    comments.moderate(request.app.state.engine, user, comment_id, action=action, now=now)
    return RedirectResponse("/moderation", status_code=303)


# --- collections and the library -------------------------------------------------------------


@router.get("/library", include_in_schema=False)
def library_page(request: Request, user: UserDep, connection: ConnectionDep) -> Response:
    """A member's collections and upvoted papers."""
    from paperfeed.db import votes as votes_repo

    upvoted = papers_repo.get_papers(connection, votes_repo.voted_paper_ids(connection, user.id))
    return _render(request, "library.html", active="library", collections=paper_collections.of_member(
        connection, user.id, viewer=user), upvoted=list(upvoted.values()))


@router.post("/collections", include_in_schema=False)
def collection_create(request: Request, user: UserDep, name: Annotated[str, Form(max_length=400)] = "",
                      public: Annotated[bool, Form()] = False, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    collection_id = paper_collections.create(request.app.state.engine, user, name, public=public)
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)


@router.get("/collections/{collection_id}.bib", include_in_schema=False)
def collection_bibtex(collection_id: int, request: Request, connection: ConnectionDep) -> Response:
    collection, papers = paper_collections.get(connection, collection_id, current_user(request))
    return Response(paper_collections.bibtex(papers), media_type="application/x-bibtex; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="collection-{collection.id}.bib"'})


@router.get("/collections/{collection_id}.json", include_in_schema=False)
def collection_csl_json(collection_id: int, request: Request, connection: ConnectionDep) -> Response:
    collection, papers = paper_collections.get(connection, collection_id, current_user(request))
    return Response(paper_collections.csl_json(papers), media_type="application/vnd.citationstyles.csl+json",
                    headers={"Content-Disposition": f'attachment; filename="collection-{collection.id}.json"'})


@router.get("/collections/{collection_id}", include_in_schema=False)
def collection_page(collection_id: int, request: Request, connection: ConnectionDep) -> Response:
    viewer = current_user(request)
    collection, papers = paper_collections.get(connection, collection_id, viewer)
    return _render(request, "collection.html", collection=collection, papers=papers,
                   owner=viewer is not None and viewer.id == collection.owner_id)


@router.post("/collections/{collection_id}/settings", include_in_schema=False)
def collection_settings(collection_id: int, request: Request, user: UserDep,
                        name: Annotated[str, Form(max_length=400)] = "", public: Annotated[bool, Form()] = False,
                        csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    paper_collections.update(request.app.state.engine, user, collection_id, name=name, public=public)
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)


@router.post("/collections/{collection_id}/delete", include_in_schema=False)
def collection_delete(collection_id: int, request: Request, user: UserDep, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    paper_collections.delete(request.app.state.engine, user, collection_id)
    return RedirectResponse("/library", status_code=303)


@router.post("/collections/{collection_id}/items", include_in_schema=False)
def collection_add(collection_id: int, request: Request, user: UserDep,
                   paper_id: Annotated[str, Form(max_length=240)] = "", csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    paper_collections.add_paper(request.app.state.engine, user, collection_id, paper_id)
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)


@router.post("/collections/{collection_id}/items/{paper_id:path}/{change}", include_in_schema=False)
def collection_change_item(collection_id: int, paper_id: str, change: str, request: Request, user: UserDep,
                           csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    engine = request.app.state.engine
    if change == "remove":
        paper_collections.remove_paper(engine, user, collection_id, paper_id)
    elif change in ("up", "down"):
        paper_collections.move_paper(engine, user, collection_id, paper_id, step=-1 if change == "up" else 1)
    else:
        raise InvalidInput("remove, up or down", field="change")
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)


# --- your data, and profiles ------------------------------------------------------------------


@router.get("/account/export", include_in_schema=False)
def account_export(request: Request, user: UserDep, connection: ConnectionDep) -> Response:
    """Everything the member made (votes, comments, collections) as one JSON file."""
    from paperfeed import member_data

    body = json.dumps(member_data.export_member(connection, user), ensure_ascii=False, indent=2)
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="paperfeed-{user.username}.json"'})


@router.post("/account/import", include_in_schema=False)
async def account_import(request: Request, user: UserDep) -> Response:
    from paperfeed import member_data

    form = await request.form()
    check_csrf(request, form.get("csrf"))
    upload = form.get("file")
    raw = await upload.read(member_data.MAX_IMPORT_BYTES + 1) if hasattr(upload, "read") else b""
    try:
        report = member_data.import_member(request.app.state.engine, user, raw)
    except InvalidInput as error:
        return _account(request, user, status_code=400, error=str(error))
    return _account(request, user, done=report.summary())


@router.get("/users/{username}", include_in_schema=False)
def profile_page(username: str, request: Request, connection: ConnectionDep) -> Response:
    """A member's public collections and recent comments."""
    from paperfeed.db import users as users_repo
    from paperfeed.db.tables import comments as comments_table
    from paperfeed.db.tables import papers as papers_table

    member = users_repo.find_by_username(connection, username)
    if member is None or member.banned:
        from paperfeed.errors import NotFound

        raise NotFound(f"no member named {username}")
    recent = connection.execute(
        sa.select(comments_table.c.id, comments_table.c.paper_id, comments_table.c.body_html, comments_table.c.created_at,
                  papers_table.c.title)
        .join(papers_table, papers_table.c.id == comments_table.c.paper_id)
        .where(comments_table.c.user_id == member.id, comments_table.c.deleted_at.is_(None),
               comments_table.c.hidden_at.is_(None))
        .order_by(comments_table.c.created_at.desc()).limit(30)).mappings().all()
    return _render(request, "profile.html", member=member, recent=recent,
                   collections=paper_collections.of_member(connection, member.id, viewer=None))


# --- following and the personal feed -----------------------------------------------------------


@router.get("/authors/{name:path}", include_in_schema=False)
def author_page(name: str, request: Request, connection: ConnectionDep) -> Response:
    """An author's papers, the co-authors who tell namesakes apart, and a follow button."""
    from paperfeed import following

    found = following.papers_by_author(connection, name)
    if not found:
        from paperfeed.errors import NotFound

        raise NotFound(f"no papers by {name}")
    viewer = current_user(request)
    follows_now = viewer is not None and name in following.followed(connection, viewer.id)["author"]
    return _render(request, "author.html", name=name, papers=found,
                   coauthors=following.frequent_coauthors(found, name), following=follows_now)


@router.post("/follows", include_in_schema=False)
def follow(request: Request, user: UserDep, kind: Annotated[str, Form(pattern="^(author|category)$")] = "author",
           value: Annotated[str, Form(max_length=300)] = "", action: Annotated[str, Form(pattern="^(follow|unfollow)$")] = "follow",
           back: Annotated[str, Form(max_length=2000)] = "/feed", csrf: Annotated[str, Form()] = "") -> Response:
    from paperfeed import following

    check_csrf(request, csrf)
    following.set_follow(request.app.state.engine, user.id, kind, value, follow=action == "follow")
    return RedirectResponse(safe_next(back), status_code=303)


@router.get("/feed", include_in_schema=False)
def feed_page(request: Request, user: UserDep, connection: ConnectionDep, now: NowDep) -> Response:
    from paperfeed import following

    from paperfeed.db.tables import users

    items = following.personal_feed(connection, user.id, request.app.state.search.vectors_of, today=now.date())
    token = connection.execute(sa.select(users.c.feed_token).where(users.c.id == user.id)).scalar()
    return _render(request, "feed.html", active="feed", items=items, follows=following.followed(connection, user.id),
                   days=following.FEED_DAYS, private_feed=f"/feeds/private/{token}" if token else None)


@router.post("/feed/link", include_in_schema=False)
def feed_link(request: Request, user: UserDep, csrf: Annotated[str, Form()] = "") -> Response:
    """Make the private feed URL, or replace it (the old one stops working)."""
    from paperfeed import following

    check_csrf(request, csrf)
    following.private_feed_token(request.app.state.engine, user.id, renew=True)
    return RedirectResponse("/feed#private-feed", status_code=303)
