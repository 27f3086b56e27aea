"""Digest speed: select and render the digests of 100,000 subscribers over the 264k real papers,
then deliver to a local SMTP server (aiosmtpd).

    .venv/bin/python bench/digest_speed.py --write-doc
    .venv/bin/python bench/digest_speed.py --subscribers 10000      # a quicker look

The 264k-paper database is bench/pages.py's (built once from the corpora in PAPERFEED_BENCH_DATA),
copied so the members added here do not change the other benchmarks. Each
synthetic member follows 3 authors and 2 categories drawn from the period's
papers and upvoted 20 papers of the 90 days before it, and subscribes to the
daily digest (top 10 + 10 picks, a keyword for one in five). Paper vectors
are random unit vectors (the cost of scoring is the same as with real ones;
computing real ones for 264k papers takes 2 hours on 2 cores).

Measured in the same run: the vectorised selection and rendering of every
digest; the per-member path the /feed page uses (one member at a time, its
own queries), timed on a sample and scaled to all, as the baseline; then
delivery through the real claims and SMTP transactions to aiosmtpd, against
bare SMTP sends of the same messages.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402
from pages import DEFAULT_DATABASE, ensure_database  # noqa: E402
from search_speed_large import peak_rss_mib  # noqa: E402

from paperfeed.config import Settings  # noqa: E402
from paperfeed.db import subscriptions as subscriptions_repo  # noqa: E402
from paperfeed.db.engine import create_engine, migrate  # noqa: E402
from paperfeed.db.tables import follows, listings, papers, subscriptions, users, votes  # noqa: E402
from paperfeed.digest import periods  # noqa: E402
from paperfeed.digest.deliver import RunReport, _deliver_one  # noqa: E402
from paperfeed.digest.mail import SmtpSender  # noqa: E402
from paperfeed.digest.render import DigestRenderer  # noqa: E402
from paperfeed.digest.select import Selector  # noqa: E402
from paperfeed.community.follows import personal_feed  # noqa: E402

DIGEST_DB = benchlib.RESULTS_DIR / "digest.db"
DIMENSION = 384


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def random_vectors(ids) -> dict:
    """A unit vector per paper id, the same for the same id (seeded by its hash)."""
    found = {}
    for paper_id in ids:
        seed = int.from_bytes(hashlib.blake2b(paper_id.encode(), digest_size=8).digest(), "little")
        vector = np.random.default_rng(seed).standard_normal(DIMENSION).astype(np.float32)
        found[paper_id] = vector / np.linalg.norm(vector)
    return found


class CachedVectors:
    def __init__(self) -> None:
        self.cache: dict = {}

    def __call__(self, ids) -> dict:
        missing = [paper_id for paper_id in ids if paper_id not in self.cache]
        self.cache.update(random_vectors(missing))
        return {paper_id: self.cache[paper_id] for paper_id in ids}


def prepare(subscribers: int, seed: int = 0) -> tuple[sa.Engine, periods.DigestPeriod, dict]:
    ensure_database(DEFAULT_DATABASE, rebuild=False).dispose()
    if DIGEST_DB.exists():
        DIGEST_DB.unlink()
    _log(f"copying {DEFAULT_DATABASE.name} to {DIGEST_DB.name}")
    with sqlite3.connect(DEFAULT_DATABASE) as source, sqlite3.connect(DIGEST_DB) as target:
        source.backup(target)
    engine = create_engine(f"sqlite:///{DIGEST_DB}")
    migrate(engine)
    with engine.connect() as connection:  # the heaviest period: after the day arXiv announced the most papers
        busiest = connection.execute(sa.select(papers.c.published_on).where(papers.c.published_on.is_not(None))
                                     .group_by(papers.c.published_on).order_by(sa.func.count().desc())
                                     .limit(1)).scalar_one()
    issue = busiest + timedelta(days=1)
    while issue.weekday() >= 5:
        issue += timedelta(days=1)
    period = periods.daily(issue)
    rng = random.Random(seed)
    with engine.connect() as connection:
        period_papers = connection.execute(sa.select(papers.c.authors, papers.c.categories).where(
            papers.c.published_on.between(period.first_day, period.last_day)).limit(20_000)).all()
        listed = connection.execute(sa.select(papers.c.authors, papers.c.categories).join(
            listings, listings.c.paper_id == papers.c.id).where(
            listings.c.listed_on.between(period.first_day, period.last_day))).all()
        recent = list(connection.execute(sa.select(papers.c.id).where(
            papers.c.published_on.between(period.first_day - timedelta(days=90), period.first_day))).scalars())
    pool = period_papers + listed
    authors = sorted({name for row in pool for name in (row[0] or [])})
    categories = sorted({name for row in pool for name in (row[1] or [])})
    _log(f"period {period.key}: {len(pool)} papers, {len(authors)} authors; {len(recent)} papers to upvote from")
    now = datetime.now(UTC)
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(users.insert(), [{"id": 1_000_000 + n, "username": f"bench{n}", "email": f"bench{n}@example.org",
                                             "password_hash": "!", "role": "member", "created_at": now,
                                             "email_confirmed_at": now} for n in range(subscribers)])
        connection.execute(subscriptions.insert(), [{
            "email": f"bench{n}@example.org", "user_id": 1_000_000 + n, "frequency": "daily", "send_hour": 7,
            "timezone": "UTC", "content": "both", "top_count": 10, "personal_count": 10,
            "keywords": "language model" if n % 5 == 0 else "", "created_at": now, "confirmed_at": now}
            for n in range(subscribers)])
        rows = []
        for n in range(subscribers):
            for name in rng.sample(authors, min(3, len(authors))):
                rows.append({"user_id": 1_000_000 + n, "kind": "author", "value": name, "created_at": now})
            for name in rng.sample(categories, min(2, len(categories))):
                rows.append({"user_id": 1_000_000 + n, "kind": "category", "value": name, "created_at": now})
        connection.execute(follows.insert(), rows)
        rows = [{"user_id": 1_000_000 + n, "paper_id": paper_id, "created_at": now}
                for n in range(subscribers) for paper_id in rng.sample(recent, min(20, len(recent)))]
        connection.execute(votes.insert(), rows)
    facts = {"period": period.key, "covered days": f"{period.first_day} .. {period.last_day}",
             "authors to follow": f"{len(authors):,}", "votes": f"{subscribers * 20:,}",
             "setup seconds": f"{time.perf_counter() - started:.0f}"}
    return engine, period, facts


def select_and_render(engine, period, settings, vectors_of, subscribers) -> dict:
    with engine.connect() as connection:
        active = subscriptions_repo.active(connection)
    started = time.perf_counter()
    with engine.connect() as connection:
        selector = Selector(connection, period, vectors_of)
    built = time.perf_counter() - started
    renderer = DigestRenderer(settings, "bench-secret")
    picks = papers_out = 0
    selecting = rendering = 0.0
    size = 0
    for start in range(0, len(active), 2_000):
        batch = active[start:start + 2_000]
        t0 = time.perf_counter()
        with engine.connect() as connection:
            contents = list(selector.contents(connection, batch))
        t1 = time.perf_counter()
        for content in contents:
            rendered = renderer.render(content)
            size += len(rendered.html) + len(rendered.text)
            picks += len(content.picks)
            papers_out += content.paper_count
        selecting += t1 - t0
        rendering += time.perf_counter() - t1
    total = time.perf_counter() - started
    return {"digests": len(active), "candidates": len(selector.papers), "selector_s": built, "select_s": selecting,
            "render_s": rendering, "total_s": total, "picks_per_digest": picks / max(len(active), 1),
            "papers_per_digest": papers_out / max(len(active), 1), "kib_per_digest": size / 1024 / max(len(active), 1)}


def per_member_baseline(engine, vectors_of, sample: int, today) -> float:
    """Seconds per member through following.personal_feed (its own queries, one member at a time)."""
    with engine.connect() as connection:
        ids = list(connection.execute(sa.select(subscriptions.c.user_id).limit(sample)).scalars())
    started = time.perf_counter()
    with engine.connect() as connection:
        for user_id in ids:
            personal_feed(connection, user_id, vectors_of, today=today)
    return (time.perf_counter() - started) / len(ids)


def delivery(engine, period, settings, vectors_of, messages: int) -> dict:
    from tests.smtp_server import SmtpServer

    with engine.connect() as connection:
        active = subscriptions_repo.active(connection)[:messages]
        contents = list(Selector(connection, period, vectors_of).contents(connection, active))
    renderer = DigestRenderer(settings, "bench-secret")
    with SmtpServer() as server:
        smtp_settings = settings.model_copy(update=server.settings() | {"smtp_rate_per_s": 10_000})
        bare = SmtpSender(smtp_settings)
        datas = [renderer.message(renderer.render(content)).as_bytes() for content in contents]
        started = time.perf_counter()
        for content, data in zip(contents, datas):
            bare.send("bench@localhost", content.subscription.email, data, lambda: None)
        bare_s = time.perf_counter() - started
        bare.close()
        sender = SmtpSender(smtp_settings)
        report = RunReport("bench-delivery")
        from paperfeed.db import digests as repo
        from paperfeed.db.engine import write_transaction

        with write_transaction(engine) as connection:
            repo.start_run(connection, "bench-delivery", worker="bench:0", what=period.key, now=datetime.now(UTC))
        started = time.perf_counter()
        for content in contents:
            _deliver_one(engine, smtp_settings, renderer, content, run_id="bench-delivery", report=report,
                         clock=lambda: datetime.now(UTC), sender=sender)
        claimed_s = time.perf_counter() - started
        sender.close()
        received = len(server.messages)
    return {"messages": len(contents), "bare_per_s": len(contents) / bare_s, "claimed_per_s": len(contents) / claimed_s,
            "sent": report.counts["sent"], "received": received}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=300)
    parser.add_argument("--messages", type=int, default=2_000, help="digests delivered to aiosmtpd")
    parser.add_argument("--write-doc", action="store_true")
    arguments = parser.parse_args(argv)
    sys.path.insert(0, str(benchlib.REPO_ROOT))
    engine, period, facts = prepare(arguments.subscribers)
    settings = Settings(data_dir=DIGEST_DB.parent, base_url="https://papers.example.org",
                        mail_from="paperfeed <digest@papers.example.org>")
    vectors_of = CachedVectors()
    _log("selecting and rendering every digest")
    measured = select_and_render(engine, period, settings, vectors_of, arguments.subscribers)
    peak = peak_rss_mib()
    _log(f"  {measured}")
    per_member = per_member_baseline(engine, vectors_of, arguments.baseline_sample, period.last_day)
    _log(f"baseline: {per_member * 1000:.1f} ms per member")
    sent = delivery(engine, period, settings, vectors_of, arguments.messages)
    _log(f"delivery: {sent}")
    machine = benchlib.machine_line()
    scaled = per_member * measured["digests"]
    body = "\n".join([
        "## Digest selection, rendering and delivery (issue 6)",
        "",
        f"Command: `{benchlib.shown_command('bench/digest_speed.py', argv)}`  ",
        f"Machine: {machine}",
        "",
        benchlib.markdown_table(["fact", "value"], [(k, v) for k, v in facts.items()] + [
            ("subscribers (daily, top 10 + 10 picks)", f"{measured['digests']:,}"),
            ("candidate papers of the period", f"{measured['candidates']:,}"),
            ("papers per digest (mean)", f"{measured['papers_per_digest']:.1f}"),
            ("personal picks per digest (mean)", f"{measured['picks_per_digest']:.1f}"),
            ("HTML + text per digest", f"{measured['kib_per_digest']:.1f} KiB")]),
        "",
        benchlib.markdown_table(["measure", "result"], [
            ("select + render every digest (target < 120 s)", f"**{measured['total_s']:.1f} s**"),
            ("  of which loading the period's papers", f"{measured['selector_s']:.1f} s"),
            ("  of which selection (member signals + scoring)", f"{measured['select_s']:.1f} s"),
            ("  of which rendering (HTML + text)", f"{measured['render_s']:.1f} s"),
            ("baseline: the per-member path (/feed's personal_feed), scaled from "
             f"{arguments.baseline_sample} members", f"{scaled:.0f} s ({per_member * 1000:.1f} ms a member)"),
            ("ratio baseline / vectorised", f"{scaled / measured['total_s']:.1f}×"),
            ("peak memory (RSS) after selection and rendering", f"{peak:,.0f} MiB"),
            (f"delivery to aiosmtpd, {sent['messages']:,} digests, with claims (exactly once)",
             f"{sent['claimed_per_s']:.0f} messages/s"),
            ("  bare SMTP sends of the same messages (baseline)", f"{sent['bare_per_s']:.0f} messages/s"),
            ("  messages the server received (bare + claimed) / recorded sent",
             f"{sent['received']:,} / {sent['sent']:,}"),
        ]),
        "",
        "Paper vectors are random unit vectors (same cost as real ones). Delivery is one SMTP "
        "connection on 127.0.0.1; `PAPERFEED_SMTP_RATE_PER_S` (default 10) is what limits a real "
        "run, as a mail provider's quota does.",
    ])
    print(body)
    if arguments.write_doc:
        benchlib.write_doc_section("digest-speed", body)


if __name__ == "__main__":
    main()
