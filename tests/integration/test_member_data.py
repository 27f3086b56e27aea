"""Export all of a member's data as JSON and import it into another instance; profile pages."""

import json

from paperfeed.members.accounts import create_user
from paperfeed.ingest.files import ingest_files
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_collections import add, create
from tests.integration.test_members import PASSWORD, csrf_of, sign_in

PAPERS = [{"id": "2608.00001", "title": "Paper A", "date": FIXED_NOW.date().isoformat()},
          {"id": "2608.00002", "title": "Paper B", "date": FIXED_NOW.date().isoformat()}]


def member_site(engine, directory, papers):
    directory.mkdir(exist_ok=True)
    ingest_files(engine, [write_jsonl(directory / "p.jsonl", papers)])
    create_user(engine, "alice", PASSWORD)
    client = make_client(engine, directory)
    sign_in(client)
    return client


def test_export_then_import_elsewhere(engine, tmp_path):
    from paperfeed.db.engine import create_engine, migrate

    (tmp_path / "there").mkdir()
    other_engine = create_engine(f"sqlite:///{tmp_path / 'there' / 'other.db'}")
    migrate(other_engine)
    here = member_site(engine, tmp_path / "here", PAPERS)
    token = csrf_of(here.get("/papers/2608.00001").text)
    here.post("/api/papers/2608.00001/upvote")
    here.post("/papers/2608.00001/comments", data={"body": "A *fine* paper", "csrf": token})
    reading = create(here, "Reading list", public=True)
    add(here, reading, "2608.00002")
    add(here, reading, "2608.00001")
    exported = here.get("/account/export")
    data = json.loads(exported.text)
    assert exported.headers["content-disposition"].startswith("attachment")
    assert data["votes"][0]["paper_id"] == "2608.00001" and data["comments"][0]["body"] == "A *fine* paper"
    assert data["collections"] == [{"name": "Reading list", "public": True, "papers": ["2608.00002", "2608.00001"]}]

    there = member_site(other_engine, tmp_path / "there", PAPERS[:1])  # the other site lacks paper B
    form = there.get("/account").text
    for _ in range(2):  # importing twice changes nothing the second time
        answer = there.post("/account/import", data={"csrf": csrf_of(form)},
                            files={"file": ("export.json", exported.content, "application/json")})
    assert answer.status_code == 200 and "skipped" in answer.text
    assert json.loads(there.get("/account/export").text)["collections"] == [
        {"name": "Reading list", "public": True, "papers": ["2608.00001"]}]
    assert there.get("/api/papers/2608.00001").json()["upvotes"] == 1
    assert there.get("/papers/2608.00001").text.count("<em>fine</em>") == 1
    bad = there.post("/account/import", data={"csrf": csrf_of(form)}, files={"file": ("x.json", b"{nope", "application/json")})
    assert bad.status_code == 400 and "not a JSON file" in bad.text


def test_profile_shows_public_collections_and_comments(engine, tmp_path):
    client = member_site(engine, tmp_path / "site", PAPERS)
    token = csrf_of(client.get("/papers/2608.00001").text)
    client.post("/papers/2608.00001/comments", data={"body": "Nice **result**", "csrf": token})
    create(client, "Open list", public=True)
    create(client, "Hidden list")
    visitor = make_client(engine, tmp_path / "site")
    page = visitor.get("/users/alice").text
    assert "Open list" in page and "Hidden list" not in page and "<strong>result</strong>" in page
    assert visitor.get("/users/nobody").status_code == 404
