"""A member's data as one JSON file: export it, import it into another paperfeed instance.

Format (version 2; version 1 files, without the last three keys, are still read)::

    {"format": "paperfeed-member-data", "version": 2, "exported_at": ISO time,
     "member": {"username", "email"},
     "votes": [{"paper_id", "created_at"}],
     "comments": [{"paper_id", "body", "created_at", "reply_to_body"?}],
     "collections": [{"name", "public", "papers": [paper ids in order]}],
     "follows": [{"kind": "author" | "category", "value"}],
     "digest": null | {"frequency", "send_hour", "timezone", "content", "top_count",
                       "personal_count", "keywords", "subscribed"},
     "alerts": [{"query", "category", "delivery", "webhook_url", "webhook_secret"}]}

Import is idempotent and tolerant: votes and collection items for papers the
instance does not hold are skipped and counted; a collection of the same name
is filled rather than duplicated; a comment already there (same paper, same
text), a follow or a saved search already there is not added twice. The digest
settings start a subscription (at the member's address here) only when the
export was subscribed and the member has none here yet: one they have here
wins. Anything this instance refuses (a webhook to a private address, a
member without an address for the digest) is skipped, with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.community import collections, comments, follows
from paperfeed.db import collections as collections_repo
from paperfeed.db import comments as comments_repo
from paperfeed.db import papers as papers_repo
from paperfeed.db import subscriptions as subscriptions_repo
from paperfeed.db import votes as votes_repo
from paperfeed.db.engine import write_transaction
from paperfeed.db.users import UserRow
from paperfeed.digest import alerts, subscriptions
from paperfeed.errors import InvalidInput

FORMAT = "paperfeed-member-data"
VERSION = 2
READABLE_VERSIONS = (1, 2)
MAX_IMPORT_BYTES = 20 * 2**20
SKIPS_SHOWN = 3


def export_member(connection: sa.Connection, user: UserRow) -> dict:
    vote_rows = votes_repo.votes_of_member(connection, user.id)
    comment_rows = comments_repo.comments_of_member(connection, user.id)
    owned = collections_repo.owned_collections(connection, user.id)
    kept = []
    for collection_id, name, public in owned:
        ids = collections_repo.paper_ids_in_order(connection, collection_id)
        kept.append({"name": name, "public": bool(public), "papers": list(ids)})
    return {
        "format": FORMAT, "version": VERSION, "exported_at": datetime.now(UTC).isoformat(),
        "member": {"username": user.username, "email": user.email},
        "votes": [{"paper_id": paper_id, "created_at": _iso(at)} for paper_id, at in vote_rows],
        "comments": [{"paper_id": paper_id, "body": body, "created_at": _iso(at)} for paper_id, body, at in comment_rows],
        "collections": kept,
        "follows": [{"kind": kind, "value": value} for kind, value in sorted(
            (kind, value) for kind, values in follows.followed(connection, user.id).items() for value in values)],
        "digest": _digest_of(connection, user),
        "alerts": [{"query": alert.query, "category": alert.category, "delivery": alert.delivery,
                    "webhook_url": alert.webhook_url, "webhook_secret": alert.webhook_secret}
                   for alert in alerts.of_member(connection, user.id)],
    }


def _digest_of(connection: sa.Connection, user: UserRow) -> dict | None:
    row = subscriptions_repo.find_by_user(connection, user.id)
    if row is None:
        return None
    return subscriptions.preferences_of(row).values() | {"subscribed": row.state in ("active", "unconfirmed")}


@dataclass(slots=True)
class ImportReport:
    votes: int = 0
    comments: int = 0
    collections: int = 0
    collection_papers: int = 0
    follows: int = 0
    alerts: int = 0
    digest: str = "not in the file"
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One sentence for the account page (counts as "votes: 2", which reads right for any number)."""
        text = (f"Imported — votes: {self.votes}, comments: {self.comments}, collections: {self.collections} "
                f"(papers in them: {self.collection_papers}), follows: {self.follows}, saved searches: "
                f"{self.alerts}; digest: {self.digest}")
        if not self.skipped:
            return text + "."
        shown = "; ".join(self.skipped[:SKIPS_SHOWN]) + ("; …" if len(self.skipped) > SKIPS_SHOWN else "")
        return f"{text}; skipped: {len(self.skipped)} ({shown})."


def import_member(engine: sa.Engine, user: UserRow, raw: bytes, *, allow_private_hosts: bool = False) -> ImportReport:
    """Merge an exported file into ``user``'s data; a malformed file is refused with the reason.
    ``allow_private_hosts``: the site's ``PAPERFEED_WEBHOOK_PRIVATE_HOSTS``, for webhook alerts."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MB", field="file")
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise InvalidInput(f"not a JSON file ({error})", field="file") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") not in READABLE_VERSIONS:
        raise InvalidInput(f"not a paperfeed export (format {FORMAT}, version 1 or 2)", field="file")
    report = ImportReport()
    now = datetime.now(UTC)
    wanted = {item.get("paper_id") for item in _list(data, "votes") + _list(data, "comments")}
    wanted |= {pid for c in _list(data, "collections") for pid in (c.get("papers") or []) if isinstance(pid, str)}
    with engine.connect() as connection:
        present = set(papers_repo.get_papers(connection, [p for p in wanted if isinstance(p, str)]))
    with write_transaction(engine) as connection:
        for item in _list(data, "votes"):
            if item.get("paper_id") in present:
                report.votes += votes_repo.add_vote(connection, user.id, item["paper_id"], now=now) is not None
            else:
                report.skipped.append(f"vote on {item.get('paper_id')!r}")
        existing = comments_repo.comment_keys_of_member(connection, user.id)
    for item in _list(data, "comments"):
        key = (item.get("paper_id"), (item.get("body") or "").strip())
        if key[0] not in present:
            report.skipped.append(f"comment on {key[0]!r}")
        elif key not in existing and key[1]:
            comments.add_comment(engine, user, key[0], key[1])
            report.comments += 1
    with engine.connect() as connection:
        mine = {c.name: c.id for c in collections.of_member(connection, user.id, viewer=user)}
    for item in _list(data, "collections"):
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            continue
        collection_id = mine.get(" ".join(name.split()))
        if collection_id is None:
            collection_id = collections.create(engine, user, name, public=bool(item.get("public")))
            report.collections += 1
        for paper_id in item.get("papers") or []:
            if paper_id in present:
                collections.add_paper(engine, user, collection_id, paper_id)
                report.collection_papers += 1
            else:
                report.skipped.append(f"{paper_id!r} in collection {name!r}")
    _import_follows(engine, user, _list(data, "follows"), report)
    _import_alerts(engine, user, _list(data, "alerts"), report, allow_private_hosts=allow_private_hosts)
    if isinstance(data.get("digest"), dict):
        _import_digest(engine, user, data["digest"], report)
    return report


def _import_follows(engine: sa.Engine, user: UserRow, items: list[dict], report: ImportReport) -> None:
    with engine.connect() as connection:
        mine = follows.followed(connection, user.id)
    for item in items:
        kind, value = item.get("kind"), " ".join(str(item.get("value") or "").split())
        if kind in follows.KINDS and value in mine[kind]:
            continue
        try:
            follows.set_follow(engine, user.id, kind if isinstance(kind, str) else "", value, follow=True)
        except InvalidInput as error:
            report.skipped.append(f"follow of {value!r} ({error.reason})")
            continue
        report.follows += 1


def _import_alerts(engine: sa.Engine, user: UserRow, items: list[dict], report: ImportReport, *,
                   allow_private_hosts: bool) -> None:
    def key(query, category, delivery, webhook_url) -> tuple:
        """What makes two saved searches the same (a URL counts for a webhook only, as create keeps it)."""
        delivery = str(delivery or "digest")
        return (" ".join(str(query or "").split()), str(category or "").strip(), delivery,
                str(webhook_url or "") or None if delivery == "webhook" else None)

    with engine.connect() as connection:
        mine = {key(a.query, a.category, a.delivery, a.webhook_url) for a in alerts.of_member(connection, user.id)}
    for item in items:
        wanted = key(item.get("query"), item.get("category"), item.get("delivery"), item.get("webhook_url"))
        if wanted in mine:
            continue
        try:
            alerts.create(engine, user, wanted[0], category=wanted[1], delivery=wanted[2],
                          webhook_url=wanted[3] or "", allow_private_hosts=allow_private_hosts,
                          webhook_secret=item.get("webhook_secret") if isinstance(item.get("webhook_secret"), str) else None)
        except InvalidInput as error:
            report.skipped.append(f"saved search {wanted[0]!r} ({error.reason})")
            continue
        mine.add(wanted)
        report.alerts += 1


def _import_digest(engine: sa.Engine, user: UserRow, digest: dict, report: ImportReport) -> None:
    """Subscribe with the exported preferences, unless the member has a subscription here already."""
    with engine.connect() as connection:
        here = subscriptions_repo.find_by_user(connection, user.id)
    if here is not None:
        report.digest = "yours here kept"
        return
    if not digest.get("subscribed"):
        report.digest = "not subscribed in the file"
        return
    names = ("frequency", "send_hour", "timezone", "content", "top_count", "personal_count", "keywords")
    try:
        preferences = subscriptions.Preferences.checked(**{name: str(digest[name]) for name in names if name in digest})
        _, state = subscriptions.subscribe_member(engine, user, preferences)
    except InvalidInput as error:
        report.digest = "not imported"
        report.skipped.append(f"digest settings ({error.reason})")
        return
    report.digest = "subscribed" if state == "ok" else "subscribed once you confirm your address"


def _list(data: dict, key: str) -> list[dict]:
    value = data.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).isoformat()
