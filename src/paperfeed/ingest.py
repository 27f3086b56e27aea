"""Bulk ingest: source -> normalise -> deduplicate -> upsert.

Every write is idempotent: a record equal to what its origin (the file it
came from) said before changes nothing, even where two origins disagree;
a changed record updates the stored paper (keeping the earlier title and
abstract as a revision), and the same paper with or without a version suffix
is one paper. Each bad record is reported with its file, line and reason; the
rest still loads. Work is committed batch by batch, so an interrupted ingest
keeps what it did and a rerun completes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import sqlalchemy as sa

from paperfeed.db import listings as listings_repo
from paperfeed.db.engine import write_transaction
from paperfeed.db import papers as papers_repo
from paperfeed.errors import InvalidInput, PaperfeedError
from paperfeed.models import PAPER_RECORD_FIELDS, ListingRecord, PaperRecord, ParsedRecord
from paperfeed.sources import fields as field_rules
from paperfeed.sources import hf, jsonl
from paperfeed.sources.jsonl import JsonRecordReader, ListingMode, RawRecord

BATCH_SIZE = 2_000

# Columns whose change makes a paper "updated" (timestamps are bookkeeping, not content).
_CONTENT_COLUMNS = PAPER_RECORD_FIELDS
# A new paper starts from this; the record's own fields are laid over it.
_NEW_PAPER = {name: None for name in _CONTENT_COLUMNS} | {
    "abstract": "", "authors": [], "categories": [], "versions": [], "ai_keywords": [], "upvotes": 0, "num_comments": 0}


@dataclass(slots=True)
class IngestProblem:
    """A record or file part that was not loaded."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.reason}"


@dataclass(slots=True)
class IngestReport:
    """What an ingest did, counted per record."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[IngestProblem] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.updated)

    def summary(self) -> str:
        text = (f"{self.added:,} added, {self.updated:,} updated, {self.unchanged:,} unchanged, "
                f"{self.rejected:,} rejected")
        if not self.changed_anything and not self.rejected:
            text += " (nothing to change: the database already holds these records)"
        return text


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
            report.problems.append(IngestProblem(name, item.line, item.reason))
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


def apply_batch(
    connection: sa.Connection, batch: Sequence[tuple[ParsedRecord, str]], *, report: IngestReport, now: datetime
) -> None:
    """Merge a batch of ``(record, origin)`` into the database, counting each as added, updated or unchanged.

    A record identical to what the same origin said last time is unchanged
    without further work; the others are merged field by field.
    """
    known = papers_repo.fetch_fingerprints(connection, [(record.paper.id, origin) for record, origin in batch])
    fresh: dict[tuple[str, str], tuple[ParsedRecord, str]] = {}
    for record, origin in batch:
        key = (record.paper.id, origin)
        fingerprint = record_fingerprint(record)
        if known.get(key) == fingerprint:
            report.unchanged += 1
        else:
            known[key] = fingerprint
            fresh[key] = (record, fingerprint)
    if fresh:
        _merge_records(connection, list(fresh.items()), report=report, now=now)


def _merge_records(
    connection: sa.Connection, records: list[tuple[tuple[str, str], tuple[ParsedRecord, str]]], *,
    report: IngestReport, now: datetime,
) -> None:
    ids = [key[0] for key, _ in records]
    stored_papers = papers_repo.fetch_paper_rows(connection, ids)
    stored_listings = listings_repo.fetch_listing_rows(connection, ids)
    new_papers: dict[str, dict] = {}
    new_listings: dict[str, dict] = {}
    revisions: list[dict] = []
    for _, (record, _) in records:
        paper_id = record.paper.id
        current = new_papers.get(paper_id) or stored_papers.get(paper_id)
        merged = merge_paper(current, record.paper, now=now)
        if current is not None and merged is not current and _title_or_abstract_changed(current, merged):
            revisions.append(_revision(current, now))
        current_listing = new_listings.get(paper_id) or stored_listings.get(paper_id)
        merged_listing = merge_listing(current_listing, record.listing, now=now)
        if merged is not current:
            new_papers[paper_id] = merged
        if merged_listing is not current_listing:
            new_listings[paper_id] = merged_listing
        if current is None:
            report.added += 1
        elif merged is not current or merged_listing is not current_listing:
            report.updated += 1
        else:
            report.unchanged += 1
    papers_repo.write_paper_rows(connection, list(new_papers.values()))
    papers_repo.record_revisions(connection, revisions)
    listings_repo.write_listing_rows(connection, list(new_listings.values()))
    papers_repo.write_fingerprints(connection, {key: fingerprint for key, (_, fingerprint) in records})


def record_fingerprint(record: ParsedRecord) -> str:
    """A 128-bit BLAKE2b hash of everything a record says (paper fields and listing)."""
    listing = record.listing
    payload = [record.paper.given_fields(),
               [listing.listed_on, listing.source, listing.submitted_by, listing.submitted_at] if listing else None]
    return hashlib.blake2b(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def merge_paper(current: dict | None, record: PaperRecord, *, now: datetime) -> dict:
    """The stored row after applying ``record``; returns ``current`` itself when nothing changes.

    Only the fields the record gives are applied. A record of an older arXiv
    version than the stored one does not roll back the title and abstract.
    """
    given = record.given_fields()
    if current is None:
        return {**_NEW_PAPER, **given, "created_at": now, "updated_at": now}
    if record.version and current["version"] and record.version < current["version"]:
        for stale in ("title", "abstract", "version", "authors"):
            given.pop(stale, None)
    if "versions" in given:
        given["versions"] = _merge_versions(current["versions"] or [], given["versions"])
    if "published_on" in given and current["published_on"]:
        # Sources give the submission day or the announcement day; the paper was public from the earliest.
        given["published_on"] = min(given["published_on"], current["published_on"])
    if all(current.get(name) == value for name, value in given.items()):
        return current
    return {**current, **given, "updated_at": now}


def _merge_versions(stored: list[dict], incoming: list[dict]) -> list[dict]:
    by_version = {entry["version"]: entry for entry in stored}
    by_version.update({entry["version"]: entry for entry in incoming})
    return sorted(by_version.values(), key=lambda entry: int(entry["version"].lstrip("v") or 0))


def _title_or_abstract_changed(before: dict, after: dict) -> bool:
    return before["title"] != after["title"] or (before["abstract"] or "") != (after["abstract"] or "")


def _revision(paper_row: dict, now: datetime) -> dict:
    return {"paper_id": paper_row["id"], "version": paper_row["version"], "title": paper_row["title"],
            "abstract": paper_row["abstract"] or "", "replaced_at": now}


def merge_listing(current: dict | None, record: ListingRecord | None, *, now: datetime) -> dict | None:
    """The stored listing after applying ``record``; ``current`` itself when nothing changes.

    A paper is listed once; a later record may move it to another day or fill
    in its submitter, but never turns a member's or editor's listing into an import,
    and an automatic listing (``source="auto"``) never moves one.
    """
    if record is None or (record.source == "auto" and current is not None):
        return current  # the auto-feature rule lists a paper once, on the day it was first fetched
    given = {"listed_on": record.listed_on, "source": record.source}
    if record.submitted_by is not None:
        given["submitted_by"] = record.submitted_by
    if record.submitted_at is not None:
        given["submitted_at"] = record.submitted_at
    if current is None:
        return {"paper_id": record.paper_id, "submitted_by": None, "submitted_at": None, **given, "created_at": now}
    if current["source"] in ("member", "editor"):
        given["source"] = current["source"]
    if all(current.get(name) == value for name, value in given.items()):
        return current
    return {**current, **given}
