"""Repository for digests: what members follow, in bulk; delivery claims; runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from paperfeed.db import dialect
from paperfeed.db.tables import (collection_items, collections, digest_deliveries, digest_runs, follows,
                                 saved_searches, votes)

CHUNK = 5_000  # ids per IN (...) list
DONE = ("sent", "final", "bounced", "skipped")


def _chunks(ids: list) -> Iterable[list]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def member_signals(connection: sa.Connection, user_ids: Iterable[int]) -> dict[int, dict]:
    """For each member: followed ``authors`` and ``categories``, ``liked`` paper ids (upvoted and
    collected, newest first) and ``alerts`` (saved searches delivered in the digest)."""
    ids = sorted(set(user_ids))
    found: dict[int, dict] = defaultdict(lambda: {"authors": set(), "categories": set(), "liked": [], "alerts": []})
    for chunk in _chunks(ids):
        for user_id, kind, value in connection.execute(
                sa.select(follows.c.user_id, follows.c.kind, follows.c.value).where(follows.c.user_id.in_(chunk))):
            found[user_id]["authors" if kind == "author" else "categories"].add(value)
        for user_id, paper_id in connection.execute(
                sa.select(votes.c.user_id, votes.c.paper_id).where(votes.c.user_id.in_(chunk))
                .order_by(votes.c.user_id, votes.c.created_at.desc())):
            found[user_id]["liked"].append(paper_id)
        for user_id, paper_id in connection.execute(
                sa.select(collections.c.user_id, collection_items.c.paper_id)
                .join(collection_items, collection_items.c.collection_id == collections.c.id)
                .where(collections.c.user_id.in_(chunk)).order_by(collection_items.c.added_at.desc())):
            found[user_id]["liked"].append(paper_id)
        for user_id, query, category in connection.execute(
                sa.select(saved_searches.c.user_id, saved_searches.c.query, saved_searches.c.category)
                .where(saved_searches.c.user_id.in_(chunk), saved_searches.c.delivery == "digest")):
            found[user_id]["alerts"].append((query, category))
    return dict(found)


# --- deliveries ---------------------------------------------------------------------------------


def finished_subscriptions(connection: sa.Connection, period: str) -> set[int]:
    """Subscriptions whose digest of ``period`` is out (or will never be): not to be tried again."""
    query = sa.select(digest_deliveries.c.subscription_id).where(digest_deliveries.c.period == period,
                                                                  digest_deliveries.c.status.in_(DONE))
    return set(connection.execute(query).scalars())


def claim(connection: sa.Connection, subscription_id: int, period: str, *, run_id: str, now: datetime,
          is_dead, max_attempts: int) -> bool:
    """Make this run the one that sends the digest of (subscription, period); False if another run
    has it, or it is out. The first INSERT wins; a failed attempt (under ``max_attempts``) or the
    claim of a dead run (``is_dead(run_id)``) is taken over by a compare-and-set UPDATE, which
    PostgreSQL serialises with a row lock and SQLite with its single writer."""
    if dialect.insert_one_if_absent(connection, digest_deliveries, {
            "subscription_id": subscription_id, "period": period, "status": "sending", "run_id": run_id,
            "attempts": 1, "claimed_at": now}):
        return True
    row = connection.execute(sa.select(digest_deliveries).where(
        digest_deliveries.c.subscription_id == subscription_id, digest_deliveries.c.period == period)
        .with_for_update()).mappings().first()
    if row is None or row["status"] in DONE or row["run_id"] == run_id:
        return False
    retry = row["status"] == "failed" and row["attempts"] < max_attempts
    takeover = row["status"] == "sending" and is_dead(row["run_id"])
    if not (retry or takeover):
        return False
    result = connection.execute(digest_deliveries.update().where(
        digest_deliveries.c.subscription_id == subscription_id, digest_deliveries.c.period == period,
        digest_deliveries.c.run_id == row["run_id"], digest_deliveries.c.status == row["status"],
    ).values(status="sending", run_id=run_id, attempts=row["attempts"] + 1, claimed_at=now, error=None))
    return result.rowcount == 1


def set_status(connection: sa.Connection, subscription_id: int, period: str, *, run_id: str, status: str,
               now: datetime, papers: int = 0, error: str | None = None) -> None:
    connection.execute(digest_deliveries.update().where(
        digest_deliveries.c.subscription_id == subscription_id, digest_deliveries.c.period == period,
        digest_deliveries.c.run_id == run_id,
    ).values(status=status, finished_at=now, papers=papers, error=error))


def release(connection: sa.Connection, subscription_id: int, period: str, *, run_id: str) -> None:
    """Give back a claim on which no SMTP transaction began."""
    connection.execute(digest_deliveries.delete().where(
        digest_deliveries.c.subscription_id == subscription_id, digest_deliveries.c.period == period,
        digest_deliveries.c.run_id == run_id, digest_deliveries.c.status == "sending"))


# --- runs ---------------------------------------------------------------------------------------


def start_run(connection: sa.Connection, run_id: str, *, worker: str, what: str, now: datetime) -> None:
    connection.execute(digest_runs.insert().values(id=run_id, worker=worker, started_at=now, heartbeat_at=now,
                                                   what=what, counts={}))


def heartbeat(connection: sa.Connection, run_id: str, *, now: datetime, counts: dict) -> None:
    connection.execute(digest_runs.update().where(digest_runs.c.id == run_id).values(heartbeat_at=now, counts=counts))


def finish_run(connection: sa.Connection, run_id: str, *, now: datetime, counts: dict, message: str) -> None:
    connection.execute(digest_runs.update().where(digest_runs.c.id == run_id).values(
        finished_at=now, heartbeat_at=now, counts=counts, message=message))


def get_run(connection: sa.Connection, run_id: str) -> dict | None:
    row = connection.execute(sa.select(digest_runs).where(digest_runs.c.id == run_id)).mappings().first()
    return dict(row) if row else None


def recent_runs(connection: sa.Connection, *, limit: int = 20) -> list[dict]:
    query = sa.select(digest_runs).order_by(digest_runs.c.started_at.desc()).limit(limit)
    return [dict(row) for row in connection.execute(query).mappings()]
