"""``paperfeed digest send|status`` and ``paperfeed subscribers import|export``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from paperfeed.errors import InvalidInput

digest_app = typer.Typer(help="Email digests: paperfeed digest send", no_args_is_help=True)
subscribers_app = typer.Typer(help="Digest subscribers: paperfeed subscribers import FILE.csv", no_args_is_help=True)
console = Console(stderr=True)
EXIT_PARTIAL = 3


def _engine_and_settings():
    from paperfeed.cli import _initialised_engine, _settings

    settings = _settings()
    return _initialised_engine(settings), settings


def _vectors_of(settings):
    """The stored vectors (personal picks), without loading the embedding model."""
    from paperfeed.search.service import stored_vectors_of

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
    from paperfeed.sources.fields import parse_date_text
    from paperfeed.web.sessions import secret_key

    if (period is None) != (date is None):
        raise InvalidInput("give --period and --date together (e.g. --period daily --date 2026-11-27)", field="period")
    chosen = periods.of_kind(period, parse_date_text(date, field="date")) if period and date else None
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

    engine, _settings = _engine_and_settings()
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
    from paperfeed.subscriptions import import_csv

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
    from paperfeed.subscriptions import export_csv

    engine, _settings = _engine_and_settings()
    text = export_csv(engine)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {text.count(chr(10)) - 1} subscribers to {output}")


alerts_app = typer.Typer(help="Saved-search alerts: paperfeed alerts run", no_args_is_help=True)


@alerts_app.command("run")
def alerts_run() -> None:
    """Find new papers for the alerts delivered at once, and send them (email or webhook)."""
    from paperfeed.alerts import run_alerts

    engine, settings = _engine_and_settings()
    report = run_alerts(engine, settings)
    console.print(report.summary())
    for problem in report.problems:
        console.print(f"[yellow]{problem}[/yellow]")
    if report.problems:
        raise typer.Exit(EXIT_PARTIAL)
