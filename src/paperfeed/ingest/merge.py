"""Merging records into the database: normalise, deduplicate, upsert, fingerprints.

Every write is idempotent: a record equal to what its origin (the file it
came from) said before changes nothing, even where two origins disagree;
a changed record updates the stored paper (keeping the earlier title and
abstract as a revision), and the same paper with or without a version suffix
is one paper.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson
import sqlalchemy as sa

from paperfeed.db import listings as listings_repo
from paperfeed.db import papers as papers_repo
from paperfeed.models import PAPER_RECORD_FIELDS, ListingRecord, PaperRecord, ParsedRecord

# Columns whose change makes a paper "updated" (timestamps are bookkeeping, not content).
_CONTENT_COLUMNS = PAPER_RECORD_FIELDS
# A new paper starts from this; the record's own fields are laid over it.
_NEW_PAPER = {name: None for name in _CONTENT_COLUMNS} | {
    "abstract": "", "authors": [], "categories": [], "versions": [], "ai_keywords": [], "upvotes": 0, "num_comments": 0}


@dataclass(slots=True)
class IngestProblem:
    """A record or file part that was not loaded: where (the file's own line, 1-based, and for a
    JSON syntax error the column), and why. Printed as editors and compilers do: ``file:line:column: reason``."""

    file: str
    line: int | None
    reason: str
    column: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.line is not None and self.column is not None:
            where += f":{self.column}"
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
