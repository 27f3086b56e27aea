"""Ingest speed: load the three real corpora (about 264,000 papers) into a fresh database.

Each run happens in a fresh child process (so its peak RSS is its own) against
a fresh database: a SQLite file in a temporary directory, or a dedicated
PostgreSQL schema that is dropped afterwards. A run ingests every file once
(timed per file), then ingests them all again, which must add and update nothing.

    .venv/bin/python bench/ingest.py                  # 3 runs, SQLite, all corpora
    .venv/bin/python bench/ingest.py --quick          # 1 run, only the HF file
    .venv/bin/python bench/ingest.py --database-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/ingest.py --write-doc      # also update docs/benchmarks.md

Target (issue 2): at least 5,000 papers/s on 2 cores.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402  (a sibling module; bench/ is not a package)

from paperfeed.db.engine import create_engine, migrate  # noqa: E402
from paperfeed.ingest.merge import IngestReport, ingest_files  # noqa: E402

TARGET_PAPERS_PER_SECOND = 5_000
POSTGRES_SCHEMA = "bench_ingest"


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="ingest only the HF file, once")
    parser.add_argument("--runs", type=int, default=None, help="full runs, each on a fresh database (default 3)")
    parser.add_argument("--database-url", default=None,
                        help="a postgresql:// URL (a schema named bench_ingest is created and dropped); "
                        "default: a SQLite file in a temporary directory")
    parser.add_argument("--write-doc", action="store_true",
                        help="replace this benchmark's section of docs/benchmarks.md")
    arguments = parser.parse_args(argv)
    if arguments.runs is None:
        arguments.runs = 1 if arguments.quick else 3
    return arguments


# --- one run, in a child process ------------------------------------------------------------


def measure_run(database_url: str, paths: Sequence[str]) -> dict:
    """Ingest ``paths`` twice into the (empty) database at ``database_url``; runs in a child process."""
    engine = create_engine(database_url)
    migrate(engine)
    rss_before_kib = _peak_rss_kib()
    first_pass = [_timed_ingest(engine, [Path(path)]) for path in paths]
    for result in first_pass:
        _log(f"  {Path(result['file']).name}: {result['records']:,} records in {result['seconds']:.1f} s")
    second_pass = _timed_ingest(engine, [Path(path) for path in paths])
    _log(f"  second pass: {second_pass['records']:,} records in {second_pass['seconds']:.1f} s "
         f"({second_pass['added']} added, {second_pass['updated']} updated)")
    result = {
        "files": first_pass,
        "second_pass": second_pass,
        "peak_rss_kib": _peak_rss_kib(),
        "rss_after_setup_kib": rss_before_kib,
        "database_bytes": database_size(engine),
        "server": database_server(engine),
    }
    engine.dispose()
    return result


def _timed_ingest(engine: sa.Engine, paths: list[Path]) -> dict:
    started = time.perf_counter()
    report: IngestReport = ingest_files(engine, paths)
    seconds = time.perf_counter() - started
    records = report.added + report.updated + report.unchanged + report.rejected
    return {"file": str(paths[0]) if len(paths) == 1 else "all", "records": records, "seconds": seconds,
            "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
            "rejected": report.rejected}


def _peak_rss_kib() -> int:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def database_size(engine: sa.Engine) -> int:
    """Bytes on disk: the SQLite file after a WAL checkpoint, or the PostgreSQL schema's tables and indexes."""
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            database = Path(engine.url.database)
            return sum(path.stat().st_size for path in (database, Path(f"{database}-wal")) if path.exists())
        query = ("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                 "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
                 "AND c.relkind = 'r'")
        return int(connection.exec_driver_sql(query).scalar_one())


def database_server(engine: sa.Engine) -> str:
    """The database software and version, for the machine line."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            return "SQLite " + connection.exec_driver_sql("SELECT sqlite_version()").scalar_one()
        return "PostgreSQL " + connection.exec_driver_sql("SHOW server_version").scalar_one()


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- fresh databases ------------------------------------------------------------------------


@contextmanager
def fresh_database(postgres_url: str | None) -> Iterator[str]:
    """The URL of an empty database: a new SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if postgres_url is None:
        with tempfile.TemporaryDirectory(prefix="paperfeed-bench-") as directory:
            yield f"sqlite:///{directory}/bench.db"
        return
    admin = create_engine(postgres_url)
    _recreate_schema(admin)
    try:
        separator = "&" if "?" in postgres_url else "?"
        yield f"{postgres_url}{separator}options=-csearch_path%3D{POSTGRES_SCHEMA}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE")
        admin.dispose()


def _recreate_schema(admin: sa.Engine) -> None:
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE")
        connection.exec_driver_sql(f"CREATE SCHEMA {POSTGRES_SCHEMA}")


def run_in_child(database_url: str, paths: Sequence[Path]) -> dict:
    """:func:`measure_run` in a fresh spawned process, so peak RSS is this run's alone."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(measure_run, database_url, [str(path) for path in paths]).result()


# --- summary --------------------------------------------------------------------------------


def _rate(part: dict) -> float:
    return part["records"] / part["seconds"]


def summarise(runs: list[dict]) -> dict:
    """Medians over runs of throughput, second-pass throughput, peak RSS and database size."""
    totals = [{"records": sum(f["records"] for f in run["files"]), "seconds": sum(f["seconds"] for f in run["files"])}
              for run in runs]
    return {
        "records": totals[0]["records"],
        "seconds": benchlib.median([total["seconds"] for total in totals]),
        "papers_per_second": benchlib.median([_rate(total) for total in totals]),
        "all_rates": [_rate(total) for total in totals],
        "per_file": summarise_files(runs),
        "second_pass_rate": benchlib.median([_rate(run["second_pass"]) for run in runs]),
        "second_pass_changes": [(run["second_pass"]["added"], run["second_pass"]["updated"]) for run in runs],
        "peak_rss_mib": benchlib.median([run["peak_rss_kib"] / 1024 for run in runs]),
        "setup_rss_mib": benchlib.median([run["rss_after_setup_kib"] / 1024 for run in runs]),
        "database_mib": benchlib.median([run["database_bytes"] / 2**20 for run in runs]),
        "server": runs[0]["server"],
    }


def summarise_files(runs: list[dict]) -> list[dict]:
    """Per file of the first ingest: records, rejected, and the median seconds and papers/s over runs."""
    return [
        {"file": Path(first["file"]).name, "records": first["records"], "rejected": first["rejected"],
         "seconds": benchlib.median([run["files"][index]["seconds"] for run in runs]),
         "papers_per_second": benchlib.median([_rate(run["files"][index]) for run in runs])}
        for index, first in enumerate(runs[0]["files"])
    ]


def render_markdown(summary: dict, *, backend: str, command: str, runs: int) -> str:
    """The results section: command, machine, tables and the verdict."""
    idempotent = all(change == (0, 0) for change in summary["second_pass_changes"])
    rates = ", ".join(f"{rate:,.0f}" for rate in summary["all_rates"])
    files = benchlib.markdown_table(
        ["file", "records", "rejected", "seconds", "papers/s"],
        [[f["file"], f["records"], f["rejected"], f["seconds"], f["papers_per_second"]] for f in summary["per_file"]],
    )
    overall = benchlib.markdown_table(["measure", f"median of {runs} run(s)"], [
        ["records ingested", f"{summary['records']:,}"],
        ["wall time, first ingest", f"{summary['seconds']:.1f} s"],
        ["**papers/s, first ingest**", f"**{summary['papers_per_second']:,.0f}** (each run: {rates})"],
        ["papers/s, second (idempotent) ingest", f"{summary['second_pass_rate']:,.0f}"],
        ["second ingest added / updated", " ; ".join(f"{a} / {u}" for a, u in summary["second_pass_changes"])],
        ["peak RSS (ru_maxrss of the child process)", f"{summary['peak_rss_mib']:,.0f} MiB "
         f"({summary['setup_rss_mib']:,.0f} MiB after imports and migration)"],
        ["database size on disk", f"{summary['database_mib']:,.0f} MiB"],
    ])
    verdict = "meets" if summary["papers_per_second"] >= TARGET_PAPERS_PER_SECOND else "**misses**"
    return "\n\n".join([
        f"### Ingest, {backend}\n\n`{command}`",
        f"Machine: {benchlib.machine_line()}; database: {summary['server']}",
        overall,
        "Per file (first ingest, median over runs):\n\n" + files,
        f"Verdict: {summary['papers_per_second']:,.0f} papers/s {verdict} the target of "
        f"{TARGET_PAPERS_PER_SECOND:,} papers/s; the second ingest "
        + ("changed nothing (idempotent)." if idempotent else "**changed records: not idempotent**."),
    ])


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its markdown section."""
    arguments = parse_arguments(argv)
    paths = benchlib.QUICK_CORPORA if arguments.quick else benchlib.CORPORA
    benchlib.require_corpora(paths)
    backend = "PostgreSQL" if arguments.database_url else "SQLite"
    runs = []
    for number in range(1, arguments.runs + 1):
        _log(f"run {number}/{arguments.runs} ({backend}, {len(paths)} file(s))")
        with fresh_database(arguments.database_url) as database_url:
            runs.append(run_in_child(database_url, paths))
    command = benchlib.shown_command("bench/ingest.py", argv)
    section = render_markdown(summarise(runs), backend=backend, command=command, runs=arguments.runs)
    print(section)
    if arguments.write_doc:
        name = f"ingest-{backend.lower()}" + ("-quick" if arguments.quick else "")
        benchlib.write_doc_section(name, section)


if __name__ == "__main__":
    main()
