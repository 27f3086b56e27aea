"""Repository for the stored "similar papers" lists (:mod:`paperfeed.search.similar` decides
when one is computed and when it is stale)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from paperfeed.db import dialect
from paperfeed.db.tables import similar_papers

_IDS_PER_QUERY = 900  # below SQLite's host-parameter limit, as papers.get_papers


@dataclass(frozen=True, slots=True)
class StoredList:
    """A paper's stored list: the similar papers' ids, most similar first, and what it was computed against."""

    similar_ids: tuple[str, ...]
    index_stamp: int
    computed_at: datetime


def stored_list(connection: sa.Connection, paper_id: str) -> StoredList | None:
    """The list stored for ``paper_id``, or None when there is none."""
    query = (sa.select(similar_papers.c.similar_id, similar_papers.c.index_stamp, similar_papers.c.computed_at)
             .where(similar_papers.c.paper_id == paper_id).order_by(similar_papers.c.position))
    rows = connection.execute(query).all()
    if not rows:
        return None
    return StoredList(tuple(row.similar_id for row in rows), min(row.index_stamp for row in rows),
                      min(row.computed_at for row in rows))


def stamps_of(connection: sa.Connection, paper_ids: Sequence[str]) -> dict[str, int]:
    """The index stamp of each of these papers' stored lists (papers without one are left out)."""
    found: dict[str, int] = {}
    ids = list(dict.fromkeys(paper_ids))
    for start in range(0, len(ids), _IDS_PER_QUERY):
        query = (sa.select(similar_papers.c.paper_id, sa.func.min(similar_papers.c.index_stamp))
                 .where(similar_papers.c.paper_id.in_(ids[start : start + _IDS_PER_QUERY]))
                 .group_by(similar_papers.c.paper_id))
        found.update({paper_id: stamp for paper_id, stamp in connection.execute(query)})
    return found


def replace_list(connection: sa.Connection, paper_id: str, similar_ids: Sequence[str], *, index_stamp: int,
                 computed_at: datetime) -> None:
    """Store ``similar_ids`` as ``paper_id``'s list, in place of any earlier one (an empty list removes it).

    Idempotent, and safe when two processes (two nodes) store the same paper's list at once: the
    rows are upserted by (paper_id, position) in ascending position, then the positions past the
    new list's end are deleted, so on PostgreSQL both writers take the row locks in one order (the
    second waits for the first; no deadlock, no duplicate key) and the last to commit wins; SQLite
    runs write transactions one after the other. Callers storing several lists in one transaction
    store them in paper id order, for the same reason."""
    rows = [{"paper_id": paper_id, "position": position, "similar_id": similar_id, "index_stamp": index_stamp,
             "computed_at": computed_at} for position, similar_id in enumerate(similar_ids)]
    dialect.upsert(connection, similar_papers, rows, key=["paper_id", "position"])
    connection.execute(similar_papers.delete().where(similar_papers.c.paper_id == paper_id,
                                                     similar_papers.c.position >= len(rows)))
