"""Repository for instance facts: small key/value records about this instance."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db import dialect
from paperfeed.db.tables import instance_facts


def get_fact(connection: sa.Connection, key: str) -> str | None:
    """The value stored under ``key``, or None."""
    query = sa.select(instance_facts.c.value).where(instance_facts.c.key == key)
    return connection.execute(query).scalar_one_or_none()


def set_fact(connection: sa.Connection, key: str, value: str) -> None:
    """Store ``value`` under ``key``, replacing any earlier value."""
    row = {"key": key, "value": value, "updated_at": datetime.now(UTC)}
    dialect.upsert(connection, instance_facts, [row], key=["key"])
