"""Signing in through an OpenID Connect provider (a real provider server on 127.0.0.1)."""

from urllib.parse import urlsplit

import httpx
import pytest

from paperfeed.members.accounts import authenticate, create_user
from tests.conftest import make_client
from tests.integration.test_members import PASSWORD, csrf_of, sign_in
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider


@pytest.fixture
def provider():
    with OidcProvider() as server:
        yield server


@pytest.fixture
def site(engine, tmp_path, provider):
    return make_client(engine, tmp_path, oidc_name="Example ID", oidc_discovery_url=provider.discovery_url,
                       oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET)


def through_provider(site, start="/signin/oidc"):
    """What a browser does: go to the provider, come back with the code; returns the site's answer."""
    to_provider = site.get(start, follow_redirects=False)
    assert to_provider.status_code == 302, to_provider.text
    back = httpx.get(to_provider.headers["location"], follow_redirects=False)
    assert back.status_code == 302
    callback = urlsplit(back.headers["location"])
    return site.get(f"{callback.path}?{callback.query}", follow_redirects=False)


def test_first_sign_in_creates_a_member_and_later_ones_find_them(site, engine, provider):
    assert "Sign in with Example ID" in site.get("/signin").text
    answer = through_provider(site, "/signin/oidc?next=/library")
    assert answer.status_code == 303 and answer.headers["location"] == "/library"
    account = site.get("/account").text
    assert "ada" in account and "ada@example.org" in account and "Set a password" in account
    assert authenticate(engine, "ada", "") is None  # no password signs in to it
    site.post("/signout", data={"csrf": csrf_of(account)})
    provider.person = {**provider.person, "email": "ada@new.example.org", "preferred_username": "someone-else"}
    assert through_provider(site).status_code == 303
    assert "Signed in as <strong>ada</strong>" in site.get("/account").text  # the same member, by iss + sub


def test_a_verified_address_signs_in_to_the_existing_account(site, engine, provider):
    create_user(engine, "lovelace", PASSWORD, email="ada@example.org")
    assert through_provider(site).status_code == 303
    assert "Signed in as <strong>lovelace</strong>" in site.get("/account").text


def test_an_unverified_address_never_takes_over_an_account(site, engine, provider):
    create_user(engine, "ada", PASSWORD, email="ada@example.org")
    provider.person = {**provider.person, "email_verified": False}
    assert through_provider(site).status_code == 303
    account = site.get("/account").text
    assert "Signed in as <strong>ada2</strong>" in account and "ada@example.org" not in account


def test_a_signed_in_member_connects_the_provider(site, engine, provider):
    create_user(engine, "alice", PASSWORD, email="alice@example.org")
    sign_in(site)
    assert "Connect Example ID" in site.get("/account").text
    answer = through_provider(site)
    assert answer.headers["location"] == "/account?connected=1"
    assert "Connected" in site.get("/account?connected=1").text
    site.post("/signout", data={"csrf": csrf_of(site.get("/account").text)})
    through_provider(site)
    assert "Signed in as <strong>alice</strong>" in site.get("/account").text


@pytest.mark.parametrize("problem", ["denied", "forged state", "wrong signature"])
def test_failures_are_clear_and_sign_no_one_in(site, provider, problem):
    if problem == "denied":
        provider.deny = True
        answer = through_provider(site)
    elif problem == "forged state":
        site.get("/signin/oidc", follow_redirects=False)
        answer = site.get("/signin/oidc/callback?code=abc&state=forged", follow_redirects=False)
    else:
        provider.forge = True
        answer = through_provider(site)
    assert answer.status_code == 400
    assert "did not work" in answer.text
    assert "Sign in" in site.get("/account", follow_redirects=True).text


def test_provider_down_and_not_configured(engine, tmp_path):
    down = make_client(engine, tmp_path, oidc_discovery_url="http://127.0.0.1:9/.well-known/openid-configuration",
                       oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET)
    answer = down.get("/signin/oidc", follow_redirects=False)
    assert answer.status_code == 503 and "cannot be reached" in answer.text
    plain = make_client(engine, tmp_path / "plain")
    assert plain.get("/signin/oidc").status_code == 404
    assert "Sign in with" not in plain.get("/signin").text


def test_a_banned_member_cannot_sign_in_through_the_provider(site, engine, provider):
    from paperfeed.db.tables import users

    through_provider(site)
    with engine.begin() as connection:
        connection.execute(users.update().values(banned_at=users.c.created_at))
    site.cookies.clear()
    answer = through_provider(site)
    assert answer.status_code == 403 and "banned" in answer.text
