"""Sending email: through the SMTP server in settings, or into ``<data dir>/outbox/`` when none is set.

The outbox keeps a laptop install usable without a mail server: each message
is an ``.eml`` file a person can open (the sign-up confirmation link is in it).
SMTP: ``starttls`` (RFC 3207) on port 587 by default, ``ssl`` (implicit TLS) or
``none``; login when a user name is set.

This is the one SMTP client: account mail and alerts (:func:`send_text`) and digests
(:class:`SmtpSender`, one connection for many messages, at a set rate, with a hook run
just before the final dot so :mod:`paperfeed.digest.deliver` can commit that a message is
about to go, for exactly-once delivery) share its connection, TLS, login, timeout and errors.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path

from paperfeed.config import Settings
from paperfeed.errors import MailError

log = logging.getLogger(__name__)

SMTP_TIMEOUT_S = 60  # per socket operation, for digests and account mail alike


class Bounce(Exception):
    """The server refused the address or the message for good (5xx)."""


class TemporaryFailure(Exception):
    """4xx, or the connection was lost: worth another try later."""


class ServerUnavailable(TemporaryFailure):
    """No session with the SMTP server (unreachable, TLS or login refused): the run stops."""


class SmtpSender:
    """One SMTP connection for many messages (reconnected when lost), at most ``rate`` messages a second."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._interval = 1.0 / settings.smtp_rate_per_s
        self._last = 0.0

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.smtp_security == "ssl":
                smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT_S, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT_S)
            # The message and its final dot go in two writes: without TCP_NODELAY, Nagle's algorithm
            # holds the dot until the server's delayed ACK (about 40 ms a message).
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo()
            if s.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
        except smtplib.SMTPAuthenticationError as error:
            raise ServerUnavailable(f"the SMTP server {s.smtp_host}:{s.smtp_port} refused the login of "
                                    f"{s.smtp_username!r} ({error.smtp_code} {error.smtp_error.decode(errors='replace')})") from None
        except (OSError, smtplib.SMTPException) as error:
            raise ServerUnavailable(f"cannot reach the SMTP server {s.smtp_host}:{s.smtp_port} ({error})") from None
        return smtp

    def send(self, sender: str, recipient: str, data: bytes, before_end: Callable[[], None]) -> None:
        """Send one message; ``before_end`` runs just before the terminating dot (see the module)."""
        wait = self._last + self._interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        try:
            self._expect(smtp.mail(sender), (250,), smtp)
            self._expect(smtp.rcpt(recipient), (250, 251), smtp)
            self._expect(smtp.docmd("data"), (354,), smtp)
            smtp.send(_dot_stuffed(data))
            before_end()
            smtp.send(b".\r\n")
            self._expect(smtp.getreply(), (250,), smtp)
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self.close()
            raise TemporaryFailure(f"the connection to the SMTP server was lost ({error})") from None

    @staticmethod
    def _expect(reply: tuple[int, bytes], wanted: tuple[int, ...], smtp: smtplib.SMTP) -> None:
        code, text = reply
        if code in wanted:
            return
        message = f"{code} {text.decode(errors='replace')}"
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            pass
        raise (Bounce if 500 <= code < 600 else TemporaryFailure)(message)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None


def _dot_stuffed(data: bytes) -> bytes:
    """The message body for DATA: CRLF line ends, a leading dot doubled (RFC 5321 §4.5.2), ending in CRLF."""
    data = re.sub(rb"\r?\n", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def envelope_address(mail_from: str) -> str:
    """The bare address of ``Name <address>``, for the SMTP envelope (MAIL FROM, RCPT TO)."""
    return parseaddr(mail_from)[1] or mail_from


def compose(settings: Settings, *, to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.mail_from, to, subject
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rsplit("@", 1)[-1].strip("> ") or "localhost")
    message.set_content(text)
    return message


def outbox_dir(settings: Settings) -> Path:
    """The folder mail goes to when ``PAPERFEED_SMTP_HOST`` is empty."""
    return settings.data_dir / "outbox"


def local_outbox(settings: Settings) -> Path | None:
    """The outbox folder (absolute) when the pages that send a mail should name it: no SMTP server,
    on a site whose links only this machine can open (:meth:`Settings.loopback_links`), as when
    one person tries paperfeed on a laptop. None everywhere else: a public site tells its visitors
    nothing of its folders, and a site with SMTP sends real mail."""
    if settings.smtp_host or settings.loopback_links() is None:
        return None
    return outbox_dir(settings).resolve()


def send(settings: Settings, message: EmailMessage) -> Path | None:
    """Deliver ``message`` (SMTP, or the outbox when ``PAPERFEED_SMTP_HOST`` is empty); the
    outbox file's path, or None when it went by SMTP."""
    if not settings.smtp_host:
        outbox = outbox_dir(settings)
        outbox.mkdir(parents=True, exist_ok=True)
        path: Path = outbox / f"{time.strftime('%Y%m%d-%H%M%S')}-{abs(hash(message['Message-ID'])) % 10**8}.eml"
        path.write_bytes(bytes(message))
        return path
    sender = SmtpSender(settings)
    try:
        sender.send(envelope_address(settings.mail_from), envelope_address(message["To"]), bytes(message), lambda: None)
    except (Bounce, TemporaryFailure) as error:
        raise MailError(f"the email to {message['To']} could not be sent ({error})") from None
    finally:
        sender.close()
    return None


def send_text(settings: Settings, *, to: str, subject: str, text: str) -> None:
    """Compose and send a plain-text email (account and subscription links)."""
    from paperfeed.observability import count, metrics

    try:
        path = send(settings, compose(settings, to=to, subject=subject, text=text))
    except MailError:
        count(metrics().emails.labels("account", "failed").inc)
        raise
    count(metrics().emails.labels("account", "sent").inc)
    if path is not None and local_outbox(settings) is not None:
        # Trying paperfeed locally, without a mail server: the link is one look at the log away.
        links = " ".join(re.findall(r"https?://\S+", text))
        log.warning("no SMTP server (PAPERFEED_SMTP_HOST is empty): the email to %s, %r, is in %s%s", to, subject,
                    path, f"; its link: {links}" if links else "")


def send_text_later(settings: Settings, *, to: str, subject: str, text: str) -> None:
    """:func:`send_text` for after the answer went out (a background task): a page whose answer
    must not tell whether an address has an account sends its mail this way, so neither the
    time it takes nor a failure shows. A failure is logged and counted, never raised."""
    try:
        send_text(settings, to=to, subject=subject, text=text)
    except MailError as error:
        log.warning("a mail to %s was not sent: %s", to, error)
