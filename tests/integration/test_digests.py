"""Email digests through a real SMTP server (aiosmtpd): double opt-in, the message itself,
one-click unsubscribe (RFC 8058), bounces, retries, exactly once per subscriber and period."""

import re
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest

from paperfeed.members.accounts import create_user
from paperfeed.config import Settings
from paperfeed.db import subscriptions as subscriptions_repo
from paperfeed.db.users import find_by_username
from paperfeed.digest import periods
from paperfeed.digest.deliver import send_digests
from paperfeed.community.follows import set_follow
from paperfeed.ingest.files import ingest_files
from paperfeed.digest.subscriptions import Preferences, subscribe_member
from tests.conftest import make_client, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of
from tests.smtp_server import SmtpServer

SECRET = "digest-tests-secret"
MONDAY_8AM = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday's daily digest covers Friday to Sunday
PAPERS = [
    {"id": "2611.00001", "title": "Speculative decoding with recycled draft tokens", "date": "2026-11-27",
     "listed": True, "upvotes": 40, "authors": ["Ada Lovelace", "Alan Turing"], "categories": ["cs.CL"],
     "abstract": "We reuse rejected draft tokens. It makes decoding 2x faster. A third sentence is not shown."},
    {"id": "2611.00002", "title": "Coral reefs from space", "date": "2026-11-27", "listed": True, "upvotes": 12,
     "authors": ["Grace Hopper"], "categories": ["cs.CV"], "abstract": "Remote sensing of reefs."},
    {"id": "2611.00003", "title": "Protein folding <b>with</b> diffusion", "date": "2026-11-28", "listed": True,
     "upvotes": 3, "authors": ["Rosalind Franklin"], "categories": ["q-bio.BM"], "abstract": "Diffusion for proteins."},
    {"id": "2611.00004", "title": "An unlisted paper by a followed author", "date": "2026-11-28",
     "authors": ["Katherine Johnson"], "categories": ["cs.LG"], "abstract": "Orbital mechanics for transformers."},
]


@pytest.fixture
def mailbox():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def world(engine, tmp_path, mailbox):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", PAPERS)])
    settings = Settings(data_dir=tmp_path, secret_key=SECRET, base_url="http://testserver", **mailbox.settings())
    client = make_client(engine, tmp_path, secret_key=SECRET, base_url="http://testserver", **mailbox.settings())
    return {"engine": engine, "settings": settings, "client": client, "mailbox": mailbox}


def send(world, **options):
    return send_digests(world["engine"], world["settings"], vectors_of=lambda ids: {}, secret=SECRET,
                        clock=options.pop("clock", lambda: MONDAY_8AM), **options)


def subscribe_by_web(client, mailbox, email, **preferences):
    page = client.get("/subscribe").text
    form = {"email": email, "frequency": "daily", "send_hour": "7", "timezone": "UTC", "content": "both",
            "top_count": "10", "personal_count": "5", "keywords": "", "csrf": csrf_of(page), **preferences}
    answer = client.post("/subscribe", data=form)
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    confirmation = mailbox.messages[-1]
    assert confirmation["To"] == email
    return re.search(r"http://testserver(/subscribe/confirm\?token=\S+)", confirmation.get_content()).group(1)


def links_of(message):
    html = message.get_body(("html",)).get_content()
    return html, message.get_body(("plain",)).get_content()


def test_double_opt_in_then_one_digest_with_both_parts(world, engine):
    client, mailbox = world["client"], world["mailbox"]
    confirm_link = subscribe_by_web(client, mailbox, "reader@example.org")
    assert send(world).counts["sent"] == 0  # nothing before confirmation
    assert client.get(confirm_link, follow_redirects=True).status_code == 200
    before = len(mailbox.messages)
    report = send(world)
    assert report.counts["sent"] == 1
    digest = mailbox.messages[before]
    assert digest["To"] == "reader@example.org"
    assert digest["Subject"] == "Daily papers, Friday 27 – Sunday 29 November 2026: Speculative decoding with recycled draft tokens"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = re.fullmatch(r"<(http://testserver/unsubscribe/[^>]+/one-click)>", digest["List-Unsubscribe"]).group(1)
    assert digest["Message-ID"].startswith("<digest.") and digest["List-Id"]
    html, text = links_of(digest)
    for part in (html, text):
        assert "Speculative decoding with recycled draft tokens" in part and "Coral reefs from space" in part
        assert "Ada Lovelace, Alan Turing" in part
        assert "It makes decoding 2x faster." in part and "A third sentence" not in part  # two sentences
        assert "http://testserver/papers/2611.00001" in part and "https://arxiv.org/pdf/2611.00001" in part
    assert "Protein folding &lt;b&gt;with&lt;/b&gt; diffusion" in html and "<b>with</b>" not in html
    assert "prefers-color-scheme: dark" in html and 'style="' in html
    # the footer link unsubscribes in one click, no login
    footer = re.search(r'href="http://testserver(/unsubscribe/[^"/]+)"', html).group(1)
    reader = make_client(engine, world["settings"].data_dir / "other", secret_key=SECRET)
    assert "You are unsubscribed" in reader.get(footer).text
    with engine.connect() as connection:
        assert subscriptions_repo.find_by_email(connection, "reader@example.org").state == "unsubscribed"
    assert urlsplit(one_click).path.startswith(footer)


def test_rfc8058_one_click_post_and_a_get_that_unsubscribes_nobody(world, engine):
    client, mailbox = world["client"], world["mailbox"]
    client.get(subscribe_by_web(client, mailbox, "one@example.org"))
    send(world)
    one_click = re.search(r"<http://testserver([^>]+)>", mailbox.messages[-1]["List-Unsubscribe"]).group(1)
    scanner = make_client(engine, world["settings"].data_dir / "scanner", secret_key=SECRET)
    assert "Unsubscribe?" in scanner.get(one_click).text  # fetching the header's URL changes nothing
    with engine.connect() as connection:
        assert subscriptions_repo.find_by_email(connection, "one@example.org").active
    answer = scanner.post(one_click, content=b"List-Unsubscribe=One-Click",  # as a mail provider's server sends it
                          headers={"Content-Type": "application/x-www-form-urlencoded",
                                   "Origin": "https://mail.example.com"})
    assert answer.status_code == 200
    with engine.connect() as connection:
        assert subscriptions_repo.find_by_email(connection, "one@example.org").state == "unsubscribed"
    assert scanner.get("/unsubscribe/forged-token").status_code == 400


def test_exactly_once_per_period_and_an_operator_rerun(world):
    client, mailbox = world["client"], world["mailbox"]
    for n in range(3):
        client.get(subscribe_by_web(client, mailbox, f"r{n}@example.org"))
    before = len(mailbox.messages)
    assert send(world).counts["sent"] == 3
    assert send(world).counts["sent"] == 0
    assert send(world, period=periods.daily(MONDAY_8AM.date())).counts["sent"] == 0  # the same period
    # an operator re-runs Friday: its digest covers Thursday, which listed nothing: skipped, once
    friday = send(world, period=periods.daily(datetime(2026, 11, 27).date()))
    assert (friday.counts["sent"], friday.counts["skipped"]) == (0, 3)
    assert send(world, period=periods.daily(datetime(2026, 11, 27).date())).counts["skipped"] == 0
    counts = mailbox.per_recipient()
    assert all(counts[f"r{n}@example.org"] == 1 + 1 for n in range(3)) and len(mailbox.messages) - before == 3


def test_bounces_are_marked_and_temporary_failures_retried(world, engine):
    client, mailbox = world["client"], world["mailbox"]
    for email in ("gone@example.org", "busy@example.org", "fine@example.org"):
        client.get(subscribe_by_web(client, mailbox, email))
    mailbox.refuse["gone@example.org"] = "550 5.1.1 no such user"
    mailbox.refuse["busy@example.org"] = "451 4.3.0 try again later"
    first = send(world)
    assert (first.counts["sent"], first.counts["bounced"], first.counts["failed"]) == (1, 1, 1)
    with engine.connect() as connection:
        gone = subscriptions_repo.find_by_email(connection, "gone@example.org")
    assert gone.state == "bounced" and "550" in gone.bounce_reason
    del mailbox.refuse["busy@example.org"]
    second = send(world)
    assert second.counts["sent"] == 1 and second.counts["bounced"] == 0  # the bounced address is not tried again
    assert mailbox.per_recipient()["busy@example.org"] == 1 + 1  # its confirmation, then the digest


def test_two_workers_at_once_never_send_a_digest_twice(world, engine):
    from paperfeed.db import subscriptions as repo
    from paperfeed.db.engine import write_transaction

    with write_transaction(engine) as connection:
        for n in range(40):
            repo.insert(connection, email=f"many{n}@example.org", created_at=MONDAY_8AM, confirmed_at=MONDAY_8AM,
                        **Preferences().values())
    reports = []
    workers = [threading.Thread(target=lambda: reports.append(send(world))) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(report.counts["sent"] for report in reports) == 40
    counts = world["mailbox"].per_recipient()
    assert len(counts) == 40 and set(counts.values()) == {1}


def test_personal_picks_say_why(world, engine):
    create_user(engine, "kim", PASSWORD, email="kim@example.org")
    with engine.connect() as connection:
        kim = find_by_username(connection, "kim")
    set_follow(engine, kim.id, "author", "Katherine Johnson", follow=True)
    subscribe_member(engine, kim, Preferences(content="both", top_count=2, personal_count=5, keywords="diffusion"))
    send(world)
    html, text = links_of(world["mailbox"].messages[-1])
    assert "An unlisted paper by a followed author" in text and "Why: by Katherine Johnson, whom you follow" in text
    assert "Why: matches “diffusion”, which you asked for" in text
    assert "Why you see this: by Katherine Johnson, whom you follow" in html
    top, picks = text.split("PICKED FOR YOU")
    assert "Coral reefs from space" in top and "Protein folding" in picks  # top 2, then the keyword pick


def test_dry_run_writes_eml_files_and_records_nothing(world, tmp_path):
    client, mailbox = world["client"], world["mailbox"]
    client.get(subscribe_by_web(client, mailbox, "dry@example.org"))
    before = len(mailbox.messages)
    report = send(world, dry_run=tmp_path / "out")
    files = list((tmp_path / "out").glob("*.eml"))
    assert report.counts["written"] == 1 and len(files) == 1 and len(mailbox.messages) == before
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["To"] == "dry@example.org" and message.get_body(("html",)) is not None
    assert send(world).counts["sent"] == 1  # a dry run did not count as sent


def test_preferences_by_signed_link(world, engine):
    client, mailbox = world["client"], world["mailbox"]
    client.get(subscribe_by_web(client, mailbox, "prefs@example.org"))
    send(world)
    html, _ = links_of(mailbox.messages[-1])
    link = re.search(r'href="http://testserver(/subscription/[^"]+)"', html).group(1)
    page = client.get(link).text
    assert "prefs@example.org" in page
    answer = client.post(link, data={"csrf": csrf_of(page), "frequency": "weekly", "send_hour": "9",
                                     "timezone": "Europe/Paris", "content": "top", "top_count": "5",
                                     "personal_count": "0", "keywords": ""}, follow_redirects=False)
    assert answer.status_code == 303
    with engine.connect() as connection:
        row = subscriptions_repo.find_by_email(connection, "prefs@example.org")
    assert (row.frequency, row.send_hour, row.timezone, row.top_count) == ("weekly", 9, "Europe/Paris", 5)
    bad = client.post(link, data={"csrf": csrf_of(page), "frequency": "hourly"})
    assert bad.status_code == 400 and "frequency" in bad.text
    bad = client.post(link, data={"csrf": csrf_of(page), "frequency": "daily", "timezone": "Mars/Olympus"})
    assert bad.status_code == 400 and "time zone" in bad.text


def test_the_time_zone_is_a_select_of_iana_zones_by_region(engine, tmp_path):
    """Issue 16: no free text that can be wrong: every zone Python's zoneinfo knows, grouped by region
    (legacy aliases left out, but one a subscription has stays shown and selected)."""
    from zoneinfo import available_timezones

    client = make_client(engine, tmp_path)
    page = client.get("/subscribe").text
    assert 'name="timezone"' in page and '<input name="timezone"' not in page
    zones = re.findall(r'<option value="([^"]+)"', page.split('name="timezone"')[1].split("</select>")[0])
    assert zones[0] == "UTC" and set(zones) <= available_timezones() | {"UTC"} and len(zones) > 400
    for name, label in [("Europe/Paris", "Paris"), ("America/Argentina/Buenos_Aires", "Buenos Aires (Argentina)"),
                        ("Asia/Kolkata", "Kolkata")]:
        assert f'<option value="{name}" >{label}</option>' in page
    assert '<optgroup label="Europe">' in page and "US/Eastern" not in zones and "Australia/ACT" not in zones
    assert 'value="UTC" selected' in page  # the default

    create_user(engine, "alice", PASSWORD, email="alice@example.org")
    with engine.connect() as connection:
        alice = find_by_username(connection, "alice")
    subscribe_member(engine, alice, Preferences(timezone="US/Eastern"))  # saved before the select existed
    from tests.integration.test_members import sign_in

    sign_in(client)
    mine = client.get("/account/digest").text
    assert '<optgroup label="Other"><option value="US/Eastern" selected>US/Eastern</option>' in mine
    typed = client.post("/account/digest", data={"csrf": csrf_of(mine), "frequency": "daily", "send_hour": "7",
                                                 "timezone": "Europe/Pariss", "content": "both"})
    assert typed.status_code == 400 and "is not a time zone name" in typed.text
