"""Digests through an SMTP server that wants STARTTLS (or implicit TLS) and a login, as a mail
provider does: a real aiosmtpd server with a certificate made for the test."""

import datetime as dt
import ipaddress
import socket
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from paperfeed.config import Settings
from paperfeed.db import subscriptions as repo
from paperfeed.db.engine import write_transaction
from paperfeed.digest.deliver import send_digests
from paperfeed.ingest.files import ingest_files
from paperfeed.digest.subscriptions import Preferences
from tests.conftest import write_jsonl
from tests.integration.test_digests import MONDAY_8AM, PAPERS
from tests.smtp_server import _Keeper


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


def make_certificate(folder):
    """A self-signed certificate for 127.0.0.1, trusted by this test through SSL_CERT_FILE."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"digest" and auth_data.password == b"right password"
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


def start_server(certificate, *, implicit: bool):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    keeper = _Keeper()
    # With implicit TLS aiosmtpd does not know the session is encrypted, so it is told AUTH may go ahead.
    options = ({"ssl_context": context, "auth_require_tls": False} if implicit
               else {"tls_context": context, "require_starttls": True})
    controller = Controller(keeper, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_required=True, **options)
    if implicit:
        controller.ready_timeout = 5
    controller.start()
    return controller, keeper, port


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_login(engine, tmp_path, certificate, monkeypatch, security):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", PAPERS)])
    with write_transaction(engine) as connection:
        repo.insert(connection, email="tls@example.org", created_at=MONDAY_8AM, confirmed_at=MONDAY_8AM,
                    **Preferences().values())
    controller, keeper, port = start_server(certificate, implicit=security == "ssl")
    try:
        def send(password):
            settings = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_security=security,
                                base_url="https://papers.example.org", smtp_username="digest", smtp_password=password, smtp_rate_per_s=1000)
            return send_digests(engine, settings, vectors_of=lambda ids: {}, secret="s", clock=lambda: MONDAY_8AM)

        refused = send("wrong password")
        assert refused.counts["sent"] == 0 and "refused the login of 'digest'" in refused.problems[0]
        accepted = send("right password")  # the refused run used up no attempt
        assert accepted.counts["sent"] == 1 and [str(m["To"]) for m in keeper.messages] == ["tls@example.org"]
    finally:
        controller.stop()


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_account_mail_goes_through_the_same_client(tmp_path, certificate, monkeypatch, security):
    from paperfeed.digest.mail import send_text
    from paperfeed.errors import MailError

    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    controller, keeper, port = start_server(certificate, implicit=security == "ssl")
    try:
        def settings(password):
            return Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_security=security,
                            base_url="https://papers.example.org", smtp_username="digest", smtp_password=password,
                            mail_from="paperfeed <noreply@papers.example.org>")

        with pytest.raises(MailError, match="refused the login of 'digest'"):
            send_text(settings("wrong password"), to="carol@example.org", subject="Confirm", text="a link")
        send_text(settings("right password"), to="carol@example.org", subject="Confirm", text="the link\n.\nend")
        [message] = keeper.messages
        assert str(message["To"]) == "carol@example.org"
        assert message.get_content().replace("\r\n", "\n") == "the link\n.\nend\n"  # the lone dot survives
    finally:
        controller.stop()
