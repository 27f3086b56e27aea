"""Repository for job runs: claiming a (job, period), finishing it, taking over a dead worker's claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from paperfeed.db import dialect
from paperfeed.db.tables import job_runs


@dataclass(slots=True)
class JobRun:
    job: str
    period: str
    status: str
    worker: str
    attempts: int
    started_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None
    message: str | None


def claim(connection: sa.Connection, job: str, period: str, *, worker: str, now: datetime,
          stale_after: timedelta, retry_failed_after: timedelta) -> bool:
    """Claim ``(job, period)`` for ``worker``: True if this worker now owns it.

    A new claim is an INSERT that does nothing when the row exists (one winner,
    whatever the number of workers). A ``running`` claim whose heartbeat is older
    than ``stale_after`` (its worker died), or a ``failed`` one older than
    ``retry_failed_after``, is taken over by a conditional UPDATE, which only one
    worker can win either.
    """
    row = {"job": job, "period": period, "status": "running", "worker": worker, "attempts": 1,
           "started_at": now, "heartbeat_at": now, "finished_at": None, "message": None}
    if dialect.insert_one_if_absent(connection, job_runs, row):
        return True
    takeover = (job_runs.update()
                .where(job_runs.c.job == job, job_runs.c.period == period,
                       sa.or_(sa.and_(job_runs.c.status == "failed", job_runs.c.heartbeat_at < now - retry_failed_after),
                              sa.and_(job_runs.c.status == "running", job_runs.c.heartbeat_at < now - stale_after)))
                .values(status="running", worker=worker, attempts=job_runs.c.attempts + 1, started_at=now,
                        heartbeat_at=now, finished_at=None, message=None))
    return connection.execute(takeover).rowcount == 1


def heartbeat(connection: sa.Connection, job: str, period: str, *, worker: str, now: datetime) -> None:
    connection.execute(job_runs.update().where(job_runs.c.job == job, job_runs.c.period == period,
                                               job_runs.c.worker == worker).values(heartbeat_at=now))


def finish(connection: sa.Connection, job: str, period: str, *, worker: str, status: str, message: str,
           now: datetime) -> None:
    connection.execute(job_runs.update().where(job_runs.c.job == job, job_runs.c.period == period,
                                               job_runs.c.worker == worker)
                       .values(status=status, finished_at=now, heartbeat_at=now, message=message[:4000]))


def recent_runs(connection: sa.Connection, *, limit: int = 50) -> list[JobRun]:
    query = sa.select(job_runs).order_by(job_runs.c.started_at.desc()).limit(limit)
    return [JobRun(**{key: _aware(value) for key, value in row.items()}) for row in connection.execute(query).mappings()]


def _aware(value):
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value
