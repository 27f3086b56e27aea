"""The few statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def upsert(connection: sa.Connection, table: sa.Table, rows: Sequence[dict], *, key: Sequence[str]) -> None:
    """INSERT rows, updating the non-key columns of rows whose ``key`` already exists.

    ``INSERT ... ON CONFLICT (key) DO UPDATE`` exists in both SQLite (3.24+) and
    PostgreSQL, but SQLAlchemy builds it through each dialect's own ``insert``.
    """
    if not rows:
        return
    insert = _dialect_insert(connection)(table)
    updated = {name: insert.excluded[name] for name in rows[0] if name not in key}
    statement = insert.on_conflict_do_update(index_elements=list(key), set_=updated)
    connection.execute(statement, list(rows))


def insert_ignoring_duplicates(connection: sa.Connection, table: sa.Table, rows: Sequence[dict]) -> None:
    """INSERT rows, silently skipping any whose primary key already exists."""
    if not rows:
        return
    statement = _dialect_insert(connection)(table).on_conflict_do_nothing()
    connection.execute(statement, list(rows))


def _dialect_insert(connection: sa.Connection):
    name = connection.dialect.name
    if name == "sqlite":
        return sqlite.insert
    if name == "postgresql":
        return postgresql.insert
    raise NotImplementedError(f"paperfeed supports SQLite and PostgreSQL, not {name}")


def insert_one_if_absent(connection: sa.Connection, table: sa.Table, row: dict) -> bool:
    """INSERT one row unless its primary key exists; True if it was inserted (``ON CONFLICT DO
    NOTHING RETURNING`` returns the row only when it was inserted, on SQLite 3.35+ and PostgreSQL)."""
    key = list(table.primary_key.columns)[0]
    statement = _dialect_insert(connection)(table).values(**row).on_conflict_do_nothing().returning(key)
    return connection.execute(statement).first() is not None
