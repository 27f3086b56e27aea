"""Issue 13, faults 12: one table of hostile values, applied to every route's every path parameter,
query parameter and form field (read from the app itself, so a new route is covered the day it is
added), by a signed-in member with a valid CSRF token. Nothing may answer 5xx: a bad value gets a
400 or 404 that names what was wrong. On SQLite and PostgreSQL (which refuses NUL in text and
numbers beyond 2^31 in integer columns, where SQLite refuses beyond 2^63)."""

import re
from urllib.parse import quote

import pytest

from paperfeed.ingest.files import ingest_files
from paperfeed.members.accounts import create_user
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of, sign_in
from tests.security.test_access_control import app_routes

HOSTILE = {
    "NUL": "a\x00b",
    "control characters": "a\x01\x1b[31m\x7fb",
    "above 2^31": "2718068078",
    "above 2^63": "9223372036854775808",
    "negative": "-1",
    "long": "x" * 5_000,
}
SKIPPED_PATHS = {"/openapi.json", "/api/docs", "/docs/oauth2-redirect", "/static"}


def _parameters(route) -> tuple[list[str], list[str], list[str]]:
    """The names of a route's path parameters, query parameters and form fields (FastAPI's dependant)."""
    path = [name for name in re.findall(r"\{(\w+)", route.path)]
    query, form = [], []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        query += [param.name for param in dependant.query_params]
        form += [param.alias for param in dependant.body_params]
        stack += dependant.dependencies
    return path, sorted(set(query)), sorted(set(form) - {"csrf"})


def _leaves(app):
    for route in app.routes:
        yield from (route.original_router.routes if hasattr(route, "original_router") else [route])


@pytest.fixture
def member(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", [
        {"id": "2608.00001", "title": "Paper A", "date": FIXED_NOW.date().isoformat(), "listed": True}])])
    create_user(engine, "alice", PASSWORD, email="alice@example.org")
    client = make_client(engine, tmp_path)
    sign_in(client)
    return client


def _fill(path: str, names: list[str], value: str) -> list[str]:
    """The path once per parameter, that parameter hostile and the others harmless."""
    harmless = {"fmt": "atom", "paper_id": "2608.00001", "day": "2026-08-22", "week": "2026-W34",
                "month": "2026-08", "change": "up"}
    filled = []
    for hostile in names:
        text = path
        for name in names:
            piece = value if name == hostile else harmless.get(name, "1")
            text = re.sub(r"\{" + name + r"(:\w+)?\}", quote(piece, safe=""), text)
        filled.append(text)
    return filled or [path]


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_no_route_answers_5xx_to_a_hostile_value(member, kind):
    value = HOSTILE[kind]
    failures = []
    routes = [(method, leaf) for leaf in _leaves(member.app) for method in sorted(getattr(leaf, "methods", ()) or ())
              if method != "HEAD" and hasattr(leaf, "dependant") and leaf.path not in SKIPPED_PATHS]
    assert {path for _, path in app_routes(member.app)} >= {leaf.path for _, leaf in routes}
    for method, route in routes:
        path_names, query_names, form_names = _parameters(route)
        token = csrf_of(member.get("/account").text)
        attempts = [(path, {}, {}) for path in _fill(route.path, path_names, value) if path_names]
        base = _fill(route.path, path_names, "1")[0] if path_names else route.path
        attempts += [(base, {name: value}, {}) for name in query_names]
        attempts += [(base, {}, {name: value}) for name in form_names]
        if not (path_names or query_names or form_names):
            continue
        for path, params, form in attempts:
            if method == "GET":
                answer = member.get(path, params=params)
            else:
                answer = member.request(method, path, params=params, data={"csrf": token, **form})
            if answer.status_code >= 500:
                failures.append(f"{method} {path[:80]} {params or form and list(form)}: {answer.status_code}")
    assert failures == [], "\n".join(failures)


def test_the_answer_names_the_field(member):
    too_big = member.get("/api/collections/2718068078")
    assert too_big.status_code == 400 and too_big.json()["field"] == "collection_id"
    assert member.get("/collections/9223372036854775808").status_code == 400
    token = csrf_of(member.get("/account").text)
    nul = member.post("/account/tokens", data={"name": "a\x00b", "csrf": token})
    assert nul.status_code == 400 and "name: the NUL character is not allowed" in nul.text
    assert member.get("/users/a%00b").status_code == 400
    assert member.get("/api/daily_papers", params={"sort": "a\x00"}).json()["field"] == "sort"
    api = member.post("/api/collections", json={"name": "bad\x00name", "public": False})
    assert api.status_code == 400 and api.json()["field"] == "body.name"
    feed = member.get("/feeds/categories/cs.CL%01%1B.atom")
    assert feed.status_code == 400 and "category" in feed.text
