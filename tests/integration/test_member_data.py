"""Export all of a member's data as JSON and import it into another instance; profile pages."""

import json

from paperfeed.members.accounts import create_user
from paperfeed.ingest.files import ingest_files
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_collections import add, create
from tests.integration.test_members import PASSWORD, csrf_of, sign_in

PAPERS = [{"id": "2608.00001", "title": "Paper A", "date": FIXED_NOW.date().isoformat()},
          {"id": "2608.00002", "title": "Paper B", "date": FIXED_NOW.date().isoformat()}]


def member_site(engine, directory, papers, *, email=None, **settings):
    directory.mkdir(exist_ok=True)
    ingest_files(engine, [write_jsonl(directory / "p.jsonl", papers)])
    create_user(engine, "alice", PASSWORD, email=email)
    client = make_client(engine, directory, **settings)
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


DIGEST_FORM = {"frequency": "weekly", "send_hour": "8", "timezone": "Asia/Tokyo", "content": "personal",
               "top_count": "3", "personal_count": "12", "keywords": "speculative decoding, diffusion"}


def test_follows_digest_settings_and_saved_searches_make_the_round_trip(engine, tmp_path):
    """Issue 16: what a member set up (follows, the digest, saved searches, a webhook's secret) goes
    with the export, through the pages a member uses, and comes back on the other site."""
    from paperfeed.db.engine import create_engine, migrate

    (tmp_path / "there").mkdir()
    other_engine = create_engine(f"sqlite:///{tmp_path / 'there' / 'other.db'}")
    migrate(other_engine)
    here = member_site(engine, tmp_path / "here", PAPERS, email="alice@example.org", webhook_private_hosts=True)
    token = csrf_of(here.get("/feed").text)
    for kind, value in [("author", "Ada Lovelace"), ("category", "cs.CL")]:
        here.post("/follows", data={"kind": kind, "value": value, "csrf": token})
    assert "Saved." in here.post("/account/digest", data=DIGEST_FORM | {"csrf": token}).text
    here.post("/alerts", data={"query": "mixture of experts", "category": "cs.LG", "delivery": "digest", "csrf": token})
    here.post("/alerts", data={"query": "tokenizer", "delivery": "webhook", "webhook_url": "http://127.0.0.1:9/hook",
                               "csrf": token})
    exported = here.get("/account/export")
    data = json.loads(exported.text)
    assert data["version"] == 2
    assert data["follows"] == [{"kind": "author", "value": "Ada Lovelace"}, {"kind": "category", "value": "cs.CL"}]
    assert data["digest"] == {k: int(v) if v.isdigit() else v for k, v in DIGEST_FORM.items()} | {"subscribed": True}
    secret = data["alerts"][1]["webhook_secret"]
    assert [a["query"] for a in data["alerts"]] == ["mixture of experts", "tokenizer"] and len(secret) == 64

    there = member_site(other_engine, tmp_path / "there", PAPERS, email="alice@elsewhere.example.org",
                        webhook_private_hosts=True)
    form = there.get("/account").text
    for _ in range(2):  # importing twice changes nothing the second time
        answer = there.post("/account/import", data={"csrf": csrf_of(form)},
                            files={"file": ("export.json", exported.content, "application/json")})
        assert answer.status_code == 200
    assert "follows: 0" in answer.text and "saved searches: 0" in answer.text  # the second time: all there
    again = json.loads(there.get("/account/export").text)
    assert again["follows"] == data["follows"] and again["alerts"] == data["alerts"]  # the same secret too
    assert again["digest"] == data["digest"]
    feed = there.get("/feed").text
    assert 'aria-label="Unfollow Ada Lovelace"' in feed and 'aria-label="Unfollow cs.CL"' in feed
    assert "mixture of experts" in there.get("/alerts").text and secret in there.get("/alerts").text
    digest = there.get("/account/digest").text
    assert "alice@elsewhere.example.org" in digest and "you get the weekly digest" in digest
    assert 'value="Asia/Tokyo" selected' in digest


def test_an_import_says_what_this_site_refused(engine, tmp_path):
    here = member_site(engine, tmp_path / "here", PAPERS)  # alice has no email address here
    exported = {"format": "paperfeed-member-data", "version": 2, "votes": [], "comments": [], "collections": [],
                "follows": [{"kind": "venue", "value": "NeurIPS"}, {"kind": "author", "value": "Grace Hopper"}],
                "digest": DIGEST_FORM | {"subscribed": True},
                "alerts": [{"query": "hooks", "delivery": "webhook", "webhook_url": "http://127.0.0.1:9/hook"}]}
    form = here.get("/account").text
    answer = here.post("/account/import", data={"csrf": csrf_of(form)},
                       files={"file": ("export.json", json.dumps(exported).encode(), "application/json")})
    text = answer.text
    assert answer.status_code == 200 and "follows: 1" in text and "skipped: 3" in text
    assert "follow of &#39;NeurIPS&#39;" in text and "private network" in text  # no webhooks to this machine here
    assert "digest settings (add an email address to your account first)" in text
    version_1 = {"format": "paperfeed-member-data", "version": 1, "votes": [{"paper_id": "2608.00001"}]}
    older = here.post("/account/import", data={"csrf": csrf_of(form)},
                      files={"file": ("old.json", json.dumps(version_1).encode(), "application/json")})
    assert older.status_code == 200 and "votes: 1" in older.text
