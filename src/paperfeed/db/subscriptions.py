"""Repository for digest subscriptions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from paperfeed.db.tables import subscriptions


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    id: int
    email: str
    user_id: int | None
    frequency: str
    send_hour: int
    timezone: str
    content: str
    top_count: int
    personal_count: int
    keywords: str
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    bounced_at: datetime | None
    bounce_reason: str | None
    link_secret: str | None = None  # inside its signed links; None for subscriptions older than migration 0015

    @property
    def active(self) -> bool:
        """Confirmed, not unsubscribed, not bounced: digests go out to it."""
        return self.confirmed_at is not None and self.unsubscribed_at is None and self.bounced_at is None

    @property
    def state(self) -> str:
        if self.unsubscribed_at is not None:
            return "unsubscribed"
        if self.bounced_at is not None:
            return "bounced"
        return "active" if self.confirmed_at is not None else "unconfirmed"


def _row(row) -> SubscriptionRow:
    return SubscriptionRow(**{name: row[name] for name in SubscriptionRow.__dataclass_fields__})


def get(connection: sa.Connection, subscription_id: int) -> SubscriptionRow | None:
    row = connection.execute(sa.select(subscriptions).where(subscriptions.c.id == subscription_id)).mappings().first()
    return _row(row) if row else None


def find_by_email(connection: sa.Connection, email: str) -> SubscriptionRow | None:
    row = connection.execute(sa.select(subscriptions).where(subscriptions.c.email == email.lower())).mappings().first()
    return _row(row) if row else None


def find_by_user(connection: sa.Connection, user_id: int) -> SubscriptionRow | None:
    row = connection.execute(sa.select(subscriptions).where(subscriptions.c.user_id == user_id)).mappings().first()
    return _row(row) if row else None


def insert(connection: sa.Connection, **values) -> int:
    """Insert a subscription (with a fresh random ``link_secret``); returns its id."""
    values.setdefault("link_secret", secrets.token_urlsafe(16))
    return connection.execute(subscriptions.insert().values(**values)).inserted_primary_key[0]


def update(connection: sa.Connection, subscription_id: int, **values) -> None:
    connection.execute(subscriptions.update().where(subscriptions.c.id == subscription_id).values(**values))


def active(connection: sa.Connection, *, frequency: str | None = None) -> list[SubscriptionRow]:
    """Every subscription digests go out to (optionally of one frequency), by id."""
    query = sa.select(subscriptions).where(subscriptions.c.confirmed_at.is_not(None),
                                           subscriptions.c.unsubscribed_at.is_(None),
                                           subscriptions.c.bounced_at.is_(None))
    if frequency:
        query = query.where(subscriptions.c.frequency == frequency)
    return [_row(row) for row in connection.execute(query.order_by(subscriptions.c.id)).mappings()]


def every(connection: sa.Connection) -> list[SubscriptionRow]:
    return [_row(row) for row in connection.execute(sa.select(subscriptions).order_by(subscriptions.c.id)).mappings()]
