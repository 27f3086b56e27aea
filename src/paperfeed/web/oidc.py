"""Sign in with an OpenID Connect provider (optional; ``PAPERFEED_OIDC_*`` settings).

The authorization code flow with PKCE (RFC 7636, S256) through authlib's
Starlette client: ``/signin/oidc`` sends the browser to the provider with a
fresh ``state`` and ``nonce`` kept in the session; ``/signin/oidc/callback``
exchanges the code, and authlib checks the ID token's signature (the
provider's JWKS), issuer, audience, expiry and nonce before
:func:`paperfeed.members.identities.member_for_identity` finds or creates the member.
"""

from __future__ import annotations

import logging

import httpx
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Request
from joserfc.errors import JoseError
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from paperfeed.members import identities
from paperfeed.config import Settings
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.web.deps import render
from paperfeed.web.ratelimit import limit
from paperfeed.web.sessions import current_user, safe_next, sign_in

log = logging.getLogger(__name__)
try:  # authlib talks to the provider through httpx2 when that is installed, else httpx
    import httpx2

    NETWORK_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, httpx2.HTTPError, OSError)
except ImportError:
    NETWORK_ERRORS = (httpx.HTTPError, OSError)
router = APIRouter(include_in_schema=False)
CALLBACK_PATH = "/signin/oidc/callback"


def oidc_client(settings: Settings):
    """authlib's client for the configured provider, or None when sign-in through a provider is off."""
    if not (settings.oidc_discovery_url and settings.oidc_client_id):
        return None
    oauth = OAuth()
    return oauth.register(
        "oidc", server_metadata_url=settings.oidc_discovery_url, client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256", "timeout": 15},
    )


def _client(request: Request):
    client = request.app.state.oidc
    if client is None:
        raise NotFound("sign-in through a provider is not set up on this site")
    return client


def _callback_url(request: Request) -> str:
    base = request.app.state.settings.base_url.rstrip("/")
    return f"{base}{CALLBACK_PATH}" if base else str(request.url_for("oidc_callback"))


def _failed(request: Request, reason: str, status_code: int = 400) -> Response:
    return render(request, "signin.html", status_code=status_code, next="/", username="", error=reason)


@router.get("/signin/oidc", dependencies=[limit("sign-in")])
async def oidc_start(request: Request, next: str = "/") -> Response:  # noqa: A002 (the parameter's public name)
    client = _client(request)
    request.session["oidc_next"] = safe_next(next)
    try:
        return await client.authorize_redirect(request, _callback_url(request))
    except (*NETWORK_ERRORS, OAuthError, ValueError) as error:
        log.warning("OpenID Connect provider unreachable: %s", error)
        return _failed(request, f"{request.app.state.settings.oidc_name or 'The provider'} cannot be reached "
                                "right now; try again later or sign in with your password.", 503)


@router.get(CALLBACK_PATH, name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    client = _client(request)
    name = request.app.state.settings.oidc_name or "the provider"
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as error:
        reason = "you cancelled" if error.error == "access_denied" else (error.description or error.error)
        return _failed(request, f"Signing in with {name} did not work: {reason}. Try again.")
    except JoseError as error:  # a bad signature, another issuer or audience, an expired token, a replayed nonce
        log.warning("OpenID Connect ID token refused: %s", error)
        return _failed(request, f"Signing in with {name} did not work: its answer could not be verified. Try again.")
    except (*NETWORK_ERRORS, ValueError) as error:
        log.warning("OpenID Connect token exchange failed: %s", error)
        return _failed(request, f"{name} did not answer; try again later.", 503)
    claims = dict(token.get("userinfo") or {})
    signed_in = current_user(request)
    try:
        user = await run_in_threadpool(identities.member_for_identity, request.app.state.engine, claims,
                                       signed_in=signed_in)
    except InvalidInput as problem:
        return _failed(request, f"Signing in with {name} did not work: {problem.reason}.")
    if user.banned:
        return _failed(request, "This account was banned by the moderators.", 403)
    target = request.session.get("oidc_next") or "/"
    sign_in(request, user)
    return RedirectResponse("/account?connected=1" if signed_in else safe_next(target), status_code=303)
