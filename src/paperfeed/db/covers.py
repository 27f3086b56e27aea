"""Which listed papers may have a cover made from their arXiv PDF (the covers themselves are files
under the data directory: :mod:`paperfeed.catalog.covers`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from paperfeed.db.tables import listings


def listed_arxiv_ids(connection: sa.Connection, *, listed_since: datetime | None = None) -> list[str]:
    """The ids of the listed arXiv papers (ids without ``source:``), latest listing day first;
    with ``listed_since``, only those whose listing was made at or after that moment."""
    query = (sa.select(listings.c.paper_id).where(~listings.c.paper_id.contains(":"))
             .order_by(listings.c.listed_on.desc(), listings.c.paper_id))
    if listed_since is not None:
        query = query.where(listings.c.created_at >= listed_since)
    return list(connection.execute(query).scalars())
