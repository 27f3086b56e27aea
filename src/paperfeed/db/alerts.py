"""Repository for saved searches (alerts) and the papers each one found."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from paperfeed.db import dialect
from paperfeed.db.tables import alert_hits, saved_searches


def of_member(connection: sa.Connection, user_id: int) -> list[dict]:
    query = sa.select(saved_searches).where(saved_searches.c.user_id == user_id).order_by(saved_searches.c.id)
    return [dict(row) for row in connection.execute(query).mappings()]


def count_of_member(connection: sa.Connection, user_id: int) -> int:
    query = sa.select(sa.func.count()).select_from(saved_searches).where(saved_searches.c.user_id == user_id)
    return connection.execute(query).scalar_one()


def insert(connection: sa.Connection, **values) -> int:
    return connection.execute(saved_searches.insert().values(**values)).inserted_primary_key[0]


def delete(connection: sa.Connection, alert_id: int, user_id: int) -> bool:
    result = connection.execute(saved_searches.delete().where(saved_searches.c.id == alert_id,
                                                              saved_searches.c.user_id == user_id))
    return result.rowcount == 1


def immediate(connection: sa.Connection) -> list[dict]:
    """Alerts delivered at once (by email or webhook)."""
    query = sa.select(saved_searches).where(saved_searches.c.delivery.in_(("email", "webhook")))
    return [dict(row) for row in connection.execute(query.order_by(saved_searches.c.id)).mappings()]


def record_hits(connection: sa.Connection, alert_id: int, paper_ids: list[str], *, now: datetime) -> None:
    for paper_id in paper_ids:
        dialect.insert_one_if_absent(connection, alert_hits, {"saved_search_id": alert_id, "paper_id": paper_id,
                                                              "found_at": now})


def undelivered(connection: sa.Connection, alert_id: int, *, limit: int = 100) -> list[str]:
    query = (sa.select(alert_hits.c.paper_id).where(alert_hits.c.saved_search_id == alert_id,
                                                    alert_hits.c.delivered_at.is_(None))
             .order_by(alert_hits.c.found_at, alert_hits.c.paper_id).limit(limit))
    return list(connection.execute(query).scalars())


def mark_delivered(connection: sa.Connection, alert_id: int, paper_ids: list[str], *, now: datetime) -> None:
    connection.execute(alert_hits.update().where(alert_hits.c.saved_search_id == alert_id,
                                                 alert_hits.c.paper_id.in_(paper_ids)).values(delivered_at=now))


def set_checked(connection: sa.Connection, alert_id: int, *, now: datetime) -> None:
    connection.execute(saved_searches.update().where(saved_searches.c.id == alert_id).values(checked_at=now))
