"""Sending the digests, exactly once per subscriber and period.

For each (subscription, period) a row in ``digest_deliveries`` is claimed
(committed) before the SMTP transaction and moved on after it:

1. ``sending``: claimed by this run (an INSERT only one run can win);
2. the message is sent with ``MAIL``, ``RCPT`` and ``DATA``, all but the
   final ``<CRLF>.<CRLF>``;
3. ``final`` is committed, then the terminating dot is sent: the server
   accepts the message only on that dot (RFC 5321 §4.1.1.4);
4. ``sent`` on the server's 250 (``bounced`` on 5xx, ``failed`` on 4xx or a
   lost connection: tried again by the next run, up to ``MAX_ATTEMPTS``).

A run killed at any point leaves either ``sending`` (the server has not
accepted the message: the next run takes the claim over and sends it) or
``final``/``sent`` (the server got the dot, or was about to: it is not sent
again). The only moment left to chance is between the COMMIT of ``final`` returning and
writing the dot to the socket, a few microseconds, resolved as "sent".

A run's liveness is its heartbeat in ``digest_runs``: another run takes over
a ``sending`` claim when its run finished, stopped beating for
``STALE_AFTER``, or (same machine) its process is gone.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.errors import ConfigError
from paperfeed.db import digests as repo
from paperfeed.db import subscriptions as subscriptions_repo
from paperfeed.db.engine import write_transaction
from paperfeed.digest import periods
from paperfeed.digest.mail import Bounce, ServerUnavailable, SmtpSender, TemporaryFailure, envelope_address
from paperfeed.digest.periods import DigestPeriod
from paperfeed.digest.render import DigestRenderer, RenderedDigest
from paperfeed.digest.select import Selector, VectorsOf
from paperfeed.observability import count, metrics
from paperfeed.workers import Heartbeat, died_here, worker_name
from paperfeed.digest.subscriptions import mark_bounced

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
STALE_AFTER = timedelta(seconds=90)
HEARTBEAT_EVERY_S = 10.0
BATCH = 2_000  # subscriptions selected and rendered at a time

Clock = Callable[[], datetime]


@dataclass
class RunReport:
    run_id: str
    counts: dict[str, int] = field(default_factory=lambda: {"sent": 0, "failed": 0, "bounced": 0, "skipped": 0,
                                                             "written": 0})
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        shown = {name: count for name, count in self.counts.items() if count or name in ("sent", "failed")}
        return ", ".join(f"{count} {name}" for name, count in shown.items())


# --- runs -------------------------------------------------------------------------------------------


def send_digests(engine: sa.Engine, settings: Settings, *, vectors_of: VectorsOf, secret: str,
                 period: DigestPeriod | None = None, dry_run: Path | None = None, clock: Clock | None = None,
                 sender: SmtpSender | None = None, progress: Callable[[int], None] | None = None) -> RunReport:
    """Send every due digest (or, with ``period``, that period's digest to every active subscriber
    of its frequency); with ``dry_run``, write them as .eml files there instead, recording nothing."""
    if dry_run is None and (problem := settings.loopback_links()):
        raise ConfigError(f"not sending the digests: {problem} (`paperfeed digest send --dry-run DIR` writes "
                          "them to files instead)")
    clock = clock or (lambda: datetime.now(UTC))
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    report = RunReport(run_id)
    worker = worker_name()
    renderer = DigestRenderer(settings, secret)
    if dry_run is not None:
        dry_run.mkdir(parents=True, exist_ok=True)
    else:
        with write_transaction(engine) as connection:
            repo.start_run(connection, run_id, worker=worker, what=period.key if period else "due", now=clock())
    beating = (Heartbeat(_run_heartbeat(engine, run_id, report, clock), every_s=HEARTBEAT_EVERY_S,
                         name="digest-heartbeat") if dry_run is None else nullcontext())
    sender = sender or (SmtpSender(settings) if dry_run is None else None)
    message = "done"
    try:
        with beating:
            for due_period, group in _due_groups(engine, period, clock()):
                _send_period(engine, settings, renderer, due_period, group, vectors_of=vectors_of, run_id=run_id,
                             report=report, dry_run=dry_run, clock=clock, sender=sender, progress=progress)
    except TemporaryFailure as error:  # the server is away: stop here, the next run goes on
        message = f"stopped: {error}"
        report.problems.append(str(error))
    finally:
        if sender is not None:
            sender.close()
        if dry_run is None:
            with write_transaction(engine) as connection:
                repo.finish_run(connection, run_id, now=clock(), counts=report.counts, message=message)
    return report


def _due_groups(engine: sa.Engine, period: DigestPeriod | None, now: datetime):
    """(period, subscriptions) pairs to send, without those already out."""
    with engine.connect() as connection:
        active = subscriptions_repo.active(connection, frequency=period.kind if period else None)
        groups: dict[str, tuple[DigestPeriod, list]] = {}
        for subscription in active:
            wanted = period or periods.due(subscription.frequency, subscription.send_hour, subscription.timezone, now)
            if wanted is not None:
                groups.setdefault(wanted.key, (wanted, []))[1].append(subscription)
        for key, (wanted, group) in groups.items():
            finished = repo.finished_subscriptions(connection, key)
            yield wanted, [subscription for subscription in group if subscription.id not in finished]


def _send_period(engine, settings, renderer, period, group, *, vectors_of, run_id, report, dry_run, clock, sender,
                 progress) -> None:
    if not group:
        return
    with engine.connect() as connection:
        selector = Selector(connection, period, vectors_of)
    for start in range(0, len(group), BATCH):
        batch = group[start:start + BATCH]
        with engine.connect() as connection:
            contents = list(selector.contents(connection, batch))
        for content in contents:
            if dry_run is not None:
                if content.paper_count:
                    rendered = renderer.render(content)
                    name = f"{content.subscription.id:07d}-{period.key.replace(':', '-')}.eml"
                    (dry_run / name).write_bytes(renderer.message(rendered, now=clock()).as_bytes())
                    report.counts["written"] += 1
                else:
                    report.counts["skipped"] += 1
            else:
                _deliver_one(engine, settings, renderer, content, run_id=run_id, report=report, clock=clock,
                             sender=sender)
            if progress:
                progress(1)


def _deliver_one(engine, settings, renderer, content, *, run_id, report, clock, sender) -> None:
    subscription, key = content.subscription, content.period.key
    with write_transaction(engine) as connection:
        if not repo.claim(connection, subscription.id, key, run_id=run_id, now=clock(),
                          is_dead=lambda other: _run_is_dead(connection, other, clock()), max_attempts=MAX_ATTEMPTS):
            return
    if not content.paper_count:
        _finish(engine, subscription.id, key, run_id, "skipped", clock, report, papers=0)
        return
    rendered: RenderedDigest = renderer.render(content)
    data = renderer.message(rendered, now=clock()).as_bytes()

    with ExitStack() as after_the_dot:
        def commit_final() -> None:
            # The dot follows the COMMIT's return at once: the connection goes back to the pool (and
            # out of the one window left to chance) after the send.
            connection = after_the_dot.enter_context(engine.connect())
            with connection.execution_options(sqlite_begin="IMMEDIATE").begin():
                repo.set_status(connection, subscription.id, key, run_id=run_id, status="final", now=clock(),
                                papers=rendered.papers)

        try:
            sender.send(envelope_address(settings.mail_from), subscription.email, data, commit_final)
        except Bounce as error:
            _finish(engine, subscription.id, key, run_id, "bounced", clock, report, error=str(error))
            mark_bounced(engine, subscription.id, str(error), now=clock())
            return
        except ServerUnavailable:  # no SMTP session began: the claim is given back, no attempt used up
            with write_transaction(engine) as connection:
                repo.release(connection, subscription.id, key, run_id=run_id)
            raise
        except TemporaryFailure as error:
            _finish(engine, subscription.id, key, run_id, "failed", clock, report, error=str(error))
            return
    _finish(engine, subscription.id, key, run_id, "sent", clock, report, papers=rendered.papers)


def _finish(engine, subscription_id, key, run_id, status, clock, report, *, papers=0, error=None) -> None:
    with write_transaction(engine) as connection:
        repo.set_status(connection, subscription_id, key, run_id=run_id, status=status, now=clock(), papers=papers,
                        error=error)
    report.counts[status] += 1
    count(metrics().emails.labels("digest", status).inc)


def _run_is_dead(connection: sa.Connection, run_id: str, now: datetime) -> bool:
    run = repo.get_run(connection, run_id)
    if run is None or run["finished_at"] is not None:
        return True
    beat = run["heartbeat_at"] if run["heartbeat_at"].tzinfo else run["heartbeat_at"].replace(tzinfo=UTC)
    if now - beat > STALE_AFTER:
        return True
    return died_here(run["worker"])


def _run_heartbeat(engine: sa.Engine, run_id: str, report: RunReport, clock: Clock) -> Callable[[], None]:
    def beat() -> None:
        with write_transaction(engine) as connection:
            repo.heartbeat(connection, run_id, now=clock(), counts=dict(report.counts))

    return beat
