"""RSS 2.0 and Atom (RFC 4287) documents for lists of papers. Pure: papers in, bytes out.

The XML is written by feedgen. Everything in a feed is fixed by its papers
(the feed's ``updated`` / ``lastBuildDate`` is its newest paper's time, not
the time of the request), so the same list gives the same bytes and the web
layer can answer conditional GETs with an ETag (RFC 9110 §8.8.3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from feedgen.feed import FeedGenerator

import paperfeed
from paperfeed.ids import arxiv_pdf_url
from paperfeed.models import Paper

FORMATS = {"atom": "application/atom+xml; charset=utf-8", "rss": "application/rss+xml; charset=utf-8"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# XML 1.0 allows tab, newline, carriage return and these ranges; feed texts come from sources and members.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What the feed is: its title, a sentence about it, its own URL and the page it mirrors."""

    title: str
    description: str
    self_url: str
    page_url: str


@dataclass(frozen=True, slots=True)
class FeedEntry:
    paper: Paper
    url: str  # the paper's page on this site
    listed: datetime  # when it joined the list (listing day, or announcement day)
    note: str = ""  # "why you see this" for personal feeds


def entry(paper: Paper, base_url: str, *, listed: date | datetime | None = None, note: str = "") -> FeedEntry:
    """The paper as a feed entry, dated when it joined the list (default: its announcement day)."""
    when = listed or paper.published_on
    if isinstance(when, datetime):
        when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    elif isinstance(when, date):
        when = datetime.combine(when, time(0), tzinfo=UTC)
    else:
        when = paper.updated_at or EPOCH
    return FeedEntry(paper, f"{base_url.rstrip('/')}/papers/{paper.id}", when, note)


def last_modified(entries: list[FeedEntry]) -> datetime:
    """The newest change among the entries (a paper's new version, or a newer listing)."""
    newest = max((max(e.listed, e.paper.updated_at or EPOCH) for e in entries), default=EPOCH)
    return newest.astimezone(UTC).replace(microsecond=0)


def render(info: FeedInfo, entries: list[FeedEntry], fmt: str) -> bytes:
    """The feed as ``atom`` or ``rss`` bytes (UTF-8)."""
    feed = FeedGenerator()
    if fmt == "rss":
        feed.load_extension("dc")  # RSS's <author> wants an email address; dc:creator takes names
    feed.id(info.self_url)
    feed.title(_text(info.title))
    feed.description(_text(info.description) or _text(info.title))
    feed.link(href=info.self_url, rel="self", type=FORMATS[fmt].split(";")[0])
    feed.link(href=info.page_url, rel="alternate")  # last: RSS's channel <link> is the last link given
    feed.language("en")
    feed.generator("paperfeed", version=paperfeed.__version__)
    newest = last_modified(entries)
    feed.updated(newest)
    feed.lastBuildDate(newest)
    for item in entries:
        _add(feed, item, fmt)
    return feed.atom_str(pretty=True) if fmt == "atom" else feed.rss_str(pretty=True)


def _add(feed: FeedGenerator, item: FeedEntry, fmt: str) -> None:
    paper = item.paper
    added = feed.add_entry(order="append")
    added.id(item.url)
    added.guid(item.url, permalink=True)
    added.title(_text(paper.title) or paper.id)
    added.link(href=item.url)
    added.published(item.listed)
    added.updated(max(item.listed, paper.updated_at or EPOCH))
    authors = [_text(name) for name in paper.authors if _text(name)]
    if fmt == "atom":
        added.author([{"name": name} for name in authors] or [{"name": "unknown"}])
    elif authors:
        added.dc.dc_creator(authors)
    for category in paper.categories:
        added.category(term=_text(category))
    added.summary(_summary(item))


def _summary(item: FeedEntry) -> str:
    paper = item.paper
    parts = [f"Why you see this: {item.note}"] if item.note else []
    if paper.authors:
        shown = ", ".join(paper.authors[:10]) + (f" and {len(paper.authors) - 10} more" if len(paper.authors) > 10 else "")
        parts.append(shown)
    parts.append(paper.abstract or paper.ai_summary or "")
    if pdf := arxiv_pdf_url(paper.id):
        parts.append(f"PDF: {pdf}")
    return _text("\n\n".join(part for part in parts if part))


def _text(value: str | None) -> str:
    return _NOT_XML.sub("", value or "").strip()
