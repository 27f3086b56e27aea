"""Repository for fetch state: each fetcher's cursor and the outcome of its last run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db import dialect
from paperfeed.db.tables import fetch_state


@dataclass(slots=True)
class FetchState:
    source: str
    cursor: dict
    last_run_at: datetime | None = None
    last_outcome: str | None = None
    last_message: str | None = None
    last_counts: dict | None = None


def get_state(connection: sa.Connection, source: str) -> FetchState:
    """The stored state of ``source``, or an empty one."""
    row = connection.execute(sa.select(fetch_state).where(fetch_state.c.source == source)).mappings().first()
    return _state(row) if row else FetchState(source, {})


def all_states(connection: sa.Connection) -> list[FetchState]:
    rows = connection.execute(sa.select(fetch_state).order_by(fetch_state.c.source)).mappings()
    return [_state(row) for row in rows]


def save_cursor(connection: sa.Connection, source: str, cursor: dict, *, now: datetime) -> None:
    """Store the cursor (in the caller's transaction, with the papers it covers)."""
    dialect.upsert(connection, fetch_state, [{"source": source, "cursor": cursor, "updated_at": now}],
                   key=["source"])  # the run columns are left as they are


def record_run(connection: sa.Connection, source: str, *, outcome: str, message: str, counts: dict,
               now: datetime) -> None:
    """Remember how the run that just ended went."""
    row = {"source": source, "cursor": get_state(connection, source).cursor, "last_run_at": now, "last_outcome": outcome,
           "last_message": message, "last_counts": counts, "updated_at": now}
    dialect.upsert(connection, fetch_state, [row], key=["source"])


def _state(row) -> FetchState:
    return FetchState(row["source"], row["cursor"] or {}, _aware(row["last_run_at"]), row["last_outcome"],
                      row["last_message"], row["last_counts"])


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
