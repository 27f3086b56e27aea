"""Saved-search alerts: new papers matching a member's search, in the next digest or at once.

A paper matches when its title or abstract holds every word of the query
(each as the start of a word, any case) and, if the alert names one, it is
in that category. Alerts delivered at once are checked by
:func:`run_alerts` (after each scheduled fetch, or `paperfeed alerts run`):
each matching paper is recorded once per alert (``alert_hits``), then sent
by email or to a webhook: a JSON POST whose body is signed with the
alert's secret, ``X-Paperfeed-Signature: sha256=HMAC-SHA256(secret, body)``
in hex (as GitHub signs its webhooks). Undelivered hits are retried at the
next run.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db import alerts as repo
from paperfeed.db import papers as papers_repo
from paperfeed.db.engine import write_transaction
from paperfeed.db.users import UserRow
from paperfeed.errors import InvalidInput, MailError, NotFound
from paperfeed.formatting import counted, mail_lines, short_authors

DELIVERIES = ("digest", "email", "webhook")
MAX_ALERTS = 50


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    query: str
    category: str
    delivery: str
    webhook_url: str | None
    webhook_secret: str | None
    created_at: datetime


def _alert(row: dict) -> Alert:
    return Alert(row["id"], row["query"], row["category"], row["delivery"], row["webhook_url"],
                 row["webhook_secret"], row["created_at"])


def word_patterns(query: str) -> list[re.Pattern]:
    return [re.compile(rf"\b{re.escape(word)}") for word in re.findall(r"\w+", query.lower())]


def matches(patterns: list[re.Pattern], category: str, paper: dict) -> bool:
    """Whether a paper (``title``, ``abstract``, ``categories``) holds every word and is in the category."""
    text = f"{paper['title']}\n{paper['abstract'] or ''}".lower()
    return all(p.search(text) for p in patterns) and (not category or category in (paper["categories"] or []))


WEBHOOK_SECRET = re.compile(r"[0-9a-f]{64}")


def create(engine: sa.Engine, user: UserRow, query: str, *, category: str = "", delivery: str = "digest",
           webhook_url: str = "", now: datetime | None = None, allow_private_hosts: bool = False,
           webhook_secret: str | None = None) -> Alert:
    """A saved search; a webhook alert signs with a new secret, or with ``webhook_secret`` (an
    imported alert keeps the one its receiver checks)."""
    query, category, webhook_url = " ".join((query or "").split()), (category or "").strip(), (webhook_url or "").strip()
    if not word_patterns(query) or len(query) > 1000:
        raise InvalidInput("a search of 1 to 1,000 characters with at least one word", field="query")
    if len(category) > 32:
        raise InvalidInput("an arXiv category like cs.CL", field="category")
    if delivery not in DELIVERIES:
        raise InvalidInput("digest, email or webhook", field="delivery")
    if delivery == "webhook":
        check_webhook_url(webhook_url, allow_private_hosts=allow_private_hosts)
    with write_transaction(engine) as connection:
        if repo.count_of_member(connection, user.id) >= MAX_ALERTS:
            raise InvalidInput(f"at most {MAX_ALERTS} alerts; delete one first", field="query")
        alert_id = repo.insert(connection, user_id=user.id, query=query, category=category, delivery=delivery,
                               webhook_url=webhook_url if delivery == "webhook" else None,
                               webhook_secret=(webhook_secret if WEBHOOK_SECRET.fullmatch(webhook_secret or "")
                                               else secrets.token_hex(32)) if delivery == "webhook" else None,
                               created_at=now or datetime.now(UTC), checked_at=now or datetime.now(UTC))
        return next(_alert(row) for row in repo.of_member(connection, user.id) if row["id"] == alert_id)


def check_webhook_url(url: str, *, allow_private_hosts: bool) -> str:
    """An http(s) URL; one that points into this machine's network is refused unless the operator
    allows it (``PAPERFEED_WEBHOOK_PRIVATE_HOSTS``): members must not make the server call its neighbours."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise InvalidInput("an http:// or https:// URL", field="webhook_url")
    if not allow_private_hosts:
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
        except OSError:
            raise InvalidInput(f"cannot resolve {parts.hostname}", field="webhook_url") from None
        if any(not ipaddress.ip_address(address.split("%")[0]).is_global for address in addresses):
            raise InvalidInput("this address is on a private network; webhooks go to public addresses",
                               field="webhook_url")
    return url


def delete(engine: sa.Engine, user: UserRow, alert_id: int) -> None:
    with write_transaction(engine) as connection:
        if not repo.delete(connection, alert_id, user.id):
            raise NotFound(f"no alert {alert_id}")


def of_member(connection: sa.Connection, user_id: int) -> list[Alert]:
    return [_alert(row) for row in repo.of_member(connection, user_id)]


# --- delivering at once -------------------------------------------------------------------------


@dataclass
class AlertsReport:
    checked: int = 0
    found: int = 0
    delivered: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{counted(self.checked, 'alert')} checked, {counted(self.found, 'new paper')} found, "
                f"{self.delivered} delivered, {counted(len(self.problems), 'delivery')} failed (retried next run)")


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def run_alerts(engine: sa.Engine, settings: Settings, *, now: datetime | None = None,
               client: httpx.Client | None = None) -> AlertsReport:
    """Find new papers for every email and webhook alert and deliver them."""
    now = now or datetime.now(UTC)
    report = AlertsReport()
    base = settings.public_url
    own_client = client is None
    client = client or httpx.Client(timeout=10, follow_redirects=False,
                                    headers={"User-Agent": f"paperfeed alerts ({base})"})
    try:
        with engine.connect() as connection:
            alerts = repo.immediate(connection)
        for row in alerts:
            report.checked += 1
            since = row["checked_at"] or row["created_at"]
            patterns = word_patterns(row["query"])  # compiled once per alert, not once per paper
            with engine.connect() as connection:
                # (since, ""): every paper changed at or after the last check (hits are recorded once)
                found = [paper["id"] for batch in papers_repo.papers_changed_since(connection, (since, ""))
                         for paper in batch if matches(patterns, row["category"], paper)]
            with write_transaction(engine) as connection:
                repo.record_hits(connection, row["id"], found, now=now)
                repo.set_checked(connection, row["id"], now=now)
            report.found += len(found)
            _deliver(engine, settings, client, row, base, report, now)
    finally:
        if own_client:
            client.close()
    return report


def _deliver(engine, settings, client, alert: dict, base: str, report: AlertsReport, now: datetime) -> None:
    from paperfeed.digest import mail
    from paperfeed.db import users as users_repo

    with engine.connect() as connection:
        waiting = repo.undelivered(connection, alert["id"])
        if not waiting:
            return
        found = papers_repo.get_papers(connection, waiting)
        owner = users_repo.get_user(connection, alert["user_id"])
    papers = [found[paper_id] for paper_id in waiting if paper_id in found]
    try:
        if alert["delivery"] == "webhook":
            body = json.dumps({"alert": {"id": alert["id"], "query": alert["query"], "category": alert["category"]},
                               "papers": [{"id": p.id, "title": p.title, "authors": p.authors, "summary": p.abstract,
                                           "url": f"{base}/papers/{p.id}", "publishedAt": str(p.published_on or "")}
                                          for p in papers]}, ensure_ascii=False).encode()
            answer = client.post(alert["webhook_url"], content=body, headers={
                "Content-Type": "application/json", "X-Paperfeed-Event": "alert",
                "X-Paperfeed-Signature": webhook_signature(alert["webhook_secret"], body)})
            if answer.status_code >= 300:
                raise RuntimeError(f"the webhook answered HTTP {answer.status_code}")
        else:
            if owner is None or not owner.email:
                raise RuntimeError("the member has no email address")
            if settings.smtp_host and (problem := settings.loopback_links()):
                raise RuntimeError(f"not sent: {problem}")
            lines = [*mail_lines(f"New papers for your alert “{alert['query']}”:"), ""]
            for paper in papers:
                lines += [*mail_lines(f"* {paper.title}", indent="  "),
                          *mail_lines(short_authors(paper.authors, 5), indent="  ", first="  "),
                          f"  {base}/papers/{paper.id}", ""]
            lines += mail_lines(f"Manage your alerts: {base}/alerts")
            mail.send_text(settings, to=owner.email, subject=f"{counted(len(papers), 'new paper')}: {alert['query'][:60]}",
                           text="\n".join(lines))
    except (httpx.HTTPError, RuntimeError, MailError) as error:
        report.problems.append(f"alert {alert['id']}: {error}")
        return
    with write_transaction(engine) as connection:
        repo.mark_delivered(connection, alert["id"], waiting, now=now)
    report.delivered += len(papers)
