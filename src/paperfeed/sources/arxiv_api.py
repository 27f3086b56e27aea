"""arXiv's query API (https://info.arxiv.org/help/api/user-manual.html): Atom feeds of papers.

paperfeed uses it for single papers (a member's submission): ``id_list=2406.01234``.
Each ``<entry>`` is a paper at its latest version (``<id>http://arxiv.org/abs/2406.01234v2</id>``);
an unknown id yields an empty feed, a malformed one an entry whose id points at
``/api/errors`` (with HTTP 400). Both the 2016 and the 2026 formats are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import fromstring

from paperfeed.errors import PaperfeedError
from paperfeed.models import ParsedRecord
from paperfeed.sources import fields
from paperfeed.sources.jsonl import parse_paperfeed_record

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


@dataclass(slots=True)
class ApiFeed:
    records: list[ParsedRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    total_results: int | None = None
    error: str | None = None  # arXiv's own error text ("incorrect id format for abc"), or why the feed is unreadable


def parse_api_feed(body: bytes) -> ApiFeed:
    """Read a query API answer; never raises for bad content."""
    feed = ApiFeed()
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as error:
        feed.error = f"not a readable Atom feed ({type(error).__name__}: {error})"
        return feed
    total = root.findtext(f"{OPENSEARCH}totalResults")
    feed.total_results = int(total) if total and total.strip().isdigit() else None
    for position, entry in enumerate(root.findall(f"{ATOM}entry"), start=1):
        entry_id = (entry.findtext(f"{ATOM}id") or "").strip()
        if "/api/errors" in entry_id:
            feed.error = fields.collapse_whitespace(entry.findtext(f"{ATOM}summary") or "error")
            continue
        try:
            feed.records.append(parse_entry(entry))
        except PaperfeedError as error:
            feed.problems.append(f"entry {position} ({entry_id or 'no id'}): {error}")
    return feed


def parse_entry(entry: Element) -> ParsedRecord:
    """One ``<entry>``: the paper at its latest version."""
    entry_id = (entry.findtext(f"{ATOM}id") or "").strip()
    primary = entry.find(f"{ARXIV}primary_category")
    data = {
        "id": entry_id.rsplit("/abs/", 1)[-1] if "/abs/" in entry_id else entry_id,
        "title": entry.findtext(f"{ATOM}title"),
        "abstract": entry.findtext(f"{ATOM}summary"),
        "authors": [name for author in entry.findall(f"{ATOM}author")
                    if (name := (author.findtext(f"{ATOM}name") or "").strip())] or None,
        "published_on": (entry.findtext(f"{ATOM}published") or "")[:10] or None,
        "categories": [c.get("term") for c in entry.findall(f"{ATOM}category") if c.get("term")] or None,
        "primary_category": primary.get("term") if primary is not None else None,
        "doi": (entry.findtext(f"{ARXIV}doi") or "").split()[:1] or None,
        "comments": entry.findtext(f"{ARXIV}comment"),
        "listed": False,
    }
    data["doi"] = data["doi"][0] if data["doi"] else None
    return parse_paperfeed_record({key: value for key, value in data.items() if value is not None})
