"""Personal access tokens: created and revoked on /account, used as Bearer tokens by API clients;
one member can neither see nor revoke another's."""

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.tables import api_tokens
from paperfeed.members.accounts import create_user
from paperfeed.ingest.files import ingest_files
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of, sign_in


def test_tokens_work_for_the_api_until_revoked(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", [
        {"id": "2608.00001", "title": "Paper A", "date": FIXED_NOW.date().isoformat(), "upvotes": 1}])])
    create_user(engine, "alice", PASSWORD)
    create_user(engine, "bob", PASSWORD)
    alice, bob, script = (make_client(engine, tmp_path) for _ in range(3))
    sign_in(alice)
    sign_in(bob, name="bob")
    page = alice.post("/account/tokens", data={"name": "my script", "csrf": csrf_of(alice.get("/account").text)}).text
    token = re.search(r'class="new-token">(pf_[^<]+)<', page)[1]
    assert "my script" in page and token not in alice.get("/account").text  # shown once

    headers = {"Authorization": f"Bearer {token}"}
    assert script.post("/api/papers/2608.00001/upvote", headers=headers).json() == {"upvotes": 2, "voted": True}
    bad = script.post("/api/papers/2608.00001/upvote", headers={"Authorization": "Bearer pf_wrong"})
    assert bad.status_code == 401

    token_id = re.search(r'action="/account/tokens/(\d+)/revoke"', alice.get("/account").text)[1]
    assert "my script ·" not in bob.get("/account").text
    stolen = bob.post(f"/account/tokens/{token_id}/revoke", data={"csrf": csrf_of(bob.get("/account").text)})
    assert stolen.status_code == 404
    assert script.delete("/api/papers/2608.00001/upvote", headers=headers).status_code == 200
    alice.post(f"/account/tokens/{token_id}/revoke", data={"csrf": csrf_of(alice.get("/account").text)})
    assert script.post("/api/papers/2608.00001/upvote", headers=headers).status_code == 401


def test_the_account_page_says_when_a_token_was_last_used_without_a_write_per_call(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", [
        {"id": "2608.00001", "title": "Paper A", "date": FIXED_NOW.date().isoformat()}])])
    create_user(engine, "alice", PASSWORD)
    alice, script = make_client(engine, tmp_path), make_client(engine, tmp_path)
    sign_in(alice)
    page = alice.post("/account/tokens", data={"name": "my script", "csrf": csrf_of(alice.get("/account").text)}).text
    token = re.search(r'class="new-token">(pf_[^<]+)<', page)[1]
    headers = {"Authorization": f"Bearer {token}"}
    assert "last used" not in alice.get("/account").text
    assert script.post("/api/papers/2608.00001/upvote", headers=headers).status_code == 200
    with engine.connect() as connection:
        first = connection.execute(sa.select(api_tokens.c.last_used_at)).scalar_one()
    assert f"my script · created {datetime.now(UTC):%Y-%m-%d} · last used {first:%Y-%m-%d}" in alice.get("/account").text
    for _ in range(3):
        assert script.delete("/api/papers/2608.00001/upvote", headers=headers).status_code == 200
    with engine.connect() as connection:
        assert connection.execute(sa.select(api_tokens.c.last_used_at)).scalar_one() == first  # within TOUCH_AFTER
