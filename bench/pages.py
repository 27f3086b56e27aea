"""Page and API latency with all 264,000 real papers loaded (SQLite, in process).

The database is built once with the library's ingest and cached as
bench/results/pages.db (git-ignored). Requests go through FastAPI's TestClient
round-robin over the routes, after a warm-up, so noise on the machine hits
every route alike; a static file measured in the same loop is the baseline.

    .venv/bin/python bench/pages.py                   # 200 timed requests per route
    .venv/bin/python bench/pages.py --requests 500 --write-doc
    .venv/bin/python bench/pages.py --sample --page-cache-mb 0   # the bundled sample, with vectors

``--sample`` times the bundled sample (10,630 papers) instead, with its search index and
precomputed vectors, so the paper page shows similar papers (the corpora's database has no
index: its paper page shows none). ``--page-cache-mb 0`` turns the page cache off: every request
renders, as every page does once after each write to the site (a vote, a new paper).

Target (issue 2): the daily page ``/`` and ``/api/daily_papers`` under 20 ms (median).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time as clock_time, timedelta
from pathlib import Path

import sqlalchemy as sa

with warnings.catch_warnings():
    # Starlette deprecates TestClient over httpx; the timings do not depend on it.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402  (a sibling module; bench/ is not a package)

from paperfeed.config import Settings  # noqa: E402
from paperfeed.db.engine import create_engine, migrate, schema_is_current  # noqa: E402
from paperfeed.db.tables import listings, papers  # noqa: E402
from paperfeed.ingest.files import ingest_files  # noqa: E402
from paperfeed.periods import week_period  # noqa: E402
from paperfeed.web.app import create_app  # noqa: E402

TARGET_MEDIAN_MS = 20.0
TARGET_ROUTES = ("daily page", "API, latest day")
BASELINE = "static file (baseline)"
# 263,901 records hold 259,559 distinct papers; a cached database with fewer is rebuilt.
EXPECTED_PAPERS = 259_000
DEFAULT_DATABASE = benchlib.RESULTS_DIR / "pages.db"
SAMPLE_DATABASE = benchlib.RESULTS_DIR / "sample" / "pages.db"  # its index beside, in sample/index
SAMPLE_PAPERS = 10_000


@dataclass(slots=True)
class RouteTiming:
    """Latencies of one route, in seconds."""

    name: str
    url: str
    seconds: list[float]
    response_bytes: int = 0


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per route (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per route first (default 20)")
    parser.add_argument("--database", type=Path, help=f"the cached SQLite database (default {DEFAULT_DATABASE}, "
                                                      f"with --sample {SAMPLE_DATABASE})")
    parser.add_argument("--sample", action="store_true",
                        help="the bundled sample with its search index and vectors, instead of the corpora")
    parser.add_argument("--page-cache-mb", type=int, help="PAPERFEED_PAGE_CACHE_MB (0: every request renders)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached database")
    parser.add_argument("--write-doc", action="store_true",
                        help="replace this benchmark's section of docs/benchmarks.md")
    return parser.parse_args(argv)


# --- the database ---------------------------------------------------------------------------


def ensure_database(path: Path, *, rebuild: bool) -> sa.Engine:
    """The cached database with all corpora, built (into a temporary file, then renamed) if missing."""
    if not rebuild and path.exists() and _paper_count(path) >= EXPECTED_PAPERS:
        return create_engine(f"sqlite:///{path}")
    benchlib.require_corpora(benchlib.CORPORA)
    partial = path.with_suffix(".building")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    _log(f"building {path} from {len(benchlib.CORPORA)} corpora (once; later runs reuse it)")
    engine = create_engine(f"sqlite:///{partial}")
    migrate(engine)
    report = ingest_files(engine, list(benchlib.CORPORA))
    _log(f"  {report.summary()}")
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    partial.replace(path)
    return create_engine(f"sqlite:///{path}")


def ensure_sample_database(path: Path, *, rebuild: bool) -> sa.Engine:
    """The bundled sample's database, loaded if missing, and its search index (keyword index and the
    sample's precomputed vectors) in the same folder, brought up to date."""
    from paperfeed.sample import load_sample
    from paperfeed.search.indexer import refresh_indexes

    if rebuild or (path.exists() and _paper_count(path) < SAMPLE_PAPERS):
        shutil.rmtree(path.parent, ignore_errors=True)
    engine = create_engine(f"sqlite:///{path}")
    migrate(engine)
    load_sample(engine)
    started = time.perf_counter()
    report = refresh_indexes(engine, _settings(path))
    _log(f"  {report.summary()} ({time.perf_counter() - started:.1f} s)")
    return engine


def _settings(database: Path, **fields) -> Settings:
    # Rate limits off: the benchmark asks far more than a member may (600 API requests a minute).
    return Settings(data_dir=database.parent, database_url=f"sqlite:///{database}", rate_limits=False, **fields)


def _paper_count(path: Path) -> int:
    """Papers in the cached database; 0 when its schema is not the latest migration (so it is rebuilt)."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        if not schema_is_current(engine):
            return 0
        with engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()
    except sa.exc.DBAPIError:
        return 0
    finally:
        engine.dispose()


def busiest_day(engine: sa.Engine) -> date:
    """The listing day with the most listings (the heaviest daily page)."""
    query = (sa.select(listings.c.listed_on).group_by(listings.c.listed_on)
             .order_by(sa.func.count().desc(), listings.c.listed_on.desc()).limit(1))
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


def latest_day(engine: sa.Engine) -> date:
    """The latest listing day: the benchmark's clock stands at its evening."""
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.max(listings.c.listed_on))).scalar_one()


def busiest_month(engine: sa.Engine) -> str:
    """The month (``YYYY-MM``) with the most listings: the most trending candidates."""
    month = sa.func.strftime("%Y-%m", listings.c.listed_on)
    query = sa.select(month).group_by(month).order_by(sa.func.count().desc(), month.desc()).limit(1)
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


def top_paper_of(engine: sa.Engine, day: date) -> str:
    """The most upvoted paper listed on ``day`` (a paper page with a listing)."""
    query = (sa.select(papers.c.id).join(listings, listings.c.paper_id == papers.c.id)
             .where(listings.c.listed_on == day).order_by(papers.c.upvotes.desc(), papers.c.id).limit(1))
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


# --- the routes and the timing loop ---------------------------------------------------------


def routes_to_time(*, busy_day: date, busy_month: str, paper_id: str) -> list[tuple[str, str]]:
    """(name, URL) of every measured route, the static baseline first.

    The last one is an extra (not in issue 2's list): trending over the busiest
    month ranks every listing of the month, the most work a listing URL can ask for.
    """
    week = week_period(busy_day).key
    return [
        (BASELINE, "/static/paperfeed.css"),
        ("daily page", "/"),
        ("day page, busiest day", f"/papers/date/{busy_day}"),
        ("week page, week of the busiest day", f"/papers/week/{week}"),
        ("trending page", "/papers/trending"),
        ("paper page, top paper of the busiest day", f"/papers/{paper_id}"),
        ("API, latest day", "/api/daily_papers"),
        ("API, busiest day", f"/api/daily_papers?date={busy_day}"),
        ("API, trending", "/api/daily_papers?sort=trending"),
        ("API, busiest month by trending (extra)", f"/api/daily_papers?month={busy_month}&sort=trending"),
    ]


def time_routes(client: TestClient, routes: list[tuple[str, str]], *, warmup: int, requests: int) -> list[RouteTiming]:
    """Request every route ``warmup + requests`` times, round-robin; keep the last ``requests`` timings."""
    timings = [RouteTiming(name, url, []) for name, url in routes]
    for round_number in range(warmup + requests):
        for timing in timings:
            started = time.perf_counter()
            response = client.get(timing.url)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{timing.url} answered {response.status_code}: {response.text[:300]}")
            if round_number >= warmup:
                timing.seconds.append(elapsed)
            timing.response_bytes = len(response.content)
    return timings


def build_client(engine: sa.Engine, *, settings: Settings, now: datetime) -> TestClient:
    """The app over ``engine`` with a fixed clock, behind an in-process TestClient."""
    app = create_app(settings, engine=engine, clock=lambda: now)
    return TestClient(app)


# --- output ---------------------------------------------------------------------------------


def render_markdown(timings: list[RouteTiming], *, facts: dict[str, str], command: str) -> str:
    """The results section: command, machine, data, the table and the verdicts."""
    baseline = benchlib.median(timings[0].seconds)
    rows = [[timing.name, f"`{timing.url}`", round(timing.response_bytes / 1024, 1),
             benchlib.median(timing.seconds) * 1e3, benchlib.percentile(timing.seconds, 0.99) * 1e3,
             f"{benchlib.median(timing.seconds) / baseline:.1f}×"] for timing in timings]
    table = benchlib.markdown_table(["route", "URL", "KiB", "median ms", "p99 ms", "median / static"], rows)
    requests = len(timings[0].seconds)
    return "\n\n".join([
        f"### Pages and API, SQLite, {facts['papers']} papers\n\n`{command}`",
        f"Machine: {benchlib.machine_line()}",
        "Data: " + "; ".join(f"{name}: {value}" for name, value in facts.items() if name != "papers"),
        f"{requests} timed requests per route (round-robin, after the warm-up); latency = one "
        "`TestClient.get` call, in process (no network, no server).",
        table,
        *verdicts(timings),
    ])


def verdicts(timings: list[RouteTiming]) -> list[str]:
    """One line per target route: its median against the 20 ms target."""
    lines = []
    for timing in timings:
        if timing.name in TARGET_ROUTES:
            median_ms = benchlib.median(timing.seconds) * 1e3
            verdict = "meets" if median_ms < TARGET_MEDIAN_MS else "**misses**"
            lines.append(f"Verdict: {timing.name} (`{timing.url}`) median {median_ms:.1f} ms {verdict} the target "
                         f"(under {TARGET_MEDIAN_MS:.0f} ms).")
    return lines


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Build or reuse the database, time the routes and print the markdown section."""
    arguments = parse_arguments(argv)
    database = arguments.database or (SAMPLE_DATABASE if arguments.sample else DEFAULT_DATABASE)
    if arguments.sample:
        engine = ensure_sample_database(database, rebuild=arguments.rebuild)
    else:
        engine = ensure_database(database, rebuild=arguments.rebuild)
    busy, last = busiest_day(engine), latest_day(engine)
    now = datetime.combine(last, clock_time(18), tzinfo=UTC)
    paper_id = top_paper_of(engine, busy)
    routes = routes_to_time(busy_day=busy, busy_month=busiest_month(engine), paper_id=paper_id)
    _log(f"timing {len(routes)} routes x ({arguments.warmup} warm-up + {arguments.requests}) requests")
    cache = {} if arguments.page_cache_mb is None else {"page_cache_mb": arguments.page_cache_mb}
    settings = _settings(database, **cache)
    # Entering the client runs the app's lifespan, which freezes the startup heap (gc.freeze).
    with build_client(engine, settings=settings, now=now) as client:
        timings = time_routes(client, routes, warmup=arguments.warmup, requests=arguments.requests)
    window_start = last - timedelta(days=settings.trending_window_days - 1)
    facts = {"papers": f"{_paper_count(database):,}", "clock (fixed)": now.isoformat(),
             "front page day": str(last), "trending window": f"{window_start} .. {last}",
             "search index": "the sample's, with vectors" if arguments.sample else "none (no similar papers)",
             "page cache": f"{settings.page_cache_mb} MiB" if settings.page_cache_mb else "off (every request renders)"}
    section = render_markdown(timings, facts=facts, command=benchlib.shown_command("bench/pages.py", argv))
    print(section)
    if arguments.write_doc:
        benchlib.write_doc_section("pages", section)


if __name__ == "__main__":
    main()
