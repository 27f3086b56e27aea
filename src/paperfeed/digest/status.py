"""What `paperfeed digest status` and /admin show: subscribers by state and the last runs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from paperfeed.db import digests as repo
from paperfeed.db import subscriptions as subscriptions_repo


@dataclass(frozen=True, slots=True)
class DigestStatus:
    subscribers: dict[str, int]  # active, unconfirmed, unsubscribed, bounced
    runs: list[dict]

    def subscribers_line(self) -> str:
        return ", ".join(f"{self.subscribers.get(state, 0)} {state}"
                         for state in ("active", "unconfirmed", "unsubscribed", "bounced"))


def digest_status(engine: sa.Engine, *, runs: int = 20) -> DigestStatus:
    with engine.connect() as connection:
        states = Counter(row.state for row in subscriptions_repo.every(connection))
        return DigestStatus(dict(states), repo.recent_runs(connection, limit=runs))
