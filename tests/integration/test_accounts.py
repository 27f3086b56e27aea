"""Sign up with email confirmation (a real SMTP server receives the link), password rules,
password reset by email, change password, delete the account."""

import re

import pytest

from paperfeed.members.accounts import COMMON_PASSWORDS_CHECKED, common_passwords
from tests.conftest import make_client
from tests.integration.test_members import csrf_of, sign_in
from tests.smtp_server import SmtpServer

PASSWORD = "violet staircase 42"


@pytest.fixture
def mailbox():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def site(engine, tmp_path, mailbox):
    client = make_client(engine, tmp_path, smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_security="none",
                         mail_from="paperfeed <noreply@papers.example.org>", base_url="https://papers.example.org")
    client.base_url = "https://testserver"  # the session cookie is Secure on an https site
    return client


def link_in(message, path: str) -> str:
    return re.search(rf"https://papers\.example\.org({path}\?token=\S+)", message.get_content())[1]


def sign_up(client, name="carol", email="carol@example.org", password=PASSWORD):
    token = csrf_of(client.get("/signup").text)
    return client.post("/signup", data={"username": name, "email": email, "password": password, "csrf": token})


def test_sign_up_confirm_by_email_then_sign_in(site, mailbox):
    answer = sign_up(site)
    assert answer.status_code == 200 and "we sent a link to carol@example.org" in answer.text
    assert sign_in(site, name="carol", password=PASSWORD).status_code == 400  # not confirmed yet
    message = mailbox.messages[-1]
    assert message["To"] == "carol@example.org" and "Confirm" in message["Subject"]
    confirmed = site.get(link_in(message, "/confirm"), follow_redirects=False)
    assert confirmed.headers["location"] == "/account?confirmed=1"
    assert "Your address is confirmed" in site.get("/account?confirmed=1").text
    site.cookies.clear()
    assert sign_in(site, name="carol", password=PASSWORD).status_code == 303
    assert site.get("/confirm?token=forged").status_code == 400


@pytest.mark.parametrize(("password", "message"), [
    ("short", "at least 10 characters"), ("password123", "10,000 most common"),
    ("carol@example.org", "must not be your name or email"),
])
def test_weak_passwords_are_refused(site, password, message):
    answer = sign_up(site, password=password)
    assert answer.status_code == 400 and message in answer.text


def test_common_password_list_has_ten_thousand_entries():
    assert len(common_passwords()) == COMMON_PASSWORDS_CHECKED and "qwerty" in common_passwords()


def test_taken_names_and_addresses(site, mailbox):
    sign_up(site)
    assert "is taken" in sign_up(site, email="other@example.org").text
    # An address with an account gets the answer any address gets; its owner is told by mail.
    before = len(mailbox.messages)
    again = sign_up(site, name="carol2")
    assert again.status_code == 200 and "we sent a link to carol@example.org" in again.text
    assert "exists" not in again.text
    told = mailbox.messages[before]
    assert told["To"] == "carol@example.org" and "someone tried to sign up" in told.get_content()


def test_password_reset_by_email_is_single_use(site, mailbox):
    sign_up(site)
    site.get(link_in(mailbox.messages[-1], "/confirm"))
    site.cookies.clear()
    page = site.get("/reset").text
    same = site.post("/reset", data={"email": "nobody@example.org", "csrf": csrf_of(page)})
    count = len(mailbox.messages)
    answer = site.post("/reset", data={"email": "carol@example.org", "csrf": csrf_of(page)})
    assert same.text.count("If an account uses that address") == answer.text.count("If an account uses that address") == 1
    assert len(mailbox.messages) == count + 1
    link = link_in(mailbox.messages[-1], "/reset/new")
    form = site.get(link).text
    token = re.search(r'name="token" value="([^"]+)"', form)[1]
    new_password = "another long phrase 7"
    done = site.post("/reset/new", data={"token": token, "password": new_password, "csrf": csrf_of(form)},
                     follow_redirects=False)
    assert done.headers["location"] == "/signin?reset=1"
    assert sign_in(site, name="carol", password=new_password).status_code == 303
    assert site.get(link).status_code == 400  # used: the password changed


def test_change_password_and_delete_account(site, mailbox, engine):
    sign_up(site)
    site.get(link_in(mailbox.messages[-1], "/confirm"))
    page = site.get("/account").text
    wrong = site.post("/account/password", data={"current_password": "nope", "new_password": "fresh phrase 99x",
                                                 "csrf": csrf_of(page)})
    assert wrong.status_code == 400 and "current password is wrong" in wrong.text
    ok = site.post("/account/password", data={"current_password": PASSWORD, "new_password": "fresh phrase 99x",
                                              "csrf": csrf_of(page)})
    assert "Your password is changed" in ok.text
    gone = site.post("/account/delete", data={"password": "fresh phrase 99x", "csrf": csrf_of(page)},
                     follow_redirects=False)
    assert gone.status_code == 303
    assert sign_in(site, name="carol", password="fresh phrase 99x").status_code == 400


def test_without_smtp_emails_go_to_the_outbox(engine, tmp_path):
    client = make_client(engine, tmp_path)
    assert sign_up(client).status_code == 200
    outbox = list((tmp_path / "outbox").glob("*.eml"))
    assert len(outbox) == 1 and b"/confirm?token=" in outbox[0].read_bytes()


def test_change_email_after_confirming_the_new_address(site, mailbox):
    sign_up(site)
    site.get(link_in(mailbox.messages[-1], "/confirm"))
    page = site.get("/account").text
    wrong = site.post("/account/email", data={"new_email": "new@example.org", "password": "nope", "csrf": csrf_of(page)})
    assert wrong.status_code == 400 and "password is wrong" in wrong.text
    sent = site.post("/account/email", data={"new_email": "new@example.org", "password": PASSWORD, "csrf": csrf_of(page)})
    assert "We sent a link to new@example.org" in sent.text
    message = mailbox.messages[-1]
    assert message["To"] == "new@example.org"
    assert "carol@example.org" in site.get("/account").text  # not switched before the link is opened
    done = site.get(link_in(message, "/confirm-email"))
    assert "Your address is now new@example.org" in done.text
    assert "new@example.org" in site.get("/account").text


def test_a_mail_server_that_is_down_gets_a_clear_503_not_a_500(engine, tmp_path):
    import socket

    from paperfeed.members.accounts import create_user

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    create_user(engine, "dora", PASSWORD, email="dora@example.org")
    site = make_client(engine, tmp_path, smtp_host="127.0.0.1", smtp_port=closed_port, smtp_security="none",
                       base_url="https://papers.example.org")
    site.base_url = "https://testserver"  # the session cookie is Secure on an https site
    page = site.get("/reset").text  # a reset answers as always (its mail goes out after the answer)
    assert "If an account uses that address" in site.post("/reset", data={"email": "dora@example.org",
                                                                         "csrf": csrf_of(page)}).text
    sign_in(site, name="dora", password=PASSWORD)
    page = site.get("/account").text
    answer = site.post("/account/email", data={"new_email": "dora@new.example.org", "password": PASSWORD,
                                               "csrf": csrf_of(page)})
    assert answer.status_code == 503 and answer.headers["retry-after"] == "60"
    assert "The email could not be sent" in answer.text and "Traceback" not in answer.text


# --- issue 16: sign in with the name or the address; the username's rule; where a mail went ------


def confirmed_member(site, mailbox, **fields):
    sign_up(site, **fields)
    site.get(link_in(mailbox.messages[-1], "/confirm"))
    site.cookies.clear()


@pytest.mark.parametrize("typed", ["carol", "Carol", "carol@example.org", " CAROL@Example.ORG "])
def test_sign_in_with_the_name_or_the_email_address(site, mailbox, typed):
    confirmed_member(site, mailbox)
    form = site.get("/signin").text
    assert ">Username or email <input" in form
    answer = sign_in(site, name=typed, password=PASSWORD, next_page="/library")
    assert answer.status_code == 303 and answer.headers["location"] == "/library"
    assert "Sign out" in site.get("/").text and ">carol</a>" in site.get("/").text


def test_a_wrong_address_or_password_gets_one_message(site, mailbox):
    confirmed_member(site, mailbox)
    for typed, password in [("carol@example.org", "a wrong password"), ("nobody@example.org", PASSWORD),
                            ("nobody", PASSWORD)]:
        answer = sign_in(site, name=typed, password=password)
        assert answer.status_code == 400 and "Wrong username, email address or password." in answer.text
        assert f'value="{typed}"' in answer.text  # what was typed stays in the field


def test_failed_sign_ins_by_name_and_by_address_count_against_one_account(site, mailbox, engine):
    from paperfeed.members.accounts import sign_in_key

    confirmed_member(site, mailbox)
    assert {sign_in_key(engine, typed) for typed in ("carol", "CAROL", "Carol@Example.org")} == {"carol"}
    assert sign_in_key(engine, "Nobody@Example.org") == "nobody@example.org"


def test_the_signup_field_says_username_and_states_its_rule(site):
    import html

    from paperfeed.members.accounts import USERNAME_RULE

    form = html.unescape(site.get("/signup").text)
    assert ">Username <input" in form and USERNAME_RULE in form
    assert 'pattern="[A-Za-z0-9][A-Za-z0-9_.\\-]{1,31}"' in form  # the browser checks the same rule first
    refused = sign_up(site, name="-carol")
    assert refused.status_code == 400 and USERNAME_RULE in html.unescape(refused.text)
    assert 'value="-carol"' in refused.text


def test_a_local_site_without_smtp_says_the_mail_is_in_the_outbox(engine, tmp_path, caplog):
    """No PAPERFEED_SMTP_HOST and no public PAPERFEED_BASE_URL: someone trying paperfeed on their
    machine. Each page that sent a mail names the outbox folder; the log prints the link."""
    import logging

    client = make_client(engine, tmp_path)  # links to http://127.0.0.1:8000
    outbox = str((tmp_path / "outbox").resolve())
    mail_log = logging.getLogger("paperfeed.digest.mail")
    mail_log.addHandler(caplog.handler)  # even where logging was configured (propagate=False)
    try:
        with caplog.at_level(logging.WARNING, logger="paperfeed.digest.mail"):
            signed_up = sign_up(client)
    finally:
        mail_log.removeHandler(caplog.handler)
    assert "we sent a link to carol@example.org" in signed_up.text and outbox in signed_up.text
    logged = sorted({record.getMessage() for record in caplog.records if "/confirm?token=" in record.getMessage()})
    assert len(logged) == 1 and outbox in logged[0] and "carol@example.org" in logged[0]
    link = re.search(r"http://127\.0\.0\.1:8000(/confirm\?token=\S+)", logged[0])[1]
    assert client.get(link, follow_redirects=False).headers["location"] == "/account?confirmed=1"

    page = client.get("/account").text
    moved = client.post("/account/email", data={"new_email": "c2@example.org", "password": PASSWORD,
                                                "csrf": csrf_of(page)})
    assert "We sent a link to c2@example.org" in moved.text and outbox in moved.text
    digest = client.post("/account/digest", data={"frequency": "weekly", "send_hour": "8", "timezone": "UTC",
                                                  "content": "both", "top_count": "5", "personal_count": "5",
                                                  "csrf": csrf_of(page)})
    assert "Saved." in digest.text and outbox not in digest.text  # a confirmed address: no mail was sent
    client.cookies.clear()
    page = client.get("/reset").text
    reset = client.post("/reset", data={"email": "carol@example.org", "csrf": csrf_of(page)})
    assert "If an account uses that address" in reset.text and outbox in reset.text
    page = client.get("/subscribe").text
    subscribed = client.post("/subscribe", data={"email": "reader@example.org", "frequency": "daily", "send_hour": "7",
                                                 "timezone": "Europe/Paris", "content": "top", "top_count": "10",
                                                 "personal_count": "0", "csrf": csrf_of(page)})
    assert "Check your inbox" in subscribed.text and outbox in subscribed.text
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 4


@pytest.mark.parametrize("settings", [
    {"base_url": "https://papers.example.org"},  # public, without SMTP: mail waits in the outbox, unsaid
    {"smtp_host": "127.0.0.1", "smtp_security": "none"},  # local with SMTP: real mail
], ids=["public-site", "local-with-smtp"])
def test_other_sites_say_nothing_of_an_outbox(engine, tmp_path, mailbox, settings):
    client = make_client(engine, tmp_path, **settings | ({"smtp_port": mailbox.port} if "smtp_host" in settings else {}))
    if settings.get("base_url", "").startswith("https"):
        client.base_url = "https://testserver"
    answer = sign_up(client)
    assert "we sent a link to carol@example.org" in answer.text
    assert "outbox" not in answer.text.lower() and str(tmp_path) not in answer.text
    page = client.get("/reset").text
    reset = client.post("/reset", data={"email": "carol@example.org", "csrf": csrf_of(page)})
    assert "outbox" not in reset.text.lower() and str(tmp_path) not in reset.text
