"""Subscribing to the digest, its preferences and unsubscribe links, and saved-search alerts.

``/unsubscribe/TOKEN`` (the link in every digest's footer) unsubscribes with
one click and offers to undo it. ``/unsubscribe/TOKEN/one-click`` is the
``List-Unsubscribe`` URL: mail clients POST ``List-Unsubscribe=One-Click``
to it (RFC 8058 §3.1); a GET there (a client or a link scanner fetching the
header's URL) only shows a button, so fetching it unsubscribes nobody.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from paperfeed.digest import alerts
from paperfeed.digest import subscriptions
from paperfeed.db import subscriptions as subscriptions_repo
from paperfeed.config import secret_key
from paperfeed.errors import InvalidInput
from paperfeed.digest.mail import local_outbox, send_text
from paperfeed.web.deps import ConnectionDep, NowDep, RowId, SettingsDep, render, site_url
from paperfeed.web.ratelimit import limit
from paperfeed.web.sessions import UserDep, check_csrf, current_user

router = APIRouter(include_in_schema=False)




def _preferences(form: dict) -> subscriptions.Preferences:
    return subscriptions.Preferences.checked(**{name: form[name] for name in (
        "frequency", "send_hour", "timezone", "content", "top_count", "personal_count", "keywords") if name in form})


async def _form(request: Request) -> dict:
    return {name: value for name, value in (await request.form()).items() if isinstance(value, str)}


# --- subscribing by email -----------------------------------------------------------------------


@router.get("/subscribe")
def subscribe_page(request: Request) -> Response:
    if current_user(request) is not None:
        return RedirectResponse("/account/digest", status_code=303)
    return render(request, "subscribe.html", error=None, sent_to=None, form={}, preferences=subscriptions.Preferences())


@router.post("/subscribe", dependencies=[limit("subscribe")])
async def subscribe(request: Request, settings: SettingsDep, now: NowDep) -> Response:
    """Always the same answer for a new and a subscribed address (no probing who reads the digest)."""
    form = await _form(request)
    check_csrf(request, form.get("csrf"))
    try:
        preferences = _preferences(form)
        row, kind = subscriptions.subscribe(request.app.state.engine, form.get("email", "")[:320], preferences, now=now)
    except InvalidInput as problem:
        return render(request, "subscribe.html", status_code=400, error=str(problem), sent_to=None, form=form,
                       preferences=subscriptions.Preferences())
    base, secret = site_url(request), secret_key(settings)
    if kind == "confirm":
        link = f"{base}/subscribe/confirm?token={subscriptions.confirm_token(secret, row)}"
        send_text(settings, to=row.email, subject=f"Confirm your {settings.site_name} digest",
              text=f"Hello,\n\nsomeone (we hope you) asked for the {row.frequency} digest of {settings.site_name} at "
              f"this address. Open this link to confirm; nothing is sent before you do:\n\n{link}\n\n"
              "If it was not you, ignore this email.\n")
    else:
        link = f"{base}/subscription/{subscriptions.manage_token(secret, row)}"
        send_text(settings, to=row.email, subject=f"Your {settings.site_name} digest",
              text=f"Hello,\n\nthis address already gets the {row.frequency} digest of {settings.site_name}. "
              f"Change what you get, or unsubscribe, here:\n\n{link}\n")
    return render(request, "subscribe.html", error=None, sent_to=row.email, form={},
                   preferences=subscriptions.Preferences(), outbox=local_outbox(settings))


@router.get("/subscribe/confirm")
def subscribe_confirm(request: Request, settings: SettingsDep, now: NowDep, token: str = "") -> Response:
    row = subscriptions.confirm(request.app.state.engine, secret_key(settings), token[:2000], now=now)
    return RedirectResponse(f"/subscription/{subscriptions.manage_token(secret_key(settings), row)}?confirmed=1",
                            status_code=303)


# --- preferences and unsubscribing (signed links, no login) ------------------------------------


def _subscription_of(request: Request, settings, token: str):
    return subscriptions.from_manage_token(request.app.state.engine, secret_key(settings), token[:2000])


@router.get("/subscription/{token}")
def preferences_page(token: str, request: Request, settings: SettingsDep, confirmed: int = 0, saved: int = 0) -> Response:
    row = _subscription_of(request, settings, token)
    done = "Confirmed: your digest is on its way." if confirmed else "Saved." if saved else None
    return render(request, "subscription.html", row=row, preferences=subscriptions.preferences_of(row),
                   action=f"/subscription/{token}", token=token, error=None, done=done)


@router.post("/subscription/{token}")
async def preferences_save(token: str, request: Request, settings: SettingsDep) -> Response:
    row = _subscription_of(request, settings, token)
    form = await _form(request)
    check_csrf(request, form.get("csrf"))
    try:
        subscriptions.update_preferences(request.app.state.engine, row.id, _preferences(form))
    except InvalidInput as problem:
        return render(request, "subscription.html", status_code=400, row=row,
                       preferences=subscriptions.preferences_of(row), action=f"/subscription/{token}", token=token,
                       error=str(problem), done=None)
    return RedirectResponse(f"/subscription/{token}?saved=1", status_code=303)


@router.get("/unsubscribe/{token}")
def unsubscribe_link(token: str, request: Request, settings: SettingsDep, now: NowDep) -> Response:
    """The footer link: one click unsubscribes."""
    row = _subscription_of(request, settings, token)
    subscriptions.unsubscribe(request.app.state.engine, row.id, now=now)
    return render(request, "unsubscribed.html", row=row, token=token, done=True)


@router.post("/unsubscribe/{token}/undo")
def unsubscribe_undo(token: str, request: Request, settings: SettingsDep,
                     csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    row = _subscription_of(request, settings, token)
    subscriptions.resubscribe(request.app.state.engine, row.id)
    return RedirectResponse(f"/subscription/{token}?saved=1", status_code=303)


@router.get("/unsubscribe/{token}/one-click")
def one_click_page(token: str, request: Request, settings: SettingsDep) -> Response:
    row = _subscription_of(request, settings, token)
    return render(request, "unsubscribed.html", row=row, token=token, done=False)


@router.post("/unsubscribe/{token}/one-click")
def one_click(token: str, request: Request, settings: SettingsDep, now: NowDep) -> Response:
    """RFC 8058: the mail client POSTs ``List-Unsubscribe=One-Click`` (or a person the button below)."""
    row = _subscription_of(request, settings, token)
    subscriptions.unsubscribe(request.app.state.engine, row.id, now=now)
    if "text/html" in request.headers.get("accept", ""):
        return render(request, "unsubscribed.html", row=row, token=token, done=True)
    return PlainTextResponse(f"{row.email} is unsubscribed.\n")


# --- members: their digest and alerts -----------------------------------------------------------


@router.get("/account/digest")
def member_digest_page(request: Request, user: UserDep, connection: ConnectionDep, settings: SettingsDep,
                       saved: int = 0, sent: int = 0) -> Response:
    """The member's digest settings; ``sent``: the save emailed a confirmation link (an unconfirmed address)."""
    row = subscriptions_repo.find_by_user(connection, user.id)
    preferences = subscriptions.preferences_of(row) if row else subscriptions.Preferences()
    sent = bool(sent and row is not None and row.state == "unconfirmed")
    done = f"Saved. We sent a link to {row.email}: open it to confirm your digest." if sent else (
        "Saved." if saved else None)
    return render(request, "subscription.html", row=row, preferences=preferences, action="/account/digest",
                   token=None, error=None, done=done, member=user, outbox=local_outbox(settings) if sent else None)


@router.post("/account/digest")
async def member_digest_save(request: Request, user: UserDep, settings: SettingsDep, now: NowDep) -> Response:
    form = await _form(request)
    check_csrf(request, form.get("csrf"))
    engine = request.app.state.engine
    if form.get("stop"):
        with engine.connect() as connection:
            row = subscriptions_repo.find_by_user(connection, user.id)
        if row is not None:
            subscriptions.unsubscribe(engine, row.id, now=now)
        return RedirectResponse("/account/digest?saved=1", status_code=303)
    try:
        row, kind = subscriptions.subscribe_member(engine, user, _preferences(form), now=now)
    except InvalidInput as problem:
        return render(request, "subscription.html", status_code=400, row=None, preferences=subscriptions.Preferences(),
                       action="/account/digest", token=None, error=str(problem), done=None, member=user)
    if kind == "confirm":
        link = f"{site_url(request)}/subscribe/confirm?token={subscriptions.confirm_token(secret_key(settings), row)}"
        send_text(settings, to=row.email, subject=f"Confirm your {settings.site_name} digest",
              text=f"Hello {user.username},\n\nopen this link to confirm your digest:\n\n{link}\n")
        return RedirectResponse("/account/digest?saved=1&sent=1", status_code=303)
    return RedirectResponse("/account/digest?saved=1", status_code=303)


@router.get("/alerts")
def alerts_page(request: Request, user: UserDep, connection: ConnectionDep, q: str = "", category: str = "") -> Response:
    return render(request, "alerts.html", alerts=alerts.of_member(connection, user.id), form={"q": q[:1000],
                   "category": category[:32]}, error=None, active="alerts")


@router.post("/alerts")
async def alert_create(request: Request, user: UserDep, connection: ConnectionDep, settings: SettingsDep,
                       now: NowDep) -> Response:
    form = await _form(request)
    check_csrf(request, form.get("csrf"))
    try:
        alerts.create(request.app.state.engine, user, form.get("query", ""), category=form.get("category", ""),
                      delivery=form.get("delivery", "digest"), webhook_url=form.get("webhook_url", ""), now=now,
                      allow_private_hosts=settings.webhook_private_hosts)
    except InvalidInput as problem:
        return render(request, "alerts.html", status_code=400, alerts=alerts.of_member(connection, user.id),
                       form={"q": form.get("query", ""), "category": form.get("category", "")}, error=str(problem),
                       active="alerts")
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/{alert_id}/delete")
def alert_delete(alert_id: RowId, request: Request, user: UserDep, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    alerts.delete(request.app.state.engine, user, alert_id)
    return RedirectResponse("/alerts", status_code=303)
