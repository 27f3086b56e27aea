"""The members' JSON API: comments and collections, with a personal access token as a script uses it."""

import pytest

from paperfeed.members.accounts import create_user
from paperfeed.members.api_tokens import create_token
from paperfeed.db.users import find_by_username
from paperfeed.ingest.files import ingest_files
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_members import PASSWORD


@pytest.fixture
def api(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", [
        {"id": f"2608.0000{n}", "title": f"Paper {n}", "date": FIXED_NOW.date().isoformat()} for n in (1, 2)])])
    create_user(engine, "alice", PASSWORD)
    with engine.connect() as connection:
        alice = find_by_username(connection, "alice")
    client = make_client(engine, tmp_path)
    client.headers["Authorization"] = f"Bearer {create_token(engine, alice, 'script')}"
    return client


def test_comment_thread_through_the_api(api):
    assert api.get("/api/papers/2608.00001/comments").json() == []
    first = api.post("/api/papers/2608.00001/comments", json={"text": "Nice **result** <script>x</script>"})
    assert first.status_code == 201
    comment = first.json()
    assert comment["author"] == {"user": "alice"} and "<strong>result</strong>" in comment["html"]
    assert "<script>" not in comment["html"]
    reply = api.post("/api/papers/2608.00001/comments", json={"text": "A reply", "parentId": comment["id"]}).json()
    thread = api.get("/api/papers/2608.00001/comments").json()
    assert [c["id"] for c in thread] == [comment["id"]] and thread[0]["replies"][0]["id"] == reply["id"]
    edited = api.put(f"/api/comments/{comment['id']}", json={"text": "Edited"}).json()
    assert edited["edited"] and "Edited" in edited["html"]
    assert api.delete(f"/api/comments/{comment['id']}").status_code == 204
    thread = api.get("/api/papers/2608.00001/comments").json()
    assert thread[0]["deleted"] and thread[0]["html"] == "" and thread[0]["replies"][0]["id"] == reply["id"]
    assert api.post("/api/papers/2608.00001/comments", json={"text": ""}).status_code == 400
    assert api.post("/api/papers/2608.00001/comments", json={"text": "x", "parentId": 999}).status_code in (400, 404)
    assert api.get("/api/papers/9999.99999/comments").status_code == 404
    assert api.post(f"/api/comments/{reply['id']}/report", json={"reason": "spam"}).status_code == 204


def test_collections_through_the_api(api):
    created = api.post("/api/collections", json={"name": "To read"})
    assert created.status_code == 201
    number = created.json()["id"]
    assert created.json() == {"id": number, "name": "To read", "public": False, "owner": "alice", "numPapers": 0,
                              "papers": []}
    api.put(f"/api/collections/{number}/items/2608.00002")
    body = api.put(f"/api/collections/{number}/items/arXiv:2608.00001v1").json()
    assert [p["id"] for p in body["papers"]] == ["2608.00002", "2608.00001"] and body["numPapers"] == 2
    assert api.put(f"/api/collections/{number}/items/9999.99999").status_code in (400, 404)
    assert [c["name"] for c in api.get("/api/collections").json()] == ["To read"]
    renamed = api.put(f"/api/collections/{number}", json={"name": "Reading group", "public": True}).json()
    assert renamed["name"] == "Reading group" and renamed["public"]
    anonymous = api.get(f"/api/collections/{number}", headers={"Authorization": ""})
    assert anonymous.status_code == 200 and anonymous.json()["numPapers"] == 2
    assert [p["id"] for p in api.delete(f"/api/collections/{number}/items/2608.00002").json()["papers"]] == ["2608.00001"]
    assert api.delete(f"/api/collections/{number}").status_code == 204
    assert api.get(f"/api/collections/{number}").status_code == 404
    assert api.post("/api/collections", json={"name": ""}).status_code == 400


def test_the_api_needs_a_member_for_writes_and_rate_limits_everyone(engine, tmp_path):
    client = make_client(engine, tmp_path, api_rate_limit="3/minute")
    assert client.post("/api/collections", json={"name": "x"}).status_code == 401
    assert client.get("/api/daily_papers").status_code == 200
    assert client.get("/api/daily_papers").status_code == 200
    limited = client.get("/api/daily_papers")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "try again" in limited.json()["error"]


def test_writes_from_another_sites_page_are_refused(api):
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        browser = {**headers, "Authorization": ""}  # a browser sends the cookie, not the token
        answer = api.post("/api/collections", json={"name": "x"}, headers=browser)
        assert answer.status_code == 403 and "another site" in answer.json()["error"]
    assert api.post("/api/collections", json={"name": "x"}, headers={"Origin": "http://testserver"}).status_code == 201
