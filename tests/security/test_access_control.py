"""One member cannot edit, delete or see another member's private collections, comments or tokens.

Every route of the app is listed below, in one of three groups: routes that
take another member's thing by id (each is attacked: bob, signed in, aims
at alice's private collection, comment and token), routes that act only on
the signed-in member (bob's answer must not hold alice's private things),
and routes without members' private data. A new route fails
``test_every_route_is_classified`` until it is put in a group and checked.
"""

import re

import pytest

from paperfeed.digest import alerts
from paperfeed.members.accounts import create_user, promote
from paperfeed.digest.subscriptions import Preferences, manage_token, subscribe_member
from paperfeed.members.api_tokens import create_token, list_tokens
from paperfeed.db.users import find_by_username
from paperfeed.ingest.files import ingest_files
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of, sign_in

SECRET_COLLECTION, SECRET_TOKEN_NAME, ALICE_COMMENT = "Alice private reading list", "alice-secret-script", "Alice wrote this"

# (method, path template) -> how bob aims at alice's things ({c}: collection, {k}: comment, {t}: token).
AIMED_AT_ANOTHER_MEMBER = {
    ("PUT", "/api/comments/{comment_id}"): ("PUT", "/api/comments/{k}", {"json": {"text": "bob was here"}}),
    ("DELETE", "/api/comments/{comment_id}"): ("DELETE", "/api/comments/{k}", {}),
    ("GET", "/api/collections/{collection_id}"): ("GET", "/api/collections/{c}", {}),
    ("PUT", "/api/collections/{collection_id}"): ("PUT", "/api/collections/{c}", {"json": {"name": "bob's now", "public": True}}),
    ("DELETE", "/api/collections/{collection_id}"): ("DELETE", "/api/collections/{c}", {}),
    ("PUT", "/api/collections/{collection_id}/items/{paper_id:path}"): ("PUT", "/api/collections/{c}/items/2608.00002", {}),
    ("DELETE", "/api/collections/{collection_id}/items/{paper_id:path}"): ("DELETE", "/api/collections/{c}/items/2608.00001", {}),
    ("GET", "/feeds/collections/{collection_id}.{fmt}"): ("GET", "/feeds/collections/{c}.atom", {}),
    ("POST", "/account/tokens/{token_id}/revoke"): ("POST", "/account/tokens/{t}/revoke", {"form": True}),
    ("POST", "/comments/{comment_id}/edit"): ("POST", "/comments/{k}/edit", {"form": True, "data": {"body": "bob was here"}}),
    ("POST", "/comments/{comment_id}/delete"): ("POST", "/comments/{k}/delete", {"form": True}),
    ("POST", "/moderation/{comment_id}"): ("POST", "/moderation/{k}", {"form": True, "data": {"action": "hide"}}),
    ("GET", "/collections/{collection_id}.bib"): ("GET", "/collections/{c}.bib", {}),
    ("GET", "/collections/{collection_id}.json"): ("GET", "/collections/{c}.json", {}),
    ("GET", "/collections/{collection_id}.csl.json"): ("GET", "/collections/{c}.csl.json", {}),
    ("GET", "/collections/{collection_id}.ris"): ("GET", "/collections/{c}.ris", {}),
    ("POST", "/papers/{paper_id:path}/save"): ("POST", "/papers/2608.00002/save", {"form": True, "data": {"collection_id": "{c}", "save": "add"}}),
    ("GET", "/collections/{collection_id}"): ("GET", "/collections/{c}", {}),
    ("POST", "/collections/{collection_id}/settings"): ("POST", "/collections/{c}/settings", {"form": True, "data": {"name": "bob's now", "public": "true"}}),
    ("POST", "/collections/{collection_id}/delete"): ("POST", "/collections/{c}/delete", {"form": True}),
    ("POST", "/collections/{collection_id}/items"): ("POST", "/collections/{c}/items", {"form": True, "data": {"paper_id": "2608.00002"}}),
    ("POST", "/collections/{collection_id}/items/{paper_id:path}/{change}"): ("POST", "/collections/{c}/items/2608.00001/remove", {"form": True}),
    ("GET", "/feeds/private/{token}.{fmt}"): ("GET", "/feeds/private/a-guessed-token.atom", {}),
    ("GET", "/admin"): ("GET", "/admin", {}),
    ("GET", "/moderation"): ("GET", "/moderation", {}),
    ("POST", "/alerts/{alert_id}/delete"): ("POST", "/alerts/{a}/delete", {"form": True}),
    # Signed links (digest preferences and unsubscribing): a forged token is refused (400).
    ("GET", "/subscription/{token}"): ("GET", "/subscription/{forged}", {}),
    ("POST", "/subscription/{token}"): ("POST", "/subscription/{forged}", {"form": True, "data": {"frequency": "weekly"}}),
    ("GET", "/unsubscribe/{token}"): ("GET", "/unsubscribe/{forged}", {}),
    ("POST", "/unsubscribe/{token}/undo"): ("POST", "/unsubscribe/{forged}/undo", {"form": True}),
    ("GET", "/unsubscribe/{token}/one-click"): ("GET", "/unsubscribe/{forged}/one-click", {}),
    ("POST", "/unsubscribe/{token}/one-click"): ("POST", "/unsubscribe/{forged}/one-click", {}),
    ("POST", "/papers/{paper_id:path}/unfeature"): ("POST", "/papers/2608.00001/unfeature", {"form": True}),
}

# Routes that act on the signed-in member only: what bob sees there must not hold alice's private things.
OWN_THINGS_ONLY = {
    ("GET", "/account"), ("GET", "/library"), ("GET", "/account/export"), ("GET", "/feed"), ("GET", "/api/collections"),
    ("GET", "/users/{username}"),  # alice's public page: her public collections only
    ("POST", "/account/tokens"), ("POST", "/account/password"), ("POST", "/account/email"), ("POST", "/account/delete"),
    ("POST", "/account/import"), ("POST", "/follows"), ("POST", "/feed/link"), ("POST", "/collections"),
    ("POST", "/api/collections"), ("POST", "/signout"), ("GET", "/account/digest"), ("POST", "/account/digest"),
    ("GET", "/alerts"), ("POST", "/alerts"),
    ("GET", "/library/upvotes.bib"), ("GET", "/library/upvotes.csl.json"), ("GET", "/library/upvotes.ris"),
    ("GET", "/api/me/state"),  # the member's own votes and collections on a page of papers
}

# Public reading, sign-in and sign-up, and actions any member may take on shared things (upvote,
# comment, report, feature a paper on today's page): no member's private data is reachable through them.
NO_PRIVATE_DATA = {
    ("GET", "/openapi.json"), ("GET", "/api/docs"),
    ("GET", "/api/papers/{paper_id:path}/comments"), ("POST", "/api/papers/{paper_id:path}/comments"),
    ("POST", "/api/comments/{comment_id}/report"), ("GET", "/api/daily_papers"), ("GET", "/api/papers/search"),
    ("GET", "/api/papers"), ("GET", "/api/papers/{paper_id:path}"), ("GET", "/papers/{paper_id:path}.md"),
    ("GET", "/papers/{paper_id:path}.bib"), ("GET", "/papers/{paper_id:path}.csl.json"), ("GET", "/papers/{paper_id:path}.ris"), ("GET", "/signin/oidc"), ("GET", "/signin/oidc/callback"),
    ("GET", "/feeds/daily.{fmt}"), ("GET", "/feeds/weekly.{fmt}"), ("GET", "/feeds/monthly.{fmt}"),
    ("GET", "/feeds/trending.{fmt}"), ("GET", "/feeds/search.{fmt}"), ("GET", "/feeds/authors/{name}.{fmt}"),
    ("GET", "/feeds/categories/{category}.{fmt}"), ("GET", "/signin"), ("POST", "/signin"), ("GET", "/submit"),
    ("POST", "/submit"), ("POST", "/api/papers/submit"), ("GET", "/papers/new"), ("POST", "/papers/{paper_id:path}/feature"),
    ("POST", "/papers/{paper_id:path}/upvote"),
    ("POST", "/api/papers/{paper_id:path}/upvote"), ("DELETE", "/api/papers/{paper_id:path}/upvote"),
    ("GET", "/signup"), ("POST", "/signup"), ("GET", "/confirm"), ("GET", "/reset"), ("POST", "/reset"),
    ("GET", "/reset/new"), ("POST", "/reset/new"), ("GET", "/confirm-email"),
    ("POST", "/papers/{paper_id:path}/comments"), ("POST", "/comments/{comment_id}/report"),
    ("GET", "/authors/{name:path}"), ("GET", "/"), ("GET", "/papers/date/{day}"), ("GET", "/papers/week/{week}"),
    ("GET", "/papers/month/{month}"), ("GET", "/papers/week"), ("GET", "/papers/month"), ("GET", "/papers/trending"),
    ("GET", "/search"), ("GET", "/papers/{paper_id:path}"), ("GET", "/subscribe"), ("POST", "/subscribe"),
    ("GET", "/subscribe/confirm"), ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
    ("GET", "/covers/{paper_id:path}.png"), ("GET", "/covers/{paper_id:path}.svg"),  # a paper's cover
    ("GET", "/papers/date"), ("GET", "/orgs/{name:path}"), ("GET", "/feeds/orgs/{name:path}.{fmt}"),
}


def app_routes(app):
    for route in app.routes:
        for leaf in (route.original_router.routes if hasattr(route, "original_router") else [route]):
            for method in sorted(getattr(leaf, "methods", None) or ()):
                if method != "HEAD":
                    yield method, leaf.path


def test_every_route_is_classified(tmp_path, sqlite_engine):
    routes = set(app_routes(make_client(sqlite_engine, tmp_path).app))
    known = set(AIMED_AT_ANOTHER_MEMBER) | OWN_THINGS_ONLY | NO_PRIVATE_DATA
    assert routes - known == set(), "new routes: put each in a group above (and check it)"
    assert known - routes == set(), "routes listed here that the app no longer has"


@pytest.fixture
def world(engine, tmp_path):
    """alice: a private collection, a comment and a token; bob: an ordinary signed-in member."""
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", [
        {"id": f"2608.0000{n}", "title": f"Paper {n}", "date": FIXED_NOW.date().isoformat(), "listed": True}
        for n in (1, 2)])])
    create_user(engine, "alice", PASSWORD, email="alice@example.org")
    create_user(engine, "bob", PASSWORD, email="bob@example.org")
    promote(engine, "alice", "admin")
    with engine.connect() as connection:
        alice = find_by_username(connection, "alice")
    alice_client = make_client(engine, tmp_path)
    alice_client.headers["Authorization"] = f"Bearer {create_token(engine, alice, SECRET_TOKEN_NAME)}"
    collection = alice_client.post("/api/collections", json={"name": SECRET_COLLECTION}).json()["id"]
    alice_client.put(f"/api/collections/{collection}/items/2608.00001")
    comment = alice_client.post("/api/papers/2608.00001/comments", json={"text": ALICE_COMMENT}).json()["id"]
    with engine.connect() as connection:
        token_id = list_tokens(connection, alice)[0].id
    alert = alerts.create(engine, alice, "secret topic of alice").id
    subscription, _ = subscribe_member(engine, alice, Preferences(keywords="alice secret keyword"))
    forged = manage_token("not the site's key", subscription)
    bob = make_client(engine, tmp_path)
    sign_in(bob, "bob")
    return {"alice": alice_client, "bob": bob, "c": collection, "k": comment, "t": token_id, "a": alert,
            "forged": forged}


def test_nothing_of_alices_can_be_reached_by_bob(world, engine):
    bob = world["bob"]
    csrf = csrf_of(bob.get("/account").text)
    for (method, template), (verb, path, options) in AIMED_AT_ANOTHER_MEMBER.items():
        url = path.format(c=world["c"], k=world["k"], t=world["t"], a=world["a"], forged=world["forged"])
        kwargs = {"follow_redirects": False}
        if options.get("form"):
            kwargs["data"] = {**{name: value.format(c=world["c"]) for name, value in options.get("data", {}).items()},
                              "csrf": csrf}
        if "json" in options:
            kwargs["json"] = options["json"]
        answer = bob.request(verb, url, **kwargs)
        allowed = (400,) if "{forged}" in path else (403, 404)
        assert answer.status_code in allowed, (method, template, answer.status_code, answer.text[:200])
        assert "alice secret keyword" not in answer.text and "secret topic of alice" not in answer.text
        assert SECRET_COLLECTION not in answer.text and SECRET_TOKEN_NAME not in answer.text, (method, template)
    alice = world["alice"]
    assert alice.get("/api/collections").json()[0]["name"] == SECRET_COLLECTION  # the token still works
    mine = alice.get(f"/api/collections/{world['c']}").json()
    assert [p["id"] for p in mine["papers"]] == ["2608.00001"] and not mine["public"]
    thread = alice.get("/api/papers/2608.00001/comments").json()
    assert ALICE_COMMENT in thread[0]["html"] and not thread[0]["hidden"] and not thread[0]["deleted"]


def test_bobs_own_pages_hold_nothing_private_of_alices(world):
    bob = world["bob"]
    for url in ("/account", "/library", "/account/export", "/feed", "/api/collections", "/users/alice",
                "/account/digest", "/alerts", "/library/upvotes.bib", "/library/upvotes.csl.json",
                "/api/me/state?papers=2608.00001,2608.00002"):
        answer = bob.get(url)
        assert answer.status_code == 200, url
        assert SECRET_COLLECTION not in answer.text and SECRET_TOKEN_NAME not in answer.text, url
        assert "alice@example.org" not in answer.text, url
        assert "alice secret keyword" not in answer.text and "secret topic of alice" not in answer.text, url
    assert re.search(r"Signed in as <strong>bob</strong>", bob.get("/account").text)
