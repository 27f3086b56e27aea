"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it receives.

``refuse`` maps a recipient to the reply its RCPT gets (``"550 5.1.1 no such user"``, a bounce;
``"451 4.3.0 try later"``, a temporary failure). ``on_message`` runs as each message is accepted
(before the 250 goes back), e.g. to kill the sending process at the worst moment.
"""

from __future__ import annotations

import socket
import time
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class _Keeper:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}
        self.on_message: Callable[[EmailMessage], None] | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook name)
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        if self.on_message is not None:
            self.on_message(message)
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.keeper = _Keeper()
        self.controller = Controller(self.keeper, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        return self.keeper.messages

    @property
    def refuse(self) -> dict[str, str]:
        return self.keeper.refuse

    def message_to(self, address: str, *, timeout_s: float = 10.0) -> EmailMessage:
        """The latest message to ``address``, waiting for it: pages send some mail after they answer."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = [m for m in self.messages if str(m["To"]).lower() == address.lower()]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no message to {address} within {timeout_s} s")

    def per_recipient(self) -> Counter:
        return Counter(str(message["To"]).lower() for message in self.messages)

    def settings(self) -> dict:
        """The PAPERFEED_SMTP_* settings that point at this server."""
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_security": "none", "smtp_rate_per_s": 1000}

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.controller.stop()
