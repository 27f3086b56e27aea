"""Bulk files: reading JSON Lines / JSON documents (gzip or plain), our record format
and the Kaggle arXiv snapshot format.

Reading is separate from parsing: :class:`JsonRecordReader` yields each record
(or the reason a line could not be read) with its line number; the ``parse_*``
functions are pure and turn one decoded record into a :class:`ParsedRecord`.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO, Literal

import orjson

from paperfeed.errors import RecordError
from paperfeed.ids import parse_paper_id
from paperfeed.models import ListingRecord, PaperRecord, ParsedRecord
from paperfeed.sources import fields

ListingMode = Literal["auto", "all", "none"]

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
# Lines longer than this are refused unread: no real record is near it.
MAX_LINE_BYTES = 16 * 1024 * 1024


@dataclass(slots=True)
class RawRecord:
    """One decoded JSON value and where it was found (``line`` is 1-based)."""

    line: int
    data: object
    location: str


@dataclass(slots=True)
class ReadProblem:
    """A part of the file that could not be read, and why: its line in the file (1-based) and,
    for a JSON syntax error, the column (1-based, in characters)."""

    line: int | None
    reason: str
    column: int | None = None


class JsonRecordReader:
    """Iterate the records of a JSON Lines file, or the items of a JSON array document.

    gzip is detected from the file's magic bytes, not its name. ``position`` and
    ``size`` are in bytes of the file on disk, for progress bars.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = path.stat().st_size
        self._raw: BinaryIO | None = None

    @property
    def position(self) -> int:
        if self._raw is None or self._raw.closed:
            return self.size
        return self._raw.tell()

    def __iter__(self) -> Iterator[RawRecord | ReadProblem]:
        try:
            raw_file = self.path.open("rb")
        except OSError as error:
            yield ReadProblem(None, f"cannot read the file ({error.strerror})")
            return
        with raw_file as raw:
            self._raw = raw
            is_gzip = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if is_gzip else raw
            yield from self._records(stream)

    def _records(self, stream: BinaryIO) -> Iterator[RawRecord | ReadProblem]:
        line_number = 0
        try:
            first, skipped = _peek_first_byte(stream)
            if first.startswith(b"["):
                # The whitespace before the document is given back, so JSON errors name the file's lines.
                yield from _array_items(skipped + first + stream.read())
                return
            before, newline, indent = skipped.rpartition(b"\n")  # blank lines, then the first line's indent
            start = 1 + before.count(b"\n") + len(newline)
            for line_number, line in enumerate(_lines(stream, indent + first), start):
                if line.strip():
                    yield _decode_line(line, line_number)
        except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as error:
            yield ReadProblem(
                None,
                f"the file is truncated or corrupt after line {line_number} ({error}); "
                "the records before that point were read",
            )


def _peek_first_byte(stream: BinaryIO) -> tuple[bytes, bytes]:
    """Skip leading whitespace and a UTF-8 byte order mark; return the first byte (b'' if empty) and
    the whitespace skipped (so line and column numbers can still count it)."""
    skipped = b""
    while True:
        byte = stream.read(1)
        if byte == _BOM[:1]:
            rest = stream.read(2)
            if rest == _BOM[1:]:
                continue
            return byte + rest, skipped
        if byte == b"" or not byte.isspace():
            return byte, skipped
        skipped += byte


def _lines(stream: BinaryIO, first: bytes) -> Iterator[bytes]:
    """Lines of ``stream``, the first one prefixed with the byte already peeked."""
    pending = first
    for line in iter(lambda: stream.readline(MAX_LINE_BYTES + 1), b""):
        if pending:
            line, pending = pending + line, b""
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            # Discard the rest of the oversized line so the next line starts clean.
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            line = b"{oversized}"
        yield line
    if pending:
        yield pending


def _decode_line(line: bytes, line_number: int) -> RawRecord | ReadProblem:
    if line == b"{oversized}":
        return ReadProblem(line_number, f"line is longer than {MAX_LINE_BYTES // 2**20} MB")
    try:
        return RawRecord(line_number, orjson.loads(line), f"line {line_number}")
    except orjson.JSONDecodeError as error:
        # The parser counts lines within this one line: past its end means the record ended too soon.
        if error.lineno > 1:
            column = len(line.rstrip(b"\r\n").decode("utf-8", "replace")) + 1
            return ReadProblem(line_number, "not valid JSON: the line ends before the record does (one record "
                               "per line: is a record split over several lines?)", column)
        return ReadProblem(line_number, f"not valid JSON ({error.msg})", error.colno)


def _array_items(document: bytes) -> Iterator[RawRecord | ReadProblem]:
    try:
        items = orjson.loads(document)
    except orjson.JSONDecodeError as error:
        yield ReadProblem(error.lineno, f"the JSON document is not valid JSON ({error.msg})", error.colno)
        return
    for index, item in enumerate(items, 1):
        yield RawRecord(index, item, f"item {index}")


def parse_paperfeed_record(data: dict, *, listings: ListingMode = "auto") -> ParsedRecord:
    """A record in paperfeed's bulk format (see docs/data-format.md).

    ``date`` is the listing day for records that carry community data
    (``upvotes`` / ``submitted_by``) or ``listed: true``, else the paper's date.
    """
    paper_id = _record_id(data)
    day = fields.optional_date(data, "date")
    published = fields.optional_date(data, "published_at") or fields.optional_date(data, "published_on")
    paper = PaperRecord(
        id=paper_id.canonical,
        title=fields.required_title(data),
        version=paper_id.version,
        abstract=fields.optional_text(data, "abstract", limit=fields.ABSTRACT_MAX_CHARS, paragraphs=True),
        authors=fields.name_list(data.get("authors"), "authors", limit=fields.MAX_AUTHORS),
        published_on=published or day,
        categories=fields.name_list(data.get("categories"), "categories"),
        primary_category=fields.optional_name(data, "primary_category"),
        doi=fields.optional_name(data, "doi"),
        comments=fields.optional_text(data, "comments"),
        github_repo=fields.optional_url(data, "github_repo"),
        github_stars=fields.optional_count(data, "github_stars"),
        project_page=fields.optional_url(data, "project_page"),
        ai_summary=fields.optional_text(data, "ai_summary"),
        ai_keywords=fields.name_list(data.get("ai_keywords"), "ai_keywords"),
        organization=fields.organization_name(data.get("organization")),
        thumbnail=fields.optional_url(data, "thumbnail"),
        upvotes=fields.optional_count(data, "upvotes"),
        num_comments=fields.optional_count(data, "num_comments"),
    )
    listing = None
    if day is not None and _is_listing(data, listings):
        listing = ListingRecord(
            paper_id=paper.id,
            listed_on=day,
            source="import",
            submitted_by=fields.optional_name(data, "submitted_by"),
            submitted_at=fields.optional_timestamp(data, "submitted_on_daily_at"),
        )
    return ParsedRecord(paper, listing)


def _is_listing(data: dict, mode: ListingMode) -> bool:
    if mode != "auto":
        return mode == "all"
    if "listed" in data:
        return data["listed"] is True
    return data.get("upvotes") is not None or data.get("submitted_by") is not None


def parse_kaggle_record(data: dict) -> ParsedRecord:
    """A record of the Kaggle arXiv metadata snapshot (``arxiv-metadata-oai-snapshot.json``).

    Fields: ``id, title, abstract, authors`` (one string), ``authors_parsed``
    (``[[last, first, suffix]]``), ``categories`` (space separated),
    ``versions`` (``[{version: "v1", created: RFC 2822 date}]``), ``update_date``,
    ``doi``, ``comments``. Snapshot records are papers, never listings.
    """
    paper_id = _record_id(data)
    versions = _kaggle_versions(data.get("versions"))
    categories = data.get("categories")
    if isinstance(categories, str):
        categories = categories.split()
    first_version = versions[0]["created"] if versions else None
    paper = PaperRecord(
        id=paper_id.canonical,
        title=fields.required_title(data),
        version=_latest_version(versions) or paper_id.version,
        abstract=fields.optional_text(data, "abstract", limit=fields.ABSTRACT_MAX_CHARS, paragraphs=True),
        authors=_kaggle_authors(data),
        published_on=fields.parse_date_text(first_version, field="versions") if first_version
        else fields.optional_date(data, "update_date"),
        categories=fields.name_list(categories, "categories"),
        primary_category=categories[0] if categories else None,
        versions=versions or None,
        doi=fields.optional_name(data, "doi"),
        comments=fields.optional_text(data, "comments"),
    )
    return ParsedRecord(paper, None)


def _record_id(data: dict):
    if "id" not in data or data["id"] in (None, ""):
        raise RecordError("missing (every paper needs an id)", field="id")
    raw_id = data["id"]
    if isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
        raise RecordError(f"{raw_id!r} is a number; write arXiv ids as strings (\"0704.0001\")", field="id")
    return parse_paper_id(raw_id)


def _kaggle_versions(value: object) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError("must be a list of {version, created}", field="versions")
    versions = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
            raise RecordError("each entry needs a version like 'v1'", field="versions")
        created = entry.get("created")
        try:
            created_iso = parsedate_to_datetime(created).date().isoformat() if created else None
        except (TypeError, ValueError) as error:
            raise RecordError(f"{created!r} is not an RFC 2822 date", field="versions") from error
        versions.append({"version": entry["version"], "created": created_iso})
    return versions


def _latest_version(versions: list[dict]) -> int | None:
    numbers = [int(v["version"][1:]) for v in versions if v["version"][1:].isdigit()]
    return max(numbers) if numbers else None


def _kaggle_authors(data: dict) -> list[str] | None:
    parsed = data.get("authors_parsed")
    if isinstance(parsed, list) and all(isinstance(p, list) for p in parsed):
        names = [" ".join(part for part in (p[1:2] + p[0:1] + p[2:3]) if isinstance(part, str) and part)
                 for p in parsed]
        return fields.name_list(names, "authors_parsed", limit=fields.MAX_AUTHORS)
    authors = data.get("authors")
    if isinstance(authors, str):
        authors = split_author_string(authors)
    return fields.name_list(authors, "authors", limit=fields.MAX_AUTHORS)


def split_author_string(text: str) -> list[str]:
    """``"A. One, B. Two and C. Three"`` -> three names."""
    names = []
    for part in fields.collapse_whitespace(text).split(","):
        names.extend(name for name in part.split(" and ") if name.strip())
    return names


def looks_like_kaggle_record(data: dict) -> bool:
    """Kaggle snapshot records have ``versions`` / ``authors_parsed`` / ``update_date``."""
    return "authors_parsed" in data or "update_date" in data or isinstance(data.get("versions"), list)
