"""Members' upvotes: one per member and paper, undo allowed. They count in the daily ordering and
in trending (``votes`` in :mod:`paperfeed.ranking`) together with imported upvotes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from paperfeed.db import votes as votes_repo
from paperfeed.db.engine import write_transaction
from paperfeed.errors import NotFound


def set_vote(engine: sa.Engine, user_id: int, paper_id: str, *, up: bool, now: datetime) -> tuple[int, bool]:
    """Upvote (``up``) or undo; returns the paper's upvotes and whether the member now upvotes it.
    Repeating either changes nothing."""
    with write_transaction(engine) as connection:
        before = votes_repo.upvotes_of(connection, paper_id)
        if before is None:
            raise NotFound(f"no paper {paper_id}")
        if up:
            after = votes_repo.add_vote(connection, user_id, paper_id, now=now)
        else:
            after = votes_repo.remove_vote(connection, user_id, paper_id)
        return (before if after is None else after), up


def voted_among(connection: sa.Connection, user_id: int, paper_ids: list[str]) -> set[str]:
    """Which of ``paper_ids`` the member upvoted (one query, for a page of cards)."""
    return votes_repo.voted_among(connection, user_id, paper_ids)
