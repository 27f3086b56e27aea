"""Validation of single fields of an input record.

Each helper returns the clean value or raises :class:`RecordError` naming the
field and the reason, so a bad record is reported precisely and skipped.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from paperfeed.errors import InvalidInput, RecordError
from paperfeed.periods import parse_day

TITLE_MAX_CHARS = 2_000
ABSTRACT_MAX_CHARS = 100_000
TEXT_MAX_CHARS = 20_000
NAME_MAX_CHARS = 300
MAX_AUTHORS = 10_000
MAX_LIST_ITEMS = 500
URL_MAX_CHARS = 2_000

_WHITESPACE = re.compile(r"\s+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# Control characters other than tab, newline and carriage return are dropped (str.translate: one pass).
_DROP_CONTROL_CHARS = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_DATE_PREFIX = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def collapse_whitespace(text: str) -> str:
    """One line: runs of whitespace (arXiv's hard line breaks) become one space."""
    return " ".join(text.translate(_DROP_CONTROL_CHARS).split())


def unwrap_paragraphs(text: str) -> str:
    """Undo hard line wrapping but keep paragraph breaks (blank lines) as ``\\n\\n``."""
    text = text.translate(_DROP_CONTROL_CHARS)
    if "\n" not in text:  # the common case: an abstract already on one line
        return " ".join(text.split())
    paragraphs = _PARAGRAPH_BREAK.split(text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def _check_length(name: str, text: str, limit: int) -> str:
    if len(text) > limit:
        raise RecordError(f"{len(text):,} characters is over the limit of {limit:,}", field=name)
    return text


def required_title(data: dict, name: str = "title") -> str:
    """The title: required, one line, at most TITLE_MAX_CHARS."""
    value = data.get(name)
    if value is None:
        raise RecordError("missing (every paper needs a title)", field=name)
    if not isinstance(value, str):
        raise RecordError(f"must be text, not {type(value).__name__}", field=name)
    title = collapse_whitespace(value)
    if not title:
        raise RecordError("is empty (every paper needs a title)", field=name)
    return _check_length(name, title, TITLE_MAX_CHARS)


def optional_text(data: dict, name: str, *, limit: int = TEXT_MAX_CHARS, paragraphs: bool = False) -> str | None:
    """Free text (abstract, comments): None if absent, wrapping undone, length-limited."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"must be text, not {type(value).__name__}", field=name)
    # Check the raw length first so a 5 MB value is refused before any work on it.
    _check_length(name, value, limit * 2)
    text = unwrap_paragraphs(value) if paragraphs else collapse_whitespace(value)
    return _check_length(name, text, limit)


def optional_name(data: dict, name: str) -> str | None:
    """A short one-line name (submitter, organization, category): None if absent or empty."""
    text = optional_text(data, name, limit=NAME_MAX_CHARS)
    return text or None


def name_list(value: object, name: str, *, limit: int = MAX_LIST_ITEMS) -> list[str] | None:
    """A list of short strings (authors, categories, keywords). ``[{"name": ...}]`` is accepted too."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise RecordError(f"must be a list, not {type(value).__name__}", field=name)
    if len(value) > limit:
        raise RecordError(f"{len(value):,} entries is over the limit of {limit:,}", field=name)
    names = []
    for position, item in enumerate(value, 1):
        if isinstance(item, dict):
            item = item.get("name")
        if not isinstance(item, str):
            raise RecordError(f"entry {position} must be text, not {type(item).__name__}", field=name)
        text = collapse_whitespace(item)
        if len(text) > NAME_MAX_CHARS:
            raise RecordError(f"entry {position} is over {NAME_MAX_CHARS} characters", field=name)
        if text:
            names.append(text)
    return names


def optional_count(data: dict, name: str) -> int | None:
    """A non-negative integer (upvotes, stars): None if absent."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise RecordError(f"must be a whole number, not {value!r}"[:200], field=name)
    if value < 0:
        raise RecordError(f"must not be negative ({value})", field=name)
    if value > 2**31 - 1:
        raise RecordError(f"{value} is too large", field=name)
    return int(value)


def optional_date(data: dict, name: str) -> date | None:
    """A calendar date ``YYYY-MM-DD`` (a full ISO timestamp is cut to its date): None if absent."""
    value = data.get(name)
    if value is None or value == "":
        return None
    return parse_date_text(value, field=name)


def parse_date_text(value: object, *, field: str) -> date:
    """A record's ``YYYY-MM-DD`` (or the date part of an ISO timestamp): the day part is checked by
    :func:`paperfeed.periods.parse_day`, the one strict parser of days; its errors become
    :class:`RecordError` (the record is skipped, the file goes on)."""
    if not isinstance(value, str):
        raise RecordError(f"must be a YYYY-MM-DD date, not {type(value).__name__}", field=field)
    match = _DATE_PREFIX.match(value.strip())
    if not match:
        raise RecordError(f"{value[:40]!r} is not a YYYY-MM-DD date", field=field)
    try:
        return parse_day(match[0], field=field)
    except InvalidInput as error:
        raise RecordError(error.reason, field=field) from None


def optional_timestamp(data: dict, name: str) -> datetime | None:
    """An ISO 8601 timestamp (``2025-06-02T03:18:21.654Z``), as aware UTC: None if absent."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(f"must be an ISO 8601 timestamp, not {type(value).__name__}", field=name)
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise RecordError(f"{value[:40]!r} is not an ISO 8601 timestamp", field=name) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def optional_url(data: dict, name: str) -> str | None:
    """An http(s) URL (links on the page must never be ``javascript:``): None if absent or empty."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(f"must be a URL, not {type(value).__name__}", field=name)
    # A URL holds no whitespace; the line breaks some sources wrap long URLs with are dropped.
    url = _WHITESPACE.sub("", value)
    if not url.lower().startswith(("https://", "http://")) or len(url) < 10:
        raise RecordError(f"{url[:80]!r} is not an http(s) URL", field=name)
    return _check_length(name, url, URL_MAX_CHARS)


def organization_name(value: object) -> str | None:
    """An organization as a name; the Hugging Face API gives ``{name, fullname, ...}``."""
    if isinstance(value, dict):
        value = value.get("fullname") or value.get("name")
    return optional_name({"organization": value}, "organization")
