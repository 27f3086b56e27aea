"""The ``paperfeed`` command: a thin layer over the library (Typer + rich).

Exit codes: 0 success, 1 error (a clear message, never a traceback: among them
a command that only reads finding no database, and a fetch that failed before
it read anything), 2 bad usage, 3 partial success (some records were rejected,
or a fetch stopped early; the rest was loaded).

Commands that only read (search, fetch --status, digest status, subscribers
export, backup, index) never create a database: with none where the settings
point, they say where they looked and how to point them elsewhere.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn, TransferSpeedColumn)

from paperfeed.config import Settings, load_settings, secret_key
from paperfeed.db.engine import create_engine, database_exists, migrate, shown_url
from paperfeed.errors import DatabaseNotFound, InvalidInput, PaperfeedError, disk_full, full_disk_line
from paperfeed.formatting import counted
from paperfeed.ingest.files import ingest_files
from paperfeed.ingest.merge import IngestReport
from paperfeed.workers import limit_malloc_arenas

EXIT_PARTIAL = 3
SHOWN_PROBLEMS = 20

app = typer.Typer(
    name="paperfeed",
    help="paperfeed: a self-hostable research-paper hub. Settings come from PAPERFEED_* environment variables.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def main() -> None:
    """Entry point of the ``paperfeed`` script."""
    try:
        app()
    except Exception as error:
        data_dir = _data_dir_or_default()
        if disk_full(error, data_dir):
            console.print(f"[red]error:[/red] {full_disk_line(error, data_dir)}", highlight=False, soft_wrap=True)
            raise SystemExit(1) from None
        if not isinstance(error, PaperfeedError):
            raise
        from rich.markup import escape

        console.print(f"[red]error:[/red] {escape(str(error))}", highlight=False)
        raise SystemExit(1) from None


def _data_dir_or_default() -> Path:
    try:
        return load_settings().data_dir
    except Exception:  # the settings themselves are what failed: their own message says so
        return Path("data")


def _initialised_engine(settings: Settings):
    engine = create_engine(settings.resolved_database_url)
    migrate(engine)
    return engine


def _existing_engine(settings: Settings, command: str):
    """The database for a command that only reads: it must be there already, since such a command
    never creates one (run in the wrong folder, it would leave an empty ./data behind and report
    nothing found)."""
    if not database_exists(settings.resolved_database_url):
        raise DatabaseNotFound(_no_database(settings, command))
    return _initialised_engine(settings)  # an older schema is brought up to date, as every command does


def _no_database(settings: Settings, command: str) -> str:
    """Where ``command`` looked for the database, and how to point it elsewhere."""
    if settings.database_url and not settings.database_url.startswith("sqlite"):
        url = shown_url(settings.database_url)
        return (f"{command} found no paperfeed tables in {url}, where PAPERFEED_DATABASE_URL points "
                "(and creates none: it only reads).\n"
                "Check PAPERFEED_DATABASE_URL, or unset it to use PAPERFEED_DATA_DIR; "
                "to create the tables there: paperfeed init.")
    if settings.database_url:
        where = f"{shown_url(settings.database_url)}, where PAPERFEED_DATABASE_URL points"
        looked = ""
    else:
        where = str((settings.data_dir / "paperfeed.db").resolve())
        if "data_dir" in settings.model_fields_set:
            looked = f"It looked in PAPERFEED_DATA_DIR={settings.data_dir} ({settings.data_dir.resolve()}).\n"
        else:
            looked = (f"It looked in ./{settings.data_dir}, the default data directory, in {Path.cwd()} "
                      "(PAPERFEED_DATA_DIR is not set).\n")
    return (f"{command} found no database at {where} (and creates none: it only reads).\n{looked}"
            "To use yours, run it where that is, or set PAPERFEED_DATA_DIR=/path/to/data "
            "(or PAPERFEED_DATABASE_URL=postgresql://user@host/database).\n"
            "To start one here: paperfeed init, then paperfeed ingest FILE (or paperfeed demo).")


@app.command()
def init() -> None:
    """Create the database or migrate it to the latest schema."""
    settings = load_settings()
    engine = _initialised_engine(settings)
    console.print(f"database ready: {engine.url.render_as_string(hide_password=True)}")


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="JSON Lines or JSON files, gzip or plain")],
    listings: Annotated[
        str, typer.Option(help="auto: records with upvotes/submitted_by are listed on their date; all; none")
    ] = "auto",
    errors: Annotated[Path | None, typer.Option(help="write every rejected record's reason to this file")] = None,
) -> None:
    """Import papers: paperfeed's JSON Lines, Hugging Face /api/daily_papers responses, the Kaggle arXiv snapshot.

    Idempotent: a second run changes nothing. Bad records are reported with
    file, line and reason; the rest loads.
    """
    if listings not in ("auto", "all", "none"):
        raise typer.BadParameter("must be auto, all or none", param_hint="--listings")
    settings = load_settings()
    engine = _initialised_engine(settings)
    with _ByteProgress() as on_progress:
        report = ingest_files(engine, files, listings=listings, on_progress=on_progress)
    _print_report(report, errors)
    # Always, even when nothing changed: a rerun after an ingest killed while indexing finishes the index.
    _update_indexes(engine, settings, rebuild=False, changed=report.added + report.updated, by="this ingest")
    if report.problems:
        raise typer.Exit(EXIT_PARTIAL)


def _print_report(report: IngestReport, errors_file: Path | None, *, style: str | None = None) -> None:
    for problem in report.problems[:SHOWN_PROBLEMS]:
        console.print(f"[yellow]rejected[/yellow] {problem}", markup=True, highlight=False)
    hidden = len(report.problems) - SHOWN_PROBLEMS
    if hidden > 0:
        console.print(f"... and {counted(hidden, 'more problem')}"
                      + ("" if errors_file else " (use --errors FILE to save all)"))
    if errors_file:
        errors_file.write_text("".join(f"{problem}\n" for problem in report.problems))
        console.print(f"{counted(len(report.problems), 'problem')} written to {errors_file}")
    console.print(report.summary(), style=style, markup=False, highlight=False)


class _ByteProgress:
    """A rich progress bar over the bytes of each input file; yields ``on_progress``."""

    def __enter__(self):
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            TimeRemainingColumn(), console=console, transient=False,
        )
        self.progress.start()
        self.tasks: dict[Path, int] = {}
        return self._update

    def _update(self, path: Path, done: int, total: int) -> None:
        if path not in self.tasks:
            self.tasks[path] = self.progress.add_task(path.name, total=total)
        self.progress.update(self.tasks[path], completed=done)

    def __exit__(self, *exc_info) -> None:
        self.progress.stop()


@app.command()
def index(
    rebuild: Annotated[bool, typer.Option(
        "--rebuild", help="rebuild from scratch instead of updating (every paper is embedded again)")] = False,
    device: Annotated[str, typer.Option(
        help="where to embed: cpu (onnxruntime), or cuda / cuda:N (PyTorch on a GPU, for bulk indexing)")] = "cpu",
) -> None:
    """Build or update the search index from the database (only papers changed since the last run)."""
    settings = load_settings()
    engine = _existing_engine(settings, "paperfeed index")
    _update_indexes(engine, settings, rebuild=rebuild, everything=True, device=device)


def _update_indexes(engine, settings: Settings, *, rebuild: bool, everything: bool = False, device: str = "cpu",
                    changed: int | None = None, by: str = "") -> None:
    """Bring the indexes up to date, showing progress; embed at most INLINE_EMBEDDINGS papers unless
    ``everything`` (`paperfeed index`). ``changed``: how many papers the command (``by``) added or
    updated, so the line about the index tells them apart from the index's total."""
    from paperfeed.search import INLINE_EMBEDDINGS, refresh_indexes

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=console) as progress:
        tasks: dict[str, int] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        report = refresh_indexes(engine, settings, rebuild=rebuild, device=device, on_progress=on_progress,
                                 max_embeddings=None if everything else INLINE_EMBEDDINGS)
    console.print(report.summary(changed=changed, by=by) if changed is not None else report.summary())
    if report.embedder:
        console.print(f"vectors ({report.embedder}): {report.embedded:,} embedded, "
                      f"{report.reused:,} precomputed, {report.vectors:,} in all")
        if report.similar_lists:
            console.print(f"similar papers stored for {counted(report.similar_lists, 'paper')} just embedded")
    else:
        console.print("semantic search is off (PAPERFEED_SEMANTIC_SEARCH=false): keyword index only")
    if report.vector_backlog:
        backlog = report.vector_backlog
        console.print(f"[yellow]{counted(backlog, 'paper')} {'is' if backlog == 1 else 'are'} not embedded yet: "
                      "run `paperfeed index` "
                      "(it shows progress and an ETA); until then search uses keywords only for them[/yellow]")


@app.command()
def fetch(
    source: Annotated[str | None, typer.Argument(help="arxiv (OAI-PMH) or hf (Hugging Face daily papers)")] = None,
    categories: Annotated[str | None, typer.Option(
        help="arxiv: comma-separated archives (cs, math, hep-th: all their categories) or categories "
             "(cs.CL) (default: PAPERFEED_FETCH_CATEGORIES)")] = None,
    since: Annotated[str | None, typer.Option(help="from this day, YYYY-MM-DD (default: where the last run stopped)")] = None,
    until: Annotated[str | None, typer.Option(help="arxiv: up to this day, YYYY-MM-DD")] = None,
    day: Annotated[str | None, typer.Option("--date", help="hf: only this day, YYYY-MM-DD")] = None,
    latest: Annotated[bool, typer.Option("--latest", help="arxiv: only the latest announcement, from the listing feed")] = False,
    status: Annotated[bool, typer.Option("--status", help="show each source's last run and cursor, fetch nothing")] = False,
) -> None:
    """Fetch new papers from arXiv or Hugging Face; resumable (a rerun continues from the stored cursor)
    and idempotent (the same fetch twice changes nothing)."""
    from paperfeed.ingest.fetch import fetch_source

    settings = load_settings()
    if status:
        _print_fetch_status(_existing_engine(settings, "paperfeed fetch --status"))
        return
    if source not in ("arxiv", "hf"):
        raise typer.BadParameter("name a source: arxiv or hf (or use --status)", param_hint="SOURCE")
    since_day, until_day, only_day = (_day_option(value, name) for value, name in
                                      ((since, "--since"), (until, "--until"), (day, "--date")))
    wanted = _categories_option(categories, settings) if source == "arxiv" else []
    engine = _initialised_engine(settings)
    report = fetch_source(engine, settings, source, categories=",".join(wanted) or None, since=since_day,
                          until=until_day, day=only_day, latest=latest)
    for note in report.notes:
        console.print(note, markup=False, highlight=False)
    _print_report(report, None, style="red" if report.failed else None)
    skipped = f"; {counted(report.skipped, 'record')} outside the categories skipped" if source == "arxiv" else ""
    console.print(counted(report.requests, "request") + skipped)
    if report.changed_anything:
        _update_indexes(engine, settings, rebuild=False, changed=report.added + report.updated, by="this fetch")
    if report.failed:
        console.print("[yellow]the fetch stopped early; run it again to resume from the stored cursor[/yellow]")
        raise typer.Exit(EXIT_PARTIAL if report.read_anything else 1)
    if report.rejected:
        raise typer.Exit(EXIT_PARTIAL)


def _categories_option(value: str | None, settings: Settings) -> list[str]:
    """``--categories``, or PAPERFEED_FETCH_CATEGORIES: arXiv archives and categories, checked before
    anything is fetched or created; an unknown name is refused with the valid ones."""
    from paperfeed.sources.arxiv_taxonomy import parse_categories

    if value is None:
        return parse_categories(settings.fetch_categories, field="PAPERFEED_FETCH_CATEGORIES")
    try:
        return parse_categories(value)
    except InvalidInput as error:
        raise typer.BadParameter(error.reason, param_hint="--categories") from None


def _day_option(value: str | None, name: str):
    from paperfeed.periods import parse_day

    if value is None:
        return None
    try:
        return parse_day(value, field=name)
    except PaperfeedError as error:
        raise typer.BadParameter(str(error), param_hint=name) from None


def _print_fetch_status(engine) -> None:
    """One block per source, each value wrapped beside its name: readable at 80 columns."""
    import textwrap

    from paperfeed.db.fetch_state import all_states

    with engine.connect() as connection:
        states = all_states(connection)
    if not states:
        console.print("no fetch has run yet (paperfeed fetch arxiv | hf)")
        return
    out = Console()
    indent = " " * 12  # two spaces, then the names ("last run", "message") in ten
    for number, state in enumerate(states):
        counts = ", ".join(f"{key} {value:,}" for key, value in (state.last_counts or {}).items() if value)
        lines = [("\n" if number else "") + state.source]
        for name, value in (
            ("last run", state.last_run_at.strftime("%Y-%m-%d %H:%M UTC") if state.last_run_at else "never"),
            ("outcome", state.last_outcome or "-"), ("counts", counts or "-"),
            ("cursor", json.dumps(state.cursor) if state.cursor else "none yet"),
            ("message", state.last_message or "-"),
        ):
            lines.append(textwrap.fill(value, width=max(out.width, 40), initial_indent=f"  {name:<10}",
                                       subsequent_indent=indent, break_on_hyphens=False))
        out.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="run the jobs that are due now, then exit (for cron)")] = False,
) -> None:
    """Run the scheduled jobs (the daily fetches, alerts, digests) here; any number of workers may run."""
    import signal
    import threading

    from paperfeed.observability import configure_logging, use_metrics_dir

    settings = load_settings()
    use_metrics_dir(settings.metrics_dir or settings.data_dir / "metrics")
    configure_logging(settings.log_level, settings.log_format)
    from paperfeed import jobs

    engine = _initialised_engine(settings)
    if once:
        for outcome in jobs.run_due_jobs(engine, settings):
            console.print(f"{outcome.job} {outcome.period}: {outcome.status} — {outcome.message}")
        if covers := jobs.run_cover_job(engine, settings):
            console.print(f"{covers.job} {covers.period}: {covers.status} — {covers.message}")
        for line in jobs.send_due_mail(engine, settings):
            console.print(line)
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print(f"worker running; daily fetches ({settings.scheduled_fetches}) at {settings.fetch_time} UTC")
    try:
        jobs.run_worker(engine, settings, stop=stop)
    except KeyboardInterrupt:
        stop.set()


@app.command()
def covers(
    missing: Annotated[bool, typer.Option("--missing", help="only papers without a cover (a failed one is tried again)")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="at most this many papers, latest listing day first")] = None,
) -> None:
    """Draw the covers of the listed arXiv papers: each PDF's first page, fetched at arXiv's pace
    (PAPERFEED_ARXIV_DELAY_S). A PDF that fails is reported with the reason; the rest go on."""
    from rich.markup import escape

    from paperfeed.catalog.covers import CoverStore, arxiv_pdf_client, covers_to_make, make_covers

    settings = load_settings()
    engine = _existing_engine(settings, "paperfeed covers")
    store = CoverStore(settings.data_dir)
    with engine.connect() as connection:
        todo, kept = covers_to_make(connection, store, missing=missing)
    left, todo = todo[limit:] if limit else [], todo[:limit]
    if todo:
        minutes = len(todo) * settings.arxiv_delay_s / 60
        console.print(f"{len(todo):,} cover{'' if len(todo) == 1 else 's'} to draw into {store.root}"
                      + (f", about {minutes:,.0f} minutes at one PDF every {settings.arxiv_delay_s:g} s"
                         if minutes >= 1 else ""), highlight=False)
    with Progress(TextColumn("covers"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task("covers", total=len(todo))
        with arxiv_pdf_client(settings) as client:
            report = make_covers(store, client, todo, pdf_url=settings.arxiv_pdf_url,
                                 on_progress=lambda done, total: progress.update(task, completed=done))
    report.kept += kept
    for paper_id, reason in report.failures[:SHOWN_PROBLEMS]:
        console.print(f"[yellow]failed[/yellow] {escape(paper_id)}: {escape(reason)}", highlight=False)
    hidden = len(report.failures) - SHOWN_PROBLEMS
    if hidden > 0:
        console.print(f"... and {hidden:,} more failures (each is in its .failed file beside the covers)")
    console.print(f"covers: {report.summary()}" + (f"; {len(left):,} left for a later run (--limit {limit})"
                                                   if left else ""), highlight=False)
    if report.failures:
        raise typer.Exit(EXIT_PARTIAL)


@app.command("migrate-db")
def migrate_db(
    source: Annotated[str, typer.Option("--from", help="the database to copy, e.g. sqlite:///data/paperfeed.db")],
    target: Annotated[str, typer.Option("--to", help="an empty database, e.g. postgresql://paperfeed@db/paperfeed")],
) -> None:
    """Move every paper, member, vote, comment, collection and subscription to another database
    (SQLite to PostgreSQL) and check the counts. The site may keep running on the source meanwhile."""
    from rich.table import Table

    from paperfeed.db.transfer import transfer

    if not database_exists(source):  # reading it must not leave an empty file behind
        raise DatabaseNotFound(f"no paperfeed database at --from {shown_url(source)}: check the URL "
                               "(sqlite:///path/to/paperfeed.db, postgresql://user@host/database)")
    copied: dict[str, int] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("copying", total=None)

        def advance(table: str, rows: int) -> None:
            copied[table] = copied.get(table, 0) + rows
            progress.update(task, description=f"copying {table}: {counted(copied[table], 'row')}")

        counts = transfer(create_engine(source), create_engine(target), progress=advance)
    table = Table("table", "source rows", "target rows")
    for count in counts:
        table.add_row(count.table, f"{count.source:,}", f"{count.target:,}")
    Console().print(table)
    console.print(f"copied {counted(sum(c.target for c in counts), 'row')} in {counted(len(counts), 'table')}; "
                  "the counts match. "
                  "Copy <data dir>/secret_key to the new nodes (sessions and emailed links stay valid) and "
                  "run `paperfeed index` there.")


@app.command()
def backup(file: Annotated[Path, typer.Argument(help="the backup file to write (a new file)")]) -> None:
    """Back the database up while the site runs (SQLite: its online backup API; PostgreSQL: pg_dump)."""
    from paperfeed.db.backup import backup as make_backup

    settings = load_settings()
    counts = make_backup(_existing_engine(settings, "paperfeed backup"), file)
    console.print(f"backup written to {file}: " + ", ".join(f"{table}: {count:,}" for table, count in counts.items()))


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="a file written by paperfeed backup")],
    force: Annotated[bool, typer.Option("--force", help="replace a database that holds data")] = False,
) -> None:
    """Replace the database with a backup (stop the site first; SQLite: the data directory's file)."""
    from paperfeed.db.backup import restore as restore_backup

    settings = load_settings()
    counts = restore_backup(create_engine(settings.resolved_database_url), file, force=force)
    migrate(create_engine(settings.resolved_database_url))
    console.print(f"restored from {file}: " + ", ".join(f"{table}: {count:,}" for table, count in counts.items()))


digest_app = typer.Typer(help="Email digests: paperfeed digest send", no_args_is_help=True)
subscribers_app = typer.Typer(help="Digest subscribers: paperfeed subscribers import FILE.csv", no_args_is_help=True)


def _engine_and_settings():
    settings = load_settings()
    return _initialised_engine(settings), settings


def _vectors_of(settings):
    """The stored vectors (personal picks), without loading the embedding model."""
    from paperfeed.search import stored_vectors_of

    return stored_vectors_of(settings.data_dir)


@digest_app.command("send")
def digest_send(
    dry_run: Annotated[Path | None, typer.Option("--dry-run", help="write the messages as .eml files into this directory instead of sending them")] = None,
    period: Annotated[str | None, typer.Option(help="daily or weekly: send this period's digests now, whatever the schedule (with --date)")] = None,
    date: Annotated[str | None, typer.Option(help="YYYY-MM-DD: the day of the daily digest, or a day of the week of the weekly one")] = None,
) -> None:
    """Send the digests that are due (each subscriber's hour in their time zone), exactly once per
    subscriber and period; run it from cron or let `paperfeed worker` run it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from paperfeed.digest import periods
    from paperfeed.digest.deliver import send_digests
    from paperfeed.periods import parse_day

    if (period is None) != (date is None):
        raise InvalidInput("give --period and --date together (e.g. --period daily --date 2026-11-27)", field="period")
    chosen = periods.of_kind(period, parse_day(date, field="date")) if period and date else None
    engine, settings = _engine_and_settings()
    if dry_run is None and not settings.smtp_host:
        raise InvalidInput("set PAPERFEED_SMTP_HOST (and the other PAPERFEED_SMTP_* settings), or use --dry-run DIR",
                           field="PAPERFEED_SMTP_HOST")
    with Progress(TextColumn("digests"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("send", total=None)
        report = send_digests(engine, settings, vectors_of=_vectors_of(settings), secret=secret_key(settings),
                              period=chosen, dry_run=dry_run, progress=lambda n: progress.advance(task, n))
    where = f" into {dry_run}" if dry_run else ""
    console.print(f"digests{where}: {report.summary()}")
    for problem in report.problems:
        console.print(f"[yellow]{problem}[/yellow]")
    if report.problems or report.counts["failed"]:
        raise typer.Exit(EXIT_PARTIAL)


@digest_app.command("status")
def digest_status() -> None:
    """The last runs of `paperfeed digest send`: sent, failed, bounced, skipped; and the subscribers."""
    from paperfeed.digest.status import digest_status as status

    engine = _existing_engine(load_settings(), "paperfeed digest status")
    summary = status(engine)
    out = Console()
    out.print(f"subscribers: {summary.subscribers_line()}")
    table = Table("run", "started", "finished", "what", "sent", "failed", "bounced", "skipped", "message")
    for run in summary.runs:
        counts = run["counts"] or {}
        table.add_row(run["id"], f"{run['started_at']:%Y-%m-%d %H:%M}",
                      f"{run['finished_at']:%H:%M:%S}" if run["finished_at"] else "running (or died)", run["what"],
                      *(str(counts.get(name, 0)) for name in ("sent", "failed", "bounced", "skipped")),
                      run["message"] or "")
    out.print(table)


@subscribers_app.command("import")
def subscribers_import(
    file: Annotated[Path, typer.Argument(help="CSV with a header: email,frequency[,confirmed]")],
) -> None:
    """Import subscribers from another newsletter; bad rows are reported by line, the rest imported."""
    from paperfeed.digest.subscriptions import import_csv

    engine, _settings = _engine_and_settings()
    report = import_csv(engine, file)
    console.print(f"subscribers: {report.summary()}")
    for line, reason in report.problems[:50]:
        console.print(f"  line {line}: {reason}")
    if report.problems:
        raise typer.Exit(EXIT_PARTIAL)


@subscribers_app.command("export")
def subscribers_export(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write here instead of standard output")] = None,
) -> None:
    """Every subscriber as CSV (imports back with `paperfeed subscribers import`)."""
    from paperfeed.digest.subscriptions import export_csv

    engine = _existing_engine(load_settings(), "paperfeed subscribers export")
    text = export_csv(engine)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {counted(text.count(chr(10)) - 1, 'subscriber')} to {output}")


alerts_app = typer.Typer(help="Saved-search alerts: paperfeed alerts run", no_args_is_help=True)


@alerts_app.command("run")
def alerts_run() -> None:
    """Find new papers for the alerts delivered at once, and send them (email or webhook)."""
    from paperfeed.digest.alerts import run_alerts

    engine, settings = _engine_and_settings()
    report = run_alerts(engine, settings)
    console.print(report.summary())
    for problem in report.problems:
        console.print(f"[yellow]{problem}[/yellow]")
    if report.problems:
        raise typer.Exit(EXIT_PARTIAL)


user_app = typer.Typer(help="Manage members: paperfeed user add NAME", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(digest_app, name="digest")
app.add_typer(subscribers_app, name="subscribers")
app.add_typer(alerts_app, name="alerts")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="the member's name (2-32 letters, digits, . _ -)")],
    email: Annotated[str | None, typer.Option(help="the member's email address")] = None,
    role: Annotated[str, typer.Option(help="member, editor or admin")] = "member",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from standard input")] = False,
) -> None:
    """Create a member who can sign in (asks for the password unless --password-stdin)."""
    import sys

    from paperfeed.members.accounts import create_user

    settings = load_settings()
    engine = _initialised_engine(settings)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    create_user(engine, username, password, email=email, role=role)
    console.print(f"member {username!r} created ({role}); they can sign in at /signin")


@user_app.command("promote")
def user_promote(
    username: Annotated[str, typer.Argument(help="the member's name")],
    role: Annotated[str, typer.Option(help="member, moderator, editor or admin")] = "moderator",
) -> None:
    """Give a member a role: moderators hide reported comments and ban members; admins see /admin."""
    from paperfeed.members.accounts import promote

    settings = load_settings()
    promote(_initialised_engine(settings), username, role)
    console.print(f"{username!r} is now {role}")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='words, and "quoted phrases"; an arXiv id, link or DOI; a name')] = "",
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many results")] = 10,
    author: Annotated[str | None, typer.Option(help="only this author's papers (one word: a last name)")] = None,
    sort: Annotated[str, typer.Option(help="relevance, newest or upvotes")] = "relevance",
    since: Annotated[str | None, typer.Option(help="papers from this day on, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="papers up to this day, YYYY-MM-DD")] = None,
    category: Annotated[list[str] | None, typer.Option(help="arXiv category, e.g. cs.CL (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the API's JSON items")] = False,
) -> None:
    """Search the papers, most relevant first."""
    from paperfeed.catalog.shapes import search_item_out
    from paperfeed.search import SORTS, SearchRequest, SearchService, embedder_factory, index_directory

    settings = load_settings()
    engine = _existing_engine(settings, "paperfeed search")
    if sort not in SORTS:  # said with the option's name; the API and the page say sort=
        raise InvalidInput(f"--sort must be one of {', '.join(SORTS)}, not {sort!r}", field="sort")
    wanted = SearchRequest.from_parameters(q=query, since=since, until=until, categories=category, author=author,
                                           sort=sort, page_size=limit, query_field="query")
    service = SearchService(settings.data_dir, embedder_factory=embedder_factory(settings))
    with engine.connect() as connection:
        response = service.search(connection, wanted)
    if not response.index_built:  # nothing was searched: "no papers match" would not be true
        console.print(f"[red]error:[/red] there is no search index in {index_directory(settings.data_dir).resolve()} "
                      "yet: run paperfeed index to build it from the database", highlight=False)
        raise typer.Exit(1)
    if response.notice:
        console.print(f"[yellow]{response.notice}[/yellow]")
    if response.corrections:
        console.print(f"showing results for {response.query.text!r}: no paper has "
                      + ", ".join(repr(correction.typed) for correction in response.corrections),
                      markup=False, highlight=False)
    if response.author:
        about = f" on {response.topic!r}" if response.topic else ""
        who = f"authors named {response.author}" if response.surname_only else response.author
        console.print(f"papers by {who}{about} first (all of them: paperfeed search --author "
                      f"{json.dumps(response.author)})", markup=False, highlight=False)
    if as_json:
        typer.echo(json.dumps([search_item_out(hit).model_dump(mode="json") for hit in response.hits], indent=2))
        return
    out = Console()
    for rank, hit in enumerate(response.hits, 1):
        day = hit.listing.listed_on if hit.listing else hit.paper.published_on
        out.print(f"[bold]{rank:>3}. {_marked(hit.highlighted_title)}[/bold]", highlight=False)
        out.print(f"     {hit.paper.id} · {day or 'no date'} · ▲ {hit.paper.upvotes} · "
                  f"{', '.join(hit.paper.authors[:3])}{' et al.' if len(hit.paper.authors) > 3 else ''}",
                  highlight=False, markup=False)
    if not response.hits:
        console.print("no papers match")


def _marked(segments: list[dict]) -> str:
    from rich.markup import escape

    return "".join(f"[reverse]{escape(s['text'])}[/reverse]" if s["type"] == "highlight" else escape(s["text"])
                   for s in segments)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on [PAPERFEED_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on [PAPERFEED_PORT]")] = None,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
) -> None:
    """Serve the site and the API for whatever the data directory holds."""
    limit_malloc_arenas()  # first: before any thread has made an arena of its own
    settings = load_settings()
    engine = _initialised_engine(settings)
    try:
        _update_indexes(engine, settings, rebuild=False)
    except Exception as error:
        if not disk_full(error, settings.data_dir):
            raise
        # Reading needs no space: serve what the indexes hold; writes answer 503 until space is freed.
        console.print(f"[yellow]warning: {full_disk_line(error, settings.data_dir)}; the search index was not "
                      "updated, and pages that save anything will answer 503 until there is space[/yellow]",
                      highlight=False, soft_wrap=True)
    _run_server(settings, host=host or settings.host, port=port or settings.port, workers=workers)


@app.command()
def demo(
    load_only: Annotated[bool, typer.Option("--load-only", help="load the sample, do not serve")] = False,
    host: Annotated[str | None, typer.Option(help="address to listen on [PAPERFEED_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on [PAPERFEED_PORT]")] = None,
) -> None:
    """Load the bundled sample (10,630 Hugging Face Daily Papers listings) and serve it."""
    from paperfeed.sample import load_sample

    settings = load_settings()
    engine = _initialised_engine(settings)
    with _ByteProgress() as on_progress:
        report = load_sample(engine, on_progress=on_progress)
    if report is None:
        console.print(f"the bundled sample is already loaded in {settings.data_dir}")
    else:
        _print_report(report, None)
    _update_indexes(engine, settings, rebuild=False, changed=report.added + report.updated if report else 0,
                    by="the sample")
    if not load_only:
        _run_server(settings, host=host or settings.host, port=port or settings.port, workers=1)


def serving_app():
    """The application each process of `paperfeed serve` runs (uvicorn calls this factory):
    the site, and the scheduler beside it when PAPERFEED_SCHEDULER=true."""
    from paperfeed.jobs import run_worker
    from paperfeed.web.app import create_app

    settings = load_settings()
    return create_app(settings, background=[run_worker] if settings.scheduler else [])


# How long `paperfeed serve` keeps an idle connection open: longer than nginx keeps its idle
# connections to a node (deploy/nginx.conf, `keepalive_timeout 60s`), so that nginx is always the
# one that closes them. The other way round (uvicorn's 5 s), nginx sometimes sends a request down a
# connection the node is closing that instant: a vote lost as a 502 (bench/load.py saw one in 10,000).
KEEP_ALIVE_S = 75


def _run_server(settings: Settings, *, host: str, port: int, workers: int) -> None:
    import uvicorn

    from paperfeed.observability import logging_config, use_metrics_dir

    use_metrics_dir(settings.metrics_dir or settings.data_dir / "metrics")
    console.print(f"paperfeed is serving on http://{host}:{port}  (Ctrl+C to stop)")
    uvicorn.run(
        "paperfeed.cli:serving_app", factory=True, host=host, port=port, workers=workers,
        log_level=settings.log_level, log_config=logging_config(settings.log_level, settings.log_format),
        proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies, timeout_keep_alive=KEEP_ALIVE_S,
    )


if __name__ == "__main__":
    main()
