"""Bulk files: read JSON Lines / JSON arrays (gzip or plain), recognise each record's format,
and load them batch by batch through :mod:`paperfeed.ingest.merge`.

Each bad record is reported with its file, line and reason; the rest still loads.
Work is committed batch by batch, so an interrupted ingest keeps what it did and a
rerun completes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from paperfeed.db.engine import write_transaction
from paperfeed.errors import InvalidInput, PaperfeedError
from paperfeed.ingest.merge import IngestProblem, IngestReport, apply_batch
from paperfeed.models import ParsedRecord
from paperfeed.sources import fields as field_rules
from paperfeed.sources import hf, jsonl
from paperfeed.sources.jsonl import JsonRecordReader, ListingMode, RawRecord

BATCH_SIZE = 2_000


def ingest_files(
    engine: sa.Engine,
    paths: Sequence[Path],
    *,
    listings: ListingMode = "auto",
    on_progress: Callable[[Path, int, int], None] | None = None,
    now: datetime | None = None,
) -> IngestReport:
    """Load bulk files (JSON Lines or JSON arrays, gzip or plain) into the database.

    Accepts paperfeed's format, raw Hugging Face ``/api/daily_papers``
    responses and the Kaggle arXiv snapshot, record by record.
    ``on_progress(path, bytes_done, bytes_total)`` is called after each batch.
    """
    report = IngestReport()
    for path in paths:
        ingest_file(engine, path, report=report, listings=listings, on_progress=on_progress, now=now)
    return report


def ingest_file(
    engine: sa.Engine,
    path: Path,
    *,
    report: IngestReport,
    listings: ListingMode = "auto",
    on_progress: Callable[[Path, int, int], None] | None = None,
    now: datetime | None = None,
) -> None:
    """Load one file, adding its counts and problems to ``report``."""
    name = str(path)
    if not path.is_file():
        reason = "is a directory, not a file" if path.is_dir() else "no such file"
        report.problems.append(IngestProblem(name, None, reason))
        return
    reader = JsonRecordReader(path)
    listed_on_fallback = _date_in_file_name(path)
    records = _parse_all(reader, name, report, listings, listed_on_fallback)
    for batch in _batches(_with_origins(records, f"file:{path.name}"), BATCH_SIZE):
        with write_transaction(engine) as connection:
            apply_batch(connection, batch, report=report, now=now or datetime.now(UTC))
        if on_progress:
            on_progress(path, reader.position, reader.size)
    if on_progress:
        on_progress(path, reader.size, reader.size)


def _parse_all(
    reader: JsonRecordReader, name: str, report: IngestReport, listings: ListingMode, listed_on_fallback: date | None
) -> Iterator[ParsedRecord]:
    for item in reader:
        if not isinstance(item, RawRecord):
            if item.line is not None:  # a bad line is a rejected record; a cut-off file is not
                report.rejected += 1
            report.problems.append(IngestProblem(name, item.line, item.reason, item.column))
            continue
        try:
            yield parse_record(item.data, listings=listings, listed_on_fallback=listed_on_fallback)
        except InvalidInput as error:
            report.rejected += 1
            report.problems.append(IngestProblem(name, item.line, str(error)))


def _with_origins(records: Iterable[ParsedRecord], origin: str) -> Iterator[tuple[ParsedRecord, str]]:
    """Pair each record with its origin. A paper repeated within one file gets ``origin#2``,
    ``origin#3``..., so each occurrence keeps its own fingerprint and a rerun stays idempotent."""
    seen: set[str] = set()
    repeats: dict[str, int] = {}
    for record in records:
        paper_id = record.paper.id
        if paper_id in seen:
            repeats[paper_id] = repeats.get(paper_id, 1) + 1
            yield record, f"{origin}#{repeats[paper_id]}"
        else:
            seen.add(paper_id)
            yield record, origin


def parse_record(data: object, *, listings: ListingMode = "auto", listed_on_fallback: date | None = None) -> ParsedRecord:
    """Recognise a record's format and parse it. Raises :class:`InvalidInput` for a bad record."""
    if not isinstance(data, dict):
        raise InvalidInput(f"a record must be a JSON object, not {type(data).__name__}")
    if hf.looks_like_daily_papers_item(data):
        parsed = hf.parse_daily_papers_item(data, listed_on_fallback=listed_on_fallback)
        return parsed if listings != "none" else ParsedRecord(parsed.paper)
    if jsonl.looks_like_kaggle_record(data):
        return jsonl.parse_kaggle_record(data)
    return jsonl.parse_paperfeed_record(data, listings=listings)


def _date_in_file_name(path: Path) -> date | None:
    """``2024-05-27.json`` -> the day of a saved daily papers response."""
    stem = path.name.split(".")[0]
    try:
        return field_rules.parse_date_text(stem, field="file name") if len(stem) == 10 else None
    except PaperfeedError:
        return None


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
