"""Accounts: signing up, confirming the address, resetting the password, the account page (password,
address, tokens, deletion), exporting and importing a member's data, and public profiles.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.members import accounts
from paperfeed.members import identities
from paperfeed.community import collections
from paperfeed.config import secret_key
from paperfeed.errors import InvalidInput

from paperfeed.digest.mail import local_outbox, send_text, send_text_later
from paperfeed.web.deps import ConnectionDep, RowId, SettingsDep, render, site_url
from paperfeed.web.ratelimit import limit
from paperfeed.web.sessions import UserDep, check_csrf, current_user, renew_session, sign_in, sign_out

router = APIRouter()


# --- sign-up, confirmation, password reset, account -------------------------------------------




def _signup(request: Request, *, status_code: int = 200, error=None, form=None, sent_to=None,
            outbox=None) -> Response:
    return render(request, "signup.html", status_code=status_code, error=error, form=form or {}, sent_to=sent_to,
                  outbox=outbox, username_rule=accounts.USERNAME_RULE)


@router.get("/signup", include_in_schema=False)
def signup_page(request: Request) -> Response:
    return _signup(request)


@router.post("/signup", include_in_schema=False, dependencies=[limit("sign-up")])
def signup(
    request: Request, settings: SettingsDep, background: BackgroundTasks,
    username: Annotated[str, Form(max_length=64)] = "", email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "", csrf: Annotated[str, Form()] = "",
) -> Response:
    """The same answer whether or not the address has an account: its owner gets a mail saying so."""
    check_csrf(request, csrf)
    try:
        done = accounts.sign_up(request.app.state.engine, username, email, password)
    except InvalidInput as error:
        return _signup(request, status_code=400, error=str(error), form={"username": username, "email": email})
    user, site = done.user, settings.site_name
    if done.new:
        link = f"{site_url(request)}/confirm?token={accounts.make_token(secret_key(settings), 'confirm', user)}"
        text = (f"Hello {user.username},\n\nopen this link to confirm your address and finish signing up:\n\n"
                f"{link}\n\nIt works for 3 days. If you did not sign up, ignore this email.\n")
        background.add_task(send_text_later, settings, to=user.email, subject=f"Confirm your {site} account", text=text)
    else:
        text = (f"Hello {user.username},\n\nsomeone tried to sign up at {site} with this address, which your "
                f"account uses already. If it was you, sign in: {site_url(request)}/signin\nForgot your "
                f"password? {site_url(request)}/reset\n\nIf it was not you, ignore this email.\n")
        background.add_task(send_text_later, settings, to=user.email, subject=f"Your {site} account", text=text)
    return _signup(request, sent_to=email.strip(), outbox=local_outbox(settings))


@router.get("/confirm", include_in_schema=False)
def confirm(request: Request, settings: SettingsDep, token: Annotated[str, Query(max_length=2000)] = "") -> Response:
    user = accounts.user_from_token(request.app.state.engine, secret_key(settings), "confirm", token)
    if user.email_confirmed:  # the link works once: opened again (or by someone else), it signs nobody in
        return RedirectResponse("/signin?confirmed=1", status_code=303)
    accounts.confirm_email(request.app.state.engine, user)
    sign_in(request, user)
    return RedirectResponse("/account?confirmed=1", status_code=303)


@router.get("/reset", include_in_schema=False)
def reset_page(request: Request) -> Response:
    return render(request, "reset.html", error=None, sent=False, token=None)


@router.post("/reset", include_in_schema=False, dependencies=[limit("reset")])
def reset_request(
    request: Request, settings: SettingsDep, background: BackgroundTasks,
    email: Annotated[str, Form(max_length=320)] = "", csrf: Annotated[str, Form()] = "",
) -> Response:
    """Always the same answer, in the same time, whether or not the address has an account (no
    account probing): the mail goes out after the answer."""
    check_csrf(request, csrf)
    user = accounts.find_by_email(request.app.state.engine, email)
    if user is not None and user.email:
        token = accounts.make_token(secret_key(settings), "reset", user)
        link = f"{site_url(request)}/reset/new?token={token}"
        text = (f"Hello {user.username},\n\nopen this link within an hour to choose a new password:\n\n{link}\n\n"
                "If you did not ask for this, ignore this email; your password stays as it is.\n")
        background.add_task(send_text_later, settings, to=user.email,
                            subject=f"Reset your {settings.site_name} password", text=text)
    return render(request, "reset.html", error=None, sent=True, token=None, outbox=local_outbox(settings))


@router.get("/reset/new", include_in_schema=False)
def reset_new_page(request: Request, settings: SettingsDep, token: Annotated[str, Query(max_length=2000)] = "") -> Response:
    accounts.user_from_token(request.app.state.engine, secret_key(settings), "reset", token)
    return render(request, "reset.html", error=None, sent=False, token=token)


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
        return render(request, "reset.html", status_code=400, error=str(error), sent=False, token=token)
    accounts.confirm_email(request.app.state.engine, user)  # the link proved the address
    return RedirectResponse("/signin?reset=1", status_code=303)


def _account(request: Request, user, *, status_code: int = 200, error=None, done=None, new_token=None,
             outbox=None) -> Response:
    from paperfeed.members import api_tokens

    with request.app.state.engine.connect() as connection:
        tokens = api_tokens.list_tokens(connection, user)
        providers = identities.providers_of(connection, user.id)
    return render(request, "account.html", status_code=status_code, active="account", member=user, error=error, done=done,
                   tokens=tokens, new_token=new_token, providers=providers, outbox=outbox)


@router.get("/account", include_in_schema=False)
def account_page(request: Request, user: UserDep, confirmed: int = 0, connected: int = 0) -> Response:
    done = "Your address is confirmed." if confirmed else "Connected: you can sign in with it now." if connected else None
    return _account(request, user, done=done)


@router.post("/account/tokens", include_in_schema=False)
def token_create(request: Request, user: UserDep, name: Annotated[str, Form(max_length=200)] = "",
                 csrf: Annotated[str, Form()] = "") -> Response:
    from paperfeed.members import api_tokens

    check_csrf(request, csrf)
    try:
        token = api_tokens.create_token(request.app.state.engine, user, name)
    except InvalidInput as error:
        return _account(request, user, status_code=400, error=str(error))
    return _account(request, user, new_token=token, done="Token created: copy it now, it is not shown again.")


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
def token_revoke(token_id: RowId, request: Request, user: UserDep, csrf: Annotated[str, Form()] = "") -> Response:
    from paperfeed.members import api_tokens

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
    renew_session(request, user)  # every session ended with the old password; this browser goes on
    return _account(request, user, done="Your password is changed; other browsers are signed out.")


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
    return _account(request, user, done=f"We sent a link to {new_email.strip()}: open it to switch to that address.",
                    outbox=local_outbox(settings))


@router.get("/confirm-email", include_in_schema=False)
def confirm_email_change(request: Request, settings: SettingsDep,
                         token: Annotated[str, Query(max_length=2000)] = "") -> Response:
    viewer = current_user(request)  # before the change ends the member's sessions
    user = accounts.change_email(request.app.state.engine, secret_key(settings), token)
    if viewer is None or viewer.id != user.id:
        return RedirectResponse("/signin", status_code=303)  # switched; sign in to see it
    renew_session(request, user)
    return _account(request, user, done=f"Your address is now {user.email}; other browsers are signed out.")


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


# --- your data, and profiles ------------------------------------------------------------------


@router.get("/account/export", include_in_schema=False)
def account_export(request: Request, user: UserDep, connection: ConnectionDep) -> Response:
    """Everything the member made (votes, comments, collections, follows, digest settings, saved
    searches) as one JSON file."""
    from paperfeed.members import export_import

    body = json.dumps(export_import.export_member(connection, user), ensure_ascii=False, indent=2)
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="paperfeed-{user.username}.json"'})


@router.post("/account/import", include_in_schema=False)
async def account_import(request: Request, user: UserDep, settings: SettingsDep) -> Response:
    """Merge an exported file (this site's or another paperfeed's) into the member's data."""
    from paperfeed.members import export_import

    form = await request.form()
    check_csrf(request, form.get("csrf"))
    upload = form.get("file")
    raw = await upload.read(export_import.MAX_IMPORT_BYTES + 1) if hasattr(upload, "read") else b""
    try:
        report = export_import.import_member(request.app.state.engine, user, raw,
                                             allow_private_hosts=settings.webhook_private_hosts)
    except InvalidInput as error:
        return _account(request, user, status_code=400, error=str(error))
    return _account(request, user, done=report.summary())


PROFILE_PAGE_SIZE = 30


@router.get("/users/{username}", include_in_schema=False)
def profile_page(username: str, request: Request, connection: ConnectionDep,
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """A submitter's page: the papers listed under that name (a member's submissions, or those of a
    Hugging Face user whose listings were imported), and a member's public collections and recent comments."""
    from paperfeed.catalog import listings
    from paperfeed.db import comments as comments_repo
    from paperfeed.db import users as users_repo
    from paperfeed.errors import NotFound

    member = users_repo.find_by_username(connection, username)
    if member is not None and member.banned:
        raise NotFound(f"no member named {username}")
    submitted = listings.submitted_by(connection, member.username if member else username,
                                      limit=PROFILE_PAGE_SIZE, offset=(page - 1) * PROFILE_PAGE_SIZE)
    if member is None and submitted.total == 0:
        raise NotFound(f"no member named {username}, and no paper was submitted under that name")
    recent = comments_repo.recent_comments_of_member(connection, member.id, limit=30) if member else []
    mine = collections.of_member(connection, member.id, viewer=None) if member else []
    return render(request, "profile.html", member=member, name=member.username if member else username,
                  submitted=submitted, page=page, page_size=PROFILE_PAGE_SIZE, recent=recent, collections=mine,
                  imported=any(item.listing.source == "hf" for item in submitted.items))
