"""Moving an instance from one database to another (``paperfeed migrate-db``), typically a
single machine's SQLite file to PostgreSQL.

Both databases are migrated to the latest schema first. Every table of the
schema is copied in foreign-key order, in batches, from one read transaction
(SQLite in WAL mode gives it a consistent snapshot while the site keeps
running); PostgreSQL's id sequences are moved past the copied ids; then the
rows of every table are counted on both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.engine import migrate
from paperfeed.db.tables import metadata
from paperfeed.errors import TransferError

BATCH = 5_000


@dataclass(frozen=True, slots=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


# Every table but site_state: each database keeps its own generation (it only tells caches when
# that database's data changed).
COPIED = [table for table in metadata.sorted_tables if table.name != "site_state"]


def transfer(source: sa.Engine, target: sa.Engine, *, progress: Callable[[str, int], None] | None = None,
             ) -> list[TableCount]:
    """Copy every row from ``source`` to the empty ``target``; returns the counts, checked."""
    migrate(source)
    migrate(target)
    with target.connect() as connection:
        filled = [table.name for table in COPIED
                  if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()]
    if filled:
        raise TransferError(f"the target database is not empty ({', '.join(filled)} hold rows): "
                            "give an empty database")
    with source.connect() as reading, reading.begin(), target.begin() as writing:
        for table in COPIED:
            # in key order: a reply comes after the comment it answers
            result = reading.execution_options(yield_per=BATCH).execute(
                sa.select(table).order_by(*table.primary_key.columns))
            for rows in result.mappings().partitions(BATCH):
                writing.execute(table.insert(), [_portable(table, row) for row in rows])
                if progress:
                    progress(table.name, len(rows))
        if writing.dialect.name == "postgresql":
            _advance_sequences(writing)
    return verify(source, target)


def verify(source: sa.Engine, target: sa.Engine) -> list[TableCount]:
    counts = []
    with source.connect() as left, target.connect() as right:
        for table in COPIED:
            query = sa.select(sa.func.count()).select_from(table)
            counts.append(TableCount(table.name, left.execute(query).scalar_one(), right.execute(query).scalar_one()))
    bad = [count for count in counts if not count.ok]
    if bad:
        raise TransferError("the counts differ: " + ", ".join(f"{c.table} {c.source} → {c.target}" for c in bad))
    return counts


def _portable(table: sa.Table, row) -> dict:
    """SQLite keeps times without a zone (they are UTC): say so, for PostgreSQL's timestamptz."""
    values = dict(row)
    for column in table.columns:
        value = values.get(column.name)
        if isinstance(value, datetime) and value.tzinfo is None and getattr(column.type, "timezone", False):
            values[column.name] = value.replace(tzinfo=UTC)
    return values


def _advance_sequences(connection: sa.Connection) -> None:
    """Move each serial id's sequence past the copied ids, so new rows get new ids."""
    for table in COPIED:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and isinstance(column.type, sa.Integer)
                                                and len(table.primary_key.columns) == 1):
                sequence = connection.execute(sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                                              {"table": table.name, "column": column.name}).scalar()
                if sequence:
                    connection.execute(sa.text(
                        f"SELECT setval(:sequence, COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"),
                        {"sequence": sequence})
