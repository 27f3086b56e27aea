"""What members write (comments, collection names) and what sources send (author names) is shown
as text, never run: every payload comes back escaped on every page that shows it."""

import pytest

from paperfeed.members.accounts import create_user
from paperfeed.ingest.files import ingest_files
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of, sign_in

PAYLOADS = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '"><svg onload=alert(1)>',
            "javascript:alert(1)"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_escaped(engine, tmp_path, payload):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", [
        {"id": "2608.00001", "title": "Paper", "authors": [f"Eve {payload}"], "date": FIXED_NOW.date().isoformat()}])])
    create_user(engine, "alice", PASSWORD)
    client = make_client(engine, tmp_path)
    sign_in(client)
    token = csrf_of(client.get("/papers/2608.00001").text)
    client.post("/papers/2608.00001/comments", data={"body": f"look {payload}", "csrf": token})
    created = client.post("/collections", data={"name": f"List {payload}", "public": "true", "csrf": token},
                          follow_redirects=False)
    collection = created.headers["location"]
    client.post(f"{collection}/items", data={"paper_id": "2608.00001", "csrf": token})
    for page in ("/papers/2608.00001", collection, "/library", f"/papers/date/{FIXED_NOW.date()}"):
        html = client.get(page).text
        if payload.startswith(("<", '"')):
            assert payload not in html, page  # only its escaped form is there
        assert 'href="javascript:' not in html, page
