"""Upvotes: one per member per paper, undo allowed, from forms, JSON (votes.js) and the API;
they count in the daily ordering and in trending."""

import re

import pytest

from paperfeed.members.accounts import create_user
from paperfeed.ingest.files import ingest_files
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of, sign_in

DAY = FIXED_NOW.date().isoformat()


@pytest.fixture
def site(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", [
        {"id": "2608.00001", "title": "Paper A", "date": DAY, "upvotes": 2},
        {"id": "2608.00002", "title": "Paper B", "date": DAY, "upvotes": 1},
    ])])
    for name in ("alice", "bob"):
        create_user(engine, name, PASSWORD)
    return make_client(engine, tmp_path)


def order_on_day(client) -> list[str]:
    return re.findall(r'class="card-title"><a href="/papers/([^"]+)"', client.get(f"/papers/date/{DAY}").text)


def vote(client, paper_id, action="up", json=False):
    token = csrf_of(client.get(f"/papers/{paper_id}").text)
    headers = {"Accept": "application/json"} if json else {}
    return client.post(f"/papers/{paper_id}/upvote", data={"csrf": token, "vote": action, "back": "/"},
                       headers=headers, follow_redirects=False)


def test_votes_count_once_per_member_and_reorder_the_day(site, engine, tmp_path):
    assert order_on_day(site) == ["2608.00001", "2608.00002"]
    sign_in(site)
    assert vote(site, "2608.00002").status_code == 303
    assert vote(site, "2608.00002", json=True).json() == {"upvotes": 2, "voted": True}  # again: no change
    other = make_client(engine, tmp_path)
    sign_in(other, name="bob")
    assert vote(other, "2608.00002", json=True).json() == {"upvotes": 3, "voted": True}
    assert order_on_day(site) == ["2608.00002", "2608.00001"]
    assert "aria-pressed=\"true\"" in site.get("/papers/2608.00002").text
    assert vote(site, "2608.00002", action="undo", json=True).json() == {"upvotes": 2, "voted": False}
    trending = site.get("/api/daily_papers", params={"date": DAY, "sort": "trending"}).json()
    assert {item["paper"]["id"]: item["paper"]["upvotes"] for item in trending} == {"2608.00001": 2, "2608.00002": 2}


def test_visitors_get_a_sign_in_link_and_forms_need_the_token(site):
    page = site.get(f"/papers/date/{DAY}").text
    assert 'class="card-votes vote-link" href="/signin?next=' in page
    assert site.post("/papers/2608.00001/upvote", data={"vote": "up"}).status_code == 401
    sign_in(site)
    assert site.post("/papers/2608.00001/upvote", data={"vote": "up"}).status_code == 403
    assert vote(site, "2699.99999").status_code == 404


def test_api_upvote_and_undo(site):
    assert site.post("/api/papers/2608.00001/upvote").status_code == 401
    sign_in(site)
    assert site.post("/api/papers/2608.00001/upvote").json() == {"upvotes": 3, "voted": True}
    assert site.delete("/api/papers/2608.00001/upvote").json() == {"upvotes": 2, "voted": False}
    assert site.delete("/api/papers/2608.00001/upvote").json() == {"upvotes": 2, "voted": False}
    assert site.post("/api/papers/nope/upvote").status_code in (400, 404)


def test_reingest_keeps_member_votes(site, engine, tmp_path):
    sign_in(site)
    vote(site, "2608.00001")
    ingest_files(engine, [write_jsonl(tmp_path / "again.jsonl", [
        {"id": "2608.00001", "title": "Paper A, retitled", "date": DAY, "upvotes": 5}])])
    assert site.get("/api/papers/2608.00001").json()["upvotes"] == 6
