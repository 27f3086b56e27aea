"""`paperfeed subscribers import|export`, `paperfeed digest send --dry-run|status`, the admin page,
and saved-search alerts delivered by email and to a signed webhook."""

import hashlib
import hmac
import json
import re
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading

import pytest

from paperfeed.members.accounts import create_user, promote
from paperfeed.digest.alerts import run_alerts
from paperfeed.config import Settings
from paperfeed.ingest.files import ingest_files
from tests.conftest import make_client, write_jsonl
from tests.integration.test_cli import run_cli
from tests.integration.test_digests import PAPERS
from tests.integration.test_members import PASSWORD, csrf_of, sign_in
from tests.smtp_server import SmtpServer


def test_import_export_dry_run_and_status(tmp_path, database_url, engine):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", PAPERS)])
    csv_file = tmp_path / "old-newsletter.csv"
    csv_file.write_text("email,frequency,confirmed\n"
                        "ada@example.org,daily,true\n"
                        "not-an-address,daily,true\n"
                        "bob@example.org,hourly,true\n"
                        "carl@example.org,weekly,\n"
                        "dora@example.org,DAILY,yes\n")
    imported = run_cli("subscribers", "import", str(csv_file), data_dir=tmp_path, database_url=database_url)
    assert imported.returncode == 3, imported.stderr
    assert "3 added, 0 updated, 0 unchanged, 2 rejected" in imported.stderr
    assert "line 3: email:" in imported.stderr and "line 4: frequency: daily or weekly" in imported.stderr
    again = run_cli("subscribers", "import", str(csv_file), data_dir=tmp_path, database_url=database_url)
    assert "0 added, 0 updated, 3 unchanged" in again.stderr
    exported = run_cli("subscribers", "export", data_dir=tmp_path, database_url=database_url, check_rc=0).stdout
    lines = exported.splitlines()
    assert lines[0].startswith("email,frequency,confirmed,state")
    assert {line.split(",")[0]: line.split(",")[3] for line in lines[1:]} == {
        "ada@example.org": "active", "carl@example.org": "unconfirmed", "dora@example.org": "active"}
    no_smtp = run_cli("digest", "send", data_dir=tmp_path, database_url=database_url)
    assert no_smtp.returncode == 1 and "PAPERFEED_SMTP_HOST" in no_smtp.stderr
    out = tmp_path / "eml"
    dry = run_cli("digest", "send", "--dry-run", str(out), "--period", "daily", "--date", "2026-11-30",
                  data_dir=tmp_path, database_url=database_url, check_rc=0)
    assert "2 written" in dry.stderr
    written = sorted(out.glob("*.eml"))
    assert len(written) == 2  # the confirmed daily subscribers; carl (unconfirmed, weekly) gets nothing
    message = message_from_bytes(written[0].read_bytes(), policy=policy.default)
    assert message["To"] == "ada@example.org" and "Speculative decoding" in message["Subject"]
    saturday = run_cli("digest", "send", "--dry-run", str(out), "--period", "daily", "--date", "2026-11-28",
                       data_dir=tmp_path, database_url=database_url)
    assert saturday.returncode == 1 and "daily digests go out on weekdays" in saturday.stderr
    with SmtpServer() as mailbox:
        env = {"PAPERFEED_SMTP_HOST": "127.0.0.1", "PAPERFEED_SMTP_PORT": str(mailbox.port),
               "PAPERFEED_SMTP_TLS": "none", "PAPERFEED_BASE_URL": "https://papers.example.org"}
        sent = run_cli("digest", "send", "--period", "daily", "--date", "2026-11-30", data_dir=tmp_path,
                       database_url=database_url, env=env, check_rc=0)
        assert "2 sent" in sent.stderr and len(mailbox.messages) == 2
    status = run_cli("digest", "status", data_dir=tmp_path, database_url=database_url, check_rc=0).stdout
    assert "2 active, 1 unconfirmed" in status and "daily:2026-11-30" in status
    create_user(engine, "root", PASSWORD)
    promote(engine, "root", "admin")
    admin = make_client(engine, tmp_path)
    sign_in(admin, "root")
    page = admin.get("/admin").text
    assert "Email digests" in page and "2 active" in page and "daily:2026-11-30" in page


class Hook:
    """A webhook receiver on 127.0.0.1 that keeps each request's headers and body."""

    def __init__(self, status=200):
        self.received, self.status = [], status
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((dict(self.headers), body))
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/papers"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def member_site(engine, tmp_path):
    create_user(engine, "alice", PASSWORD, email="alice@example.org")
    mailbox = SmtpServer().__enter__()
    site = make_client(engine, tmp_path, webhook_private_hosts=True, **mailbox.settings())
    sign_in(site)
    yield site, mailbox
    mailbox.__exit__(None, None, None)


def test_alerts_by_webhook_and_email(member_site, engine, tmp_path):
    site, mailbox = member_site
    hook = Hook()
    page = site.get("/alerts?q=draft+tokens").text
    assert 'value="draft tokens"' in page
    site.post("/alerts", data={"query": "draft tokens", "delivery": "webhook", "webhook_url": hook.url,
                               "csrf": csrf_of(page)})
    site.post("/alerts", data={"query": "coral", "delivery": "email", "csrf": csrf_of(page)})
    page = site.get("/alerts").text
    secret = re.search(r"signing secret <code>([0-9a-f]{64})</code>", page).group(1)
    bad = site.post("/alerts", data={"query": "x", "delivery": "webhook", "webhook_url": "ftp://nope",
                                     "csrf": csrf_of(page)})
    assert bad.status_code == 400 and "webhook_url" in bad.text
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", PAPERS)])  # the new papers arrive
    settings = Settings(data_dir=tmp_path, webhook_private_hosts=True, base_url="https://papers.example.org",
                        **mailbox.settings())
    report = run_alerts(engine, settings)
    assert (report.checked, report.found, report.delivered, report.problems) == (2, 2, 2, [])
    headers, body = hook.received[0]
    assert headers["X-Paperfeed-Signature"] == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    sent = json.loads(body)
    assert sent["alert"]["query"] == "draft tokens" and [p["id"] for p in sent["papers"]] == ["2611.00001"]
    email = mailbox.messages[-1]
    assert email["To"] == "alice@example.org" and "Coral reefs from space" in email.get_content()
    again = run_alerts(engine, settings)
    assert again.found == 0 and len(hook.received) == 1  # each paper alerts once


def test_a_failing_webhook_is_retried_at_the_next_run(member_site, engine, tmp_path):
    site, mailbox = member_site
    hook = Hook(status=500)
    page = site.get("/alerts").text
    site.post("/alerts", data={"query": "coral", "delivery": "webhook", "webhook_url": hook.url,
                               "csrf": csrf_of(page)})
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", PAPERS)])
    settings = Settings(data_dir=tmp_path, webhook_private_hosts=True)
    first = run_alerts(engine, settings)
    assert first.delivered == 0 and "HTTP 500" in first.problems[0]
    hook.status = 200
    second = run_alerts(engine, settings)
    assert second.delivered == 1 and len(hook.received) == 2


def test_webhooks_to_private_addresses_are_refused_by_default(engine, tmp_path):
    create_user(engine, "alice", PASSWORD)
    site = make_client(engine, tmp_path)
    sign_in(site)
    page = site.get("/alerts").text
    answer = site.post("/alerts", data={"query": "x", "delivery": "webhook",
                                        "webhook_url": "http://127.0.0.1:5432/", "csrf": csrf_of(page)})
    assert answer.status_code == 400 and "private network" in answer.text


def test_an_email_alert_with_links_to_this_machine_waits_for_the_base_url(member_site, engine, tmp_path):
    site, mailbox = member_site
    page = site.get("/alerts").text
    site.post("/alerts", data={"query": "coral", "delivery": "email", "csrf": csrf_of(page)})
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", PAPERS)])
    before = len(mailbox.messages)
    waiting = run_alerts(engine, Settings(data_dir=tmp_path, **mailbox.settings()))
    assert waiting.delivered == 0 and len(mailbox.messages) == before
    assert "PAPERFEED_BASE_URL" in waiting.problems[0] and "http://127.0.0.1:8000" in waiting.problems[0]
    sent = run_alerts(engine, Settings(data_dir=tmp_path, base_url="https://papers.example.org", **mailbox.settings()))
    assert sent.delivered == 1 and "https://papers.example.org/papers/2611.00002" in mailbox.messages[-1].get_content()
    assert all(len(line) <= 78 for line in mailbox.messages[-1].get_content().splitlines())
