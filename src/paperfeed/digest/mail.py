"""Sending email: through the SMTP server in settings, or into ``<data dir>/outbox/`` when none is set.

The outbox keeps a laptop install usable without a mail server: each message
is an ``.eml`` file a person can open (the sign-up confirmation link is in it).
SMTP: ``starttls`` (RFC 3207) on port 587 by default, ``ssl`` (implicit TLS) or
``none``; login when a user name is set.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from paperfeed.config import Settings
from paperfeed.errors import MailError


def compose(settings: Settings, *, to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.mail_from, to, subject
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rsplit("@", 1)[-1].strip("> ") or "localhost")
    message.set_content(text)
    return message


def send(settings: Settings, message: EmailMessage) -> None:
    """Deliver ``message`` (SMTP, or the outbox when ``PAPERFEED_SMTP_HOST`` is empty)."""
    if not settings.smtp_host:
        outbox = settings.data_dir / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        path: Path = outbox / f"{time.strftime('%Y%m%d-%H%M%S')}-{abs(hash(message['Message-ID'])) % 10**8}.eml"
        path.write_bytes(bytes(message))
        return
    try:
        if settings.smtp_security == "ssl":
            server = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=30,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
        with server:
            if settings.smtp_security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                server.login(settings.smtp_username, settings.smtp_password)
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"the email to {message['To']} could not be sent ({type(error).__name__}: {error})") from None


def send_text(settings: Settings, *, to: str, subject: str, text: str) -> None:
    """Compose and send a plain-text email (account and subscription links)."""
    from paperfeed.observability import metrics

    try:
        send(settings, compose(settings, to=to, subject=subject, text=text))
    except MailError:
        metrics().emails.labels("account", "failed").inc()
        raise
    metrics().emails.labels("account", "sent").inc()
