"""arXiv's listing feeds (https://info.arxiv.org/help/rss.html): the latest announcement of a category.

``rss.arxiv.org/rss/cs.CL+cs.LG`` (RSS 2.0) or ``/atom/...`` (Atom) lists the
papers announced today: each item's description starts
``arXiv:2604.22002v1 Announce Type: new`` (or ``cross``, ``replace``,
``replace-cross``) then ``Abstract: ...``; authors are one ``dc:creator``
string. Parsing streams and is tolerant: a feed cut off mid-entry keeps the
entries before the break (arXiv has served such feeds).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import iterparse

from paperfeed.errors import PaperfeedError
from paperfeed.formatting import counted
from paperfeed.models import ParsedRecord
from paperfeed.sources.jsonl import parse_paperfeed_record, split_author_string

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
_HEAD = re.compile(r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?", re.IGNORECASE)
_ID_IN_TEXT = re.compile(r"(?:abs/|arXiv\.org:)(?P<id>[^\s/]+(?:/\d{7})?(?:v\d+)?)$")


@dataclass(slots=True)
class ListingFeed:
    records: list[ParsedRecord] = field(default_factory=list)
    announce_types: dict[str, str] = field(default_factory=dict)  # paper id -> new | cross | replace ...
    problems: list[str] = field(default_factory=list)
    day: date | None = None  # the announcement day
    broken: str | None = None


def parse_listing_feed(body: bytes) -> ListingFeed:
    """Read an RSS 2.0 or Atom listing feed; never raises for bad content."""
    feed = ListingFeed()
    position = 0
    try:
        for _event, element in iterparse(io.BytesIO(body), events=("end",), forbid_dtd=True):
            if element.tag in ("item", f"{ATOM}entry"):
                position += 1
                _read_entry(element, position, feed)
                element.clear()
            elif element.tag == "pubDate" and feed.day is None:
                feed.day = _rfc2822_day(element.text)
    except ParseError as error:
        feed.broken = f"the feed breaks after {counted(position, 'entry')} ({error})"
    except DefusedXmlException as error:
        feed.broken = f"refused XML: {type(error).__name__}"
    return feed


def _read_entry(element: Element, position: int, feed: ListingFeed) -> None:
    atom = element.tag.startswith(ATOM)
    text = (element.findtext(f"{ATOM}summary") if atom else element.findtext("description")) or ""
    head = _HEAD.match(text)
    identifier = head["id"] if head else _id_from(element, atom)
    announce = head["type"].lower() if head else "new"
    day = (_iso_day(element.findtext(f"{ATOM}updated")) if atom else _rfc2822_day(element.findtext("pubDate")))
    if day and feed.day is None:
        feed.day = day
    categories = ([c.get("term") for c in element.findall(f"{ATOM}category") if c.get("term")] if atom
                  else [c.text.strip() for c in element.findall("category") if c.text and c.text.strip()])
    data = {
        "id": identifier, "title": element.findtext(f"{ATOM}title") if atom else element.findtext("title"),
        "abstract": text[head.end():] if head else text, "categories": categories or None,
        "authors": split_author_string(element.findtext(f"{DC}creator") or "") or None,
        "listed": False,
    }
    if announce == "new" and day:
        data["date"] = day.isoformat()  # first announced today: the paper's date
    try:
        record = parse_paperfeed_record({key: value for key, value in data.items() if value is not None})
    except PaperfeedError as error:
        feed.problems.append(f"entry {position} ({identifier or 'no id'}): {error}")
        return
    feed.records.append(record)
    feed.announce_types[record.paper.id] = announce


def _id_from(element: Element, atom: bool) -> str | None:
    for candidate in ((element.findtext(f"{ATOM}id") if atom else element.findtext("guid")),
                      (element.findtext("link") if not atom else None)):
        if candidate and (match := _ID_IN_TEXT.search(candidate.strip())):
            return match["id"]
    return None


def _rfc2822_day(text: str | None) -> date | None:
    try:
        return parsedate_to_datetime(text).date() if text else None
    except (TypeError, ValueError):
        return None


def _iso_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None
