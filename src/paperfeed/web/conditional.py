"""Conditional requests (RFC 9110, section 13): entity tags, ``If-None-Match`` and
``If-Modified-Since``. One place for pages, the API, feeds and covers."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime


def body_etag(body: bytes) -> str:
    """A weak entity tag of ``body`` (RFC 9110, 8.8.3): weak, because the same tag stands for the
    body as it is and gzipped (a different content coding is a different representation)."""
    return 'W/"' + hashlib.sha256(body).hexdigest()[:24] + '"'


def http_date(moment: datetime) -> str:
    """``moment`` as an HTTP date (IMF-fixdate, RFC 9110, 5.6.7)."""
    return format_datetime(moment, usegmt=True)


def not_modified(headers: Mapping[str, str], etag: str | None, modified: datetime | None) -> bool:
    """Whether a GET or HEAD with these request ``headers`` may be answered 304 Not Modified.

    RFC 9110, 13.2.2: ``If-None-Match`` is evaluated first and, when present, alone (weak
    comparison, 8.8.3.2: ``W/"x"`` matches ``"x"``; ``*`` matches any); otherwise
    ``If-Modified-Since``, an invalid date being ignored (13.1.3)."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if etag is None:
            return False
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since and modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        return since.tzinfo is not None and modified.replace(microsecond=0) <= since
    return False
