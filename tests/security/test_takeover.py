"""Issue 13, accounts 1 and 3: a cookie or a signed link outlives nothing it belonged to.

Each test replays what the audit did: keep a cookie or a link, end what it belonged to (delete
the account, sign out, change the password, delete the subscription), let someone new arrive,
then use the old cookie or link. On SQLite and on PostgreSQL.
"""

import re

import pytest

from paperfeed.db import subscriptions as subscriptions_repo
from paperfeed.digest.subscriptions import manage_token
from paperfeed.errors import InvalidInput
from paperfeed.members.accounts import create_user
from tests.conftest import make_client
from tests.integration.test_digests import subscribe_by_web
from tests.integration.test_members import PASSWORD, csrf_of, sign_in
from tests.smtp_server import SmtpServer

SECRET = "takeover-tests-secret"


def member(engine, tmp_path, name):
    create_user(engine, name, PASSWORD, email=f"{name}@example.org")
    client = make_client(engine, tmp_path, secret_key=SECRET)
    assert sign_in(client, name=name).status_code == 303
    return client


def replay(engine, tmp_path, cookies):
    """Another browser holding a copy of ``cookies``."""
    client = make_client(engine, tmp_path, secret_key=SECRET)
    client.cookies.update(cookies)
    return client


def test_a_deleted_members_cookie_does_not_sign_in_the_next_member(engine, tmp_path):
    alice = member(engine, tmp_path, "alice")
    kept = dict(alice.cookies)
    page = alice.get("/account").text
    assert alice.post("/account/delete", data={"password": PASSWORD, "csrf": csrf_of(page)},
                      follow_redirects=False).status_code == 303
    bob = member(engine, tmp_path, "bob")  # SQLite used to give bob alice's id
    assert "bob" in bob.get("/account").text
    thief = replay(engine, tmp_path, kept)
    assert thief.get("/account", follow_redirects=False).headers["location"].startswith("/signin")
    assert thief.post("/api/collections", json={"name": "as bob", "public": False}).status_code == 401
    assert thief.get("/api/collections").status_code == 401
    assert bob.get("/api/collections").json() == []  # nothing was made in bob's name


def test_ids_are_never_handed_out_twice(engine, tmp_path):
    from paperfeed.db.users import find_by_username

    first = member(engine, tmp_path, "first")
    with engine.connect() as connection:
        first_id = find_by_username(connection, "first").id
    page = first.get("/account").text
    first.post("/account/delete", data={"password": PASSWORD, "csrf": csrf_of(page)})
    member(engine, tmp_path, "second")
    with engine.connect() as connection:
        assert find_by_username(connection, "second").id > first_id


def test_a_deleted_subscriptions_links_reach_nobody_else(engine, tmp_path):
    with SmtpServer() as mailbox:
        alice = member(engine, tmp_path, "alice")
        page = alice.get("/account/digest").text
        alice.post("/account/digest", data={"frequency": "daily", "send_hour": "7", "timezone": "UTC",
                                            "content": "both", "top_count": "10", "personal_count": "5",
                                            "keywords": "", "csrf": csrf_of(page)})
        with engine.connect() as connection:
            row = subscriptions_repo.find_by_email(connection, "alice@example.org")
        assert row is not None
        old_link = manage_token(SECRET, row)  # what alice's digests carried
        page = alice.get("/account").text
        alice.post("/account/delete", data={"password": PASSWORD, "csrf": csrf_of(page)})  # her subscription goes too
        visitor = make_client(engine, tmp_path, secret_key=SECRET, base_url="http://testserver", **mailbox.settings())
        visitor.get(subscribe_by_web(visitor, mailbox, "carol@example.org"))
        stranger = make_client(engine, tmp_path, secret_key=SECRET)
        for path in (f"/subscription/{old_link}", f"/unsubscribe/{old_link}"):
            answer = stranger.get(path)
            assert answer.status_code == 400 and "carol@example.org" not in answer.text
        assert stranger.post(f"/unsubscribe/{old_link}/one-click", data={"List-Unsubscribe": "One-Click"}
                             ).status_code == 400
        with engine.connect() as connection:
            assert subscriptions_repo.find_by_email(connection, "carol@example.org").active


def test_signing_out_ends_the_cookie_and_its_copies(engine, tmp_path):
    alice = member(engine, tmp_path, "alice")
    kept = dict(alice.cookies)
    alice.post("/signout", data={"csrf": csrf_of(alice.get("/account").text)})
    assert replay(engine, tmp_path, kept).get("/account", follow_redirects=False).status_code == 303


def test_a_password_change_signs_out_the_other_browsers_only(engine, tmp_path):
    laptop = member(engine, tmp_path, "alice")
    phone = make_client(engine, tmp_path, secret_key=SECRET)
    sign_in(phone)
    page = laptop.get("/account").text
    changed = laptop.post("/account/password", data={"current_password": PASSWORD,
                                                     "new_password": "a brand new phrase 1", "csrf": csrf_of(page)})
    assert "Your password is changed" in changed.text
    assert laptop.get("/account", follow_redirects=False).status_code == 200  # this browser goes on
    assert phone.get("/account", follow_redirects=False).status_code == 303  # the other one is out


def test_the_confirm_link_signs_in_once(engine, tmp_path):
    with SmtpServer() as mailbox:
        client = make_client(engine, tmp_path, secret_key=SECRET, base_url="http://testserver", **mailbox.settings())
        token = csrf_of(client.get("/signup").text)
        client.post("/signup", data={"username": "dora", "email": "dora@example.org", "password": PASSWORD,
                                     "csrf": token})
        link = re.search(r"http://testserver(/confirm\?token=\S+)", mailbox.messages[-1].get_content())[1]
        first = client.get(link, follow_redirects=False)
        assert first.headers["location"] == "/account?confirmed=1"
        later = make_client(engine, tmp_path, secret_key=SECRET)  # the same link, opened again elsewhere
        again = later.get(link, follow_redirects=False)
        assert again.headers["location"] == "/signin?confirmed=1"
        assert later.get("/account", follow_redirects=False).status_code == 303


def test_links_in_mail_sent_before_the_upgrade_keep_working_for_their_own_subscription(engine):
    from dataclasses import replace
    from datetime import UTC, datetime

    from paperfeed.db.engine import write_transaction
    from paperfeed.digest.subscriptions import from_manage_token

    now = datetime(2026, 11, 30, tzinfo=UTC)
    with write_transaction(engine) as connection:
        old = subscriptions_repo.insert(connection, email="old@example.org", created_at=now, confirmed_at=now,
                                        link_secret=None)  # a row from before migration 0015
        new = subscriptions_repo.insert(connection, email="new@example.org", created_at=now, confirmed_at=now)
        old_row, new_row = subscriptions_repo.get(connection, old), subscriptions_repo.get(connection, new)
    assert from_manage_token(engine, SECRET, manage_token(SECRET, old_row)).email == "old@example.org"
    assert from_manage_token(engine, SECRET, manage_token(SECRET, new_row)).email == "new@example.org"
    without_secret = manage_token(SECRET, replace(new_row, link_secret=None))  # the old shape, {"s": id}
    with pytest.raises(InvalidInput):  # reaches no subscription that has a secret
        from_manage_token(engine, SECRET, without_secret)
