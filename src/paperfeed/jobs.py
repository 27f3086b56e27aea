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

At every check a worker also draws the covers of the papers listed lately that
have none (:func:`run_cover_job`: their PDFs' first pages, fetched at arXiv's
pace, each batch claimed like a daily job), delivers saved-search alerts and
sends the digests that are due (:func:`send_due_mail`); those claim each
delivery themselves (:mod:`paperfeed.digest.deliver`), so any number of
workers may run them at once.
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
COVERS_JOB = "covers"
COVERS_PER_CHECK = 100
COVERS_SLOT_MINUTES = 10
# A batch takes no new paper after this; one PDF's retries take 3 minutes at worst, so a batch
# ends within its ten minutes and the next slot's never meets it.
COVERS_TIME_BUDGET_S = 5 * 60.0

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
        outcome = _run_claimed(engine, job, period, worker=worker, clock=clock,
                               work=lambda job=job: runner(job, settings, engine))
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _run_claimed(engine: sa.Engine, job: str, period: str, *, worker: str, clock: Clock,
                 work: Callable[[], str]) -> JobOutcome | None:
    """Run ``work`` if this worker wins the claim of ``(job, period)``, with a heartbeat, and record
    how it went; None when another worker has it (or had it, and finished)."""
    with write_transaction(engine) as connection:
        won = job_runs.claim(connection, job, period, worker=worker, now=clock(), stale_after=STALE_AFTER,
                             retry_failed_after=RETRY_FAILED_AFTER)
    if not won:
        return None
    log.info("%s runs %s for %s", worker, job, period)
    try:
        with Heartbeat(_job_heartbeat(engine, job, period, worker, clock), every_s=HEARTBEAT_EVERY_S,
                       name=f"heartbeat-{job}"):
            message = work()
        status = "failed" if message.startswith("failed") else "done"
    except Exception as error:  # a job's failure is recorded and retried later, never fatal to the worker
        log.exception("%s failed", job)
        status, message = "failed", f"failed: {type(error).__name__}: {error}"
    with write_transaction(engine) as connection:
        job_runs.finish(connection, job, period, worker=worker, status=status, message=message, now=clock())
    count(metrics().jobs.labels(job, status).inc)
    return JobOutcome(job, period, status, message)


def run_job(job: str, settings: Settings, engine: sa.Engine) -> str:
    """Run one job now; returns a one-line summary (starting with "failed" when it stopped early)."""
    from paperfeed.ingest.fetch import fetch_source
    from paperfeed.search import refresh_indexes

    source = next((source for source, name in JOB_NAMES.items() if name == job), None)
    if source is None:
        raise ConfigError(f"unknown job {job!r}")
    report = fetch_source(engine, settings, source)
    if report.changed_anything:
        refresh_indexes(engine, settings)
    return report.summary()  # a failed fetch's starts with "failed: "


def run_cover_job(engine: sa.Engine, settings: Settings, *, clock: Clock = lambda: datetime.now(UTC),
                  worker: str | None = None) -> JobOutcome | None:
    """Draw the covers of the papers listed lately that have none (:func:`paperfeed.catalog.covers.covers_due`),
    at arXiv's pace. One worker at a time does it: the batch is claimed like a daily job, for
    the ten minutes of the clock it starts in (``2026-08-22T06:10``), and takes new papers for
    COVERS_TIME_BUDGET_S at most, so two batches never overlap and no PDF is fetched twice.
    None when there was nothing to draw or another worker has this slot."""
    from paperfeed.catalog.covers import CoverStore, arxiv_pdf_client, covers_due, make_covers

    store = CoverStore(settings.data_dir)
    now = clock()
    with engine.connect() as connection:
        due = covers_due(connection, store, now=now, limit=COVERS_PER_CHECK)
    if not due:
        return None

    def work() -> str:
        with arxiv_pdf_client(settings) as client:
            report = make_covers(store, client, due, pdf_url=settings.arxiv_pdf_url, now=clock,
                                 time_budget_s=COVERS_TIME_BUDGET_S)
        failures = "; ".join(f"{paper_id}: {reason}" for paper_id, reason in report.failures)
        return report.summary() + (f" ({failures})" if failures else "")

    utc = now.astimezone(UTC)
    slot = utc.replace(minute=utc.minute - utc.minute % COVERS_SLOT_MINUTES, second=0, microsecond=0)
    return _run_claimed(engine, COVERS_JOB, f"{slot:%Y-%m-%dT%H:%M}", worker=worker or worker_name(),
                        clock=clock, work=work)


def run_worker(engine: sa.Engine, settings: Settings, *, stop: threading.Event, poll_s: float = POLL_EVERY_S,
               clock: Clock = lambda: datetime.now(UTC)) -> None:
    """Check for due jobs every ``poll_s`` seconds until ``stop`` is set."""
    worker = worker_name()
    log.info("worker %s started; daily fetches at %s UTC", worker, settings.fetch_time)
    while not stop.is_set():
        try:
            run_due_jobs(engine, settings, clock=clock, worker=worker)
            run_cover_job(engine, settings, clock=clock, worker=worker)
            send_due_mail(engine, settings, clock=clock)
        except Exception:  # the database was away, say: log and try again at the next poll
            log.exception("checking for due jobs failed")
        stop.wait(poll_s)


def send_due_mail(engine: sa.Engine, settings: Settings, *, clock: Clock = lambda: datetime.now(UTC)) -> list[str]:
    """Deliver new alert matches and the digests that are due; returns a line about each."""
    from paperfeed.digest.alerts import run_alerts
    from paperfeed.digest.deliver import send_digests
    from paperfeed.search import stored_vectors_of

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
