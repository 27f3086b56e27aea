"""Scheduled work: the daily fetches from arXiv and Hugging Face, then alerts and email digests.

Each job runs once a day, at ``PAPERFEED_FETCH_TIME`` (UTC) or at the first
check after it, for the sources in ``PAPERFEED_SCHEDULED_FETCHES``. Workers
(``paperfeed worker`` on any number of machines, or the scheduler thread of
``paperfeed serve`` with ``PAPERFEED_SCHEDULER=true``) claim each (job, day)
through the database (:mod:`paperfeed.db.job_runs`), so it runs once however
many workers check. A running job's heartbeat is refreshed every minute; a
claim whose heartbeat is older than ``STALE_AFTER`` (its worker died) is
taken over by another worker, and a failed run is retried after
``RETRY_FAILED_AFTER``. Fetches resume from their cursors, so a job taken over
mid-way does not start again from scratch.

At every check a worker also delivers saved-search alerts and sends the
digests that are due (:func:`send_due_mail`); those claim each delivery
themselves (:mod:`paperfeed.digest.deliver`), so any number of workers may
run them at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from paperfeed.config import Settings, secret_key
from paperfeed.db import job_runs
from paperfeed.db.engine import write_transaction
from paperfeed.errors import ConfigError
from paperfeed.observability import count, metrics
from paperfeed.workers import Heartbeat, worker_name

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)
RETRY_FAILED_AFTER = timedelta(minutes=30)
HEARTBEAT_EVERY_S = 60.0
POLL_EVERY_S = 60.0
JOB_NAMES = {"arxiv": "fetch-arxiv", "hf": "fetch-hf"}

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class JobOutcome:
    job: str
    period: str
    status: str  # done | failed
    message: str


def due_jobs(settings: Settings, now: datetime) -> list[tuple[str, str]]:
    """``(job, period)`` pairs whose time has come today."""
    if now.astimezone(UTC).time() < settings.daily_fetch_time:
        return []
    day = now.astimezone(UTC).date().isoformat()
    return [(JOB_NAMES[source], day) for source in settings.scheduled_sources]


def run_due_jobs(engine: sa.Engine, settings: Settings, *, clock: Clock = lambda: datetime.now(UTC),
                 worker: str | None = None, runner: Callable[[str, Settings, sa.Engine], str] | None = None,
                 ) -> list[JobOutcome]:
    """Claim and run every job that is due and not done; returns what this worker ran."""
    worker = worker or worker_name()
    runner = runner or run_job
    outcomes = []
    for job, period in due_jobs(settings, clock()):
        with write_transaction(engine) as connection:
            won = job_runs.claim(connection, job, period, worker=worker, now=clock(), stale_after=STALE_AFTER,
                                 retry_failed_after=RETRY_FAILED_AFTER)
        if not won:
            continue
        log.info("%s runs %s for %s", worker, job, period)
        try:
            with Heartbeat(_job_heartbeat(engine, job, period, worker, clock), every_s=HEARTBEAT_EVERY_S,
                           name=f"heartbeat-{job}"):
                message = runner(job, settings, engine)
            status = "failed" if message.startswith("failed") else "done"
        except Exception as error:  # a job's failure is recorded and retried later, never fatal to the worker
            log.exception("%s failed", job)
            status, message = "failed", f"failed: {type(error).__name__}: {error}"
        with write_transaction(engine) as connection:
            job_runs.finish(connection, job, period, worker=worker, status=status, message=message, now=clock())
        count(metrics().jobs.labels(job, status).inc)
        outcomes.append(JobOutcome(job, period, status, message))
    return outcomes


def run_job(job: str, settings: Settings, engine: sa.Engine) -> str:
    """Run one job now; returns a one-line summary (starting with "failed" when it stopped early)."""
    from paperfeed.ingest.fetch import fetch_source
    from paperfeed.search.indexer import refresh_indexes

    source = next((source for source, name in JOB_NAMES.items() if name == job), None)
    if source is None:
        raise ConfigError(f"unknown job {job!r}")
    report = fetch_source(engine, settings, source)
    if report.changed_anything:
        refresh_indexes(engine, settings)
    return report.summary()  # a failed fetch's starts with "failed: "


def run_worker(engine: sa.Engine, settings: Settings, *, stop: threading.Event, poll_s: float = POLL_EVERY_S,
               clock: Clock = lambda: datetime.now(UTC)) -> None:
    """Check for due jobs every ``poll_s`` seconds until ``stop`` is set."""
    worker = worker_name()
    log.info("worker %s started; daily fetches at %s UTC", worker, settings.fetch_time)
    while not stop.is_set():
        try:
            run_due_jobs(engine, settings, clock=clock, worker=worker)
            send_due_mail(engine, settings, clock=clock)
        except Exception:  # the database was away, say: log and try again at the next poll
            log.exception("checking for due jobs failed")
        stop.wait(poll_s)


def send_due_mail(engine: sa.Engine, settings: Settings, *, clock: Clock = lambda: datetime.now(UTC)) -> list[str]:
    """Deliver new alert matches and the digests that are due; returns a line about each."""
    from paperfeed.digest.alerts import run_alerts
    from paperfeed.digest.deliver import send_digests
    from paperfeed.search.service import stored_vectors_of

    lines = []
    alerts = run_alerts(engine, settings, now=clock())
    if alerts.checked:
        lines.append(f"alerts: {alerts.summary()}")
    if not settings.smtp_host:
        return lines  # no mail server: digests wait (`paperfeed digest send --dry-run DIR` shows them)
    if problem := settings.loopback_links():
        return [*lines, f"digests: not sent: {problem}"]
    vectors_of = stored_vectors_of(settings.data_dir)
    report = send_digests(engine, settings, vectors_of=vectors_of, secret=secret_key(settings), clock=clock)
    if any(report.counts.values()) or report.problems:
        lines.append(f"digests: {report.summary()}" + (f" ({'; '.join(report.problems)})" if report.problems else ""))
    return lines


def _job_heartbeat(engine: sa.Engine, job: str, period: str, worker: str, clock: Clock) -> Callable[[], None]:
    def beat() -> None:
        with write_transaction(engine) as connection:
            job_runs.heartbeat(connection, job, period, worker=worker, now=clock())

    return beat
