"""A member's data as one JSON file: export it, import it into another paperfeed instance.

Format (version 1)::

    {"format": "paperfeed-member-data", "version": 1, "exported_at": ISO time,
     "member": {"username", "email"},
     "votes": [{"paper_id", "created_at"}],
     "comments": [{"paper_id", "body", "created_at", "reply_to_body"?}],
     "collections": [{"name", "public", "papers": [paper ids in order]}]}

Import is idempotent and tolerant: votes and collection items for papers the
instance does not hold are skipped and counted; a collection of the same name
is filled rather than duplicated; a comment already there (same paper, same
text) is not added twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.community import collections, comments
from paperfeed.db import collections as collections_repo
from paperfeed.db import comments as comments_repo
from paperfeed.db import papers as papers_repo
from paperfeed.db import votes as votes_repo
from paperfeed.db.engine import write_transaction
from paperfeed.db.users import UserRow
from paperfeed.errors import InvalidInput
from paperfeed.formatting import counted

FORMAT = "paperfeed-member-data"
MAX_IMPORT_BYTES = 20 * 2**20


def export_member(connection: sa.Connection, user: UserRow) -> dict:
    vote_rows = votes_repo.votes_of_member(connection, user.id)
    comment_rows = comments_repo.comments_of_member(connection, user.id)
    owned = collections_repo.owned_collections(connection, user.id)
    kept = []
    for collection_id, name, public in owned:
        ids = collections_repo.paper_ids_in_order(connection, collection_id)
        kept.append({"name": name, "public": bool(public), "papers": list(ids)})
    return {
        "format": FORMAT, "version": 1, "exported_at": datetime.now(UTC).isoformat(),
        "member": {"username": user.username, "email": user.email},
        "votes": [{"paper_id": paper_id, "created_at": _iso(at)} for paper_id, at in vote_rows],
        "comments": [{"paper_id": paper_id, "body": body, "created_at": _iso(at)} for paper_id, body, at in comment_rows],
        "collections": kept,
    }


@dataclass(slots=True)
class ImportReport:
    votes: int = 0
    comments: int = 0
    collections: int = 0
    collection_papers: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"{counted(self.votes, 'vote')}, {counted(self.comments, 'comment')}, "
                f"{counted(self.collections, 'collection')} ({counted(self.collection_papers, 'paper')}) imported")
        return text + (f"; {len(self.skipped)} skipped (papers this site does not have)" if self.skipped else "")


def import_member(engine: sa.Engine, user: UserRow, raw: bytes) -> ImportReport:
    """Merge an exported file into ``user``'s data; a malformed file is refused with the reason."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MB", field="file")
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise InvalidInput(f"not a JSON file ({error})", field="file") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != 1:
        raise InvalidInput("not a paperfeed export (format paperfeed-member-data, version 1)", field="file")
    report = ImportReport()
    now = datetime.now(UTC)
    wanted = {item.get("paper_id") for item in _list(data, "votes") + _list(data, "comments")}
    wanted |= {pid for c in _list(data, "collections") for pid in (c.get("papers") or []) if isinstance(pid, str)}
    with engine.connect() as connection:
        present = set(papers_repo.get_papers(connection, [p for p in wanted if isinstance(p, str)]))
    with write_transaction(engine) as connection:
        for item in _list(data, "votes"):
            if item.get("paper_id") in present:
                report.votes += votes_repo.add_vote(connection, user.id, item["paper_id"], now=now)
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
    return report


def _list(data: dict, key: str) -> list[dict]:
    value = data.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).isoformat()
