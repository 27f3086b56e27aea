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
