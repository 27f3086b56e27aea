"""Repository for identities: (issuer, subject) pairs from OpenID Connect providers, linked to members."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from paperfeed.db.tables import user_identities


def user_id_of_identity(connection: sa.Connection, issuer: str, subject: str) -> int | None:
    """The member linked to (``issuer``, ``subject``), or None."""
    return connection.execute(sa.select(user_identities.c.user_id).where(
        user_identities.c.issuer == issuer, user_identities.c.subject == subject)).scalar()


def link_identity(connection: sa.Connection, user_id: int, *, issuer: str, subject: str, now: datetime) -> None:
    """Link (``issuer``, ``subject``) to the member."""
    connection.execute(user_identities.insert().values(issuer=issuer, subject=subject, user_id=user_id,
                                                       created_at=now))


def issuers_of(connection: sa.Connection, user_id: int) -> list[str]:
    """The issuers a member signs in with."""
    return list(connection.execute(sa.select(user_identities.c.issuer)
                                   .where(user_identities.c.user_id == user_id)).scalars())
