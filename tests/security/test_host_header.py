"""Issue 13, accounts 2 and 5: links that leave a request come from configuration, never from the
``Host`` header; only the configured hosts are answered; ``X-Forwarded-For`` only from a trusted proxy."""

import os
import subprocess
import sys

import httpx

from paperfeed.ingest.files import ingest_files
from paperfeed.members.accounts import create_user
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of
from tests.site_process import served
from tests.smtp_server import SmtpServer

ATTACKER = {"Host": "attacker.example"}


def test_a_reset_mail_never_links_to_the_host_the_request_named(engine, tmp_path):
    create_user(engine, "carol", PASSWORD, email="carol@example.org")
    with SmtpServer() as mailbox:
        for base_url, expected in (("", "http://127.0.0.1:8000/reset/new?token="),
                                   ("https://papers.example.org", "https://papers.example.org/reset/new?token=")):
            site = make_client(engine, tmp_path, base_url=base_url, **mailbox.settings())
            site.base_url = "https://testserver"
            page = site.get("/reset").text
            site.post("/reset", data={"email": "carol@example.org", "csrf": csrf_of(page)}, headers=ATTACKER)
            text = mailbox.messages[-1].get_content()
            assert expected in text and "attacker.example" not in text


def test_a_public_feed_never_carries_the_host_the_request_named(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", [
        {"id": "2608.00001", "title": "Paper A", "date": FIXED_NOW.date().isoformat(), "listed": True}])])
    site = make_client(engine, tmp_path, base_url="https://papers.example.org")
    feed = site.get("/feeds/daily.atom", headers=ATTACKER)
    assert feed.status_code == 200 and "attacker.example" not in feed.text
    assert "https://papers.example.org/papers/2608.00001" in feed.text


def test_only_the_allowed_hosts_are_answered(engine, tmp_path):
    site = make_client(engine, tmp_path, allowed_hosts="papers.example.org")
    assert site.get("/healthz", headers=ATTACKER).status_code == 400
    assert site.get("/healthz", headers={"Host": "papers.example.org"}).status_code == 200


def _sign_in_statuses(base, forwarded_for: list[str]) -> list[int]:
    statuses = []
    with httpx.Client(base_url=base) as client:
        for address in forwarded_for:
            page = client.get("/signin").text
            answer = client.post("/signin", headers={"X-Forwarded-For": address},
                                 data={"username": "alice", "password": "wrong password!", "csrf": csrf_of(page)})
            statuses.append(answer.status_code)
    return statuses


def test_behind_a_trusted_proxy_each_visitor_has_a_bucket_of_their_own(tmp_path):
    """A proxy on another host: its X-Forwarded-For is believed only once PAPERFEED_TRUSTED_PROXIES
    names it (here the proxy is this test, at 127.0.0.1)."""
    results = {}
    for trusted in ("10.9.9.9", "127.0.0.1"):
        env = {**os.environ, "PAPERFEED_DATA_DIR": str(tmp_path / trusted), "PAPERFEED_SEMANTIC_SEARCH": "false",
               "PAPERFEED_TRUSTED_PROXIES": trusted, "PAPERFEED_INDEX_REFRESH_S": "0"}
        env.pop("PAPERFEED_DATABASE_URL", None)
        subprocess.run([sys.executable, "-m", "paperfeed.cli", "init"], env=env, check=True, capture_output=True)
        with served(env) as (base, _server):
            # one visitor guesses 10 times (their limit), then another visitor tries once
            results[trusted] = _sign_in_statuses(base, ["203.0.113.1"] * 10 + ["198.51.100.2"])
    assert results["10.9.9.9"] == [400] * 10 + [429]  # not trusted: everyone shares the proxy's bucket
    assert results["127.0.0.1"] == [400] * 11  # trusted: the second visitor has a bucket of their own
