"""Keeping paperfeed up to date: arXiv through OAI-PMH, Hugging Face's daily papers.

Both fetchers are resumable and idempotent. Each page of results is merged
into the database in one transaction *together with* the fetcher's cursor
(an OAI resumption token, the last Hugging Face day done), so a fetch killed
at any moment resumes after the last page it stored, and a page fetched twice
changes nothing (record fingerprints, see :mod:`paperfeed.ingest`).

Why OAI-PMH for arXiv: ``ListRecords`` with ``from`` returns every paper new
or changed since a day, in a stable order, with resumption tokens to page
through thousands of records and with each version's date (``arXivRaw``), so
one mechanism serves both the daily update and a backfill of years. OAI sets
are archives (``cs``, ``math``, ``physics:hep-th``), so a fetch for cs.CL and
cs.LG harvests ``cs`` and keeps the papers in those categories, and a fetch for
the archive ``cs`` keeps all of them (:mod:`paperfeed.sources.arxiv_taxonomy`). The query
API serves single papers (submissions, :mod:`paperfeed.catalog.submissions`), and the
listing feed the latest announcement day in one request
(:func:`fetch_arxiv_latest`, ``paperfeed fetch arxiv --latest``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db import fetch_state
from paperfeed.db.engine import write_transaction
from paperfeed.errors import FetchError, InvalidInput, PaperfeedError
from paperfeed.formatting import counted
from paperfeed.ingest.merge import IngestProblem, IngestReport, apply_batch
from paperfeed.models import ListingRecord, ParsedRecord
from paperfeed.sources import hf
from paperfeed.sources.arxiv_oai import parse_oai_page
from paperfeed.sources.arxiv_taxonomy import oai_set_of, parse_categories, selects
from paperfeed.sources.arxiv_rss import parse_listing_feed
from paperfeed.sources.http import PoliteClient, user_agent

ARXIV_ORIGIN = "arxiv"
RSS_ORIGIN = "arxiv-rss"
HF_ORIGIN = "hf"
HF_PAGE_SIZE = 100

Clock = Callable[[], datetime]


@dataclass(slots=True)
class FetchReport(IngestReport):
    """An ingest report plus what the fetch itself met: requests, skipped records, failure.

    ``problems`` are the records that were rejected; ``failure`` is why the fetch stopped early
    (network, server error, broken answer), if it did: run it again to resume."""

    requests: int = 0
    skipped: int = 0  # records outside the asked categories
    failure: IngestProblem | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.failure is not None

    @property
    def read_anything(self) -> bool:
        """Whether any record came in (stored, already there, or rejected) before it stopped."""
        return bool(self.added or self.updated or self.unchanged or self.rejected)

    @property
    def outcome(self) -> str:
        return "failed" if self.failed else "partial" if self.rejected else "ok"

    def summary(self) -> str:
        """The counts; for a failed fetch, what failed first and what was stored before."""
        counts = IngestReport.summary(self)  # not super(): slots dataclasses break its zero-argument form
        if not self.failed:
            return counts
        return f"failed: {self.failure}; " + (f"before it stopped: {counts}" if self.read_anything
                                              else "nothing was stored")

    def counts(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "skipped": self.skipped, "requests": self.requests}


@dataclass(frozen=True, slots=True)
class AutoFeatureRule:
    """Fetched papers that are featured (listed) at once: by category or by author. Off when empty."""

    categories: frozenset[str] = frozenset()
    authors: frozenset[str] = frozenset()  # compared case-insensitively, whitespace collapsed

    @classmethod
    def from_settings(cls, settings) -> AutoFeatureRule:
        def names(text: str) -> frozenset[str]:
            return frozenset(" ".join(part.split()).lower() for part in text.split(",") if part.strip())

        text = settings.auto_feature_categories
        categories = parse_categories(text, field="PAPERFEED_AUTO_FEATURE_CATEGORIES") if text.strip() else ()
        return cls(frozenset(categories), names(settings.auto_feature_authors))

    def matches(self, record: ParsedRecord) -> bool:
        paper = record.paper
        if selects(self.categories, paper.categories):
            return True
        return bool(self.authors & {" ".join(name.split()).lower() for name in paper.authors or ()})


HF_REQUEST_INTERVAL_S = 1.0  # Hugging Face asks for no spacing; one request a second is polite


def fetch_source(
    engine: sa.Engine, settings: Settings, source: str, *, categories: str | None = None, since: date | None = None,
    until: date | None = None, day: date | None = None, latest: bool = False, today: date | None = None,
) -> FetchReport:
    """Fetch from ``source`` (``arxiv`` or ``hf``) with the settings' endpoints, user agent and
    spacing: the one entry point of `paperfeed fetch` and of the scheduler's daily jobs.

    arxiv: ``categories``, archives or categories (default ``PAPERFEED_FETCH_CATEGORIES``; an
    unknown name is an :class:`InvalidInput` listing the valid ones) over OAI-PMH from the stored
    cursor or ``since``..``until``, or with ``latest`` only the last announcement (the RSS feed).
    hf: the day ``day``, or the days from ``since`` (default: after the last one done) to ``today``.
    """
    agent = user_agent(settings.contact_email, settings.base_url)
    if source == "arxiv":
        wanted = (parse_categories(categories) if categories is not None
                  else parse_categories(settings.fetch_categories, field="PAPERFEED_FETCH_CATEGORIES"))
        rule = AutoFeatureRule.from_settings(settings)
        with PoliteClient(user_agent=agent, min_interval_s=settings.arxiv_delay_s) as client:
            if latest:
                return fetch_arxiv_latest(engine, client, rss_url=settings.arxiv_rss_url, categories=wanted,
                                          auto_feature=rule)
            return fetch_arxiv(engine, client, oai_url=settings.arxiv_oai_url, categories=wanted, since=since,
                               until=until, auto_feature=rule)
    if source == "hf":
        days = hf_days_to_fetch(engine, day=day, since=since, today=today or datetime.now(UTC).date())
        with PoliteClient(user_agent=agent, min_interval_s=HF_REQUEST_INTERVAL_S) as client:
            return fetch_hf(engine, client, api_url=settings.hf_api_url, days=days)
    raise InvalidInput(f"unknown source {source!r}: use arxiv or hf", field="source")


def fetch_arxiv(
    engine: sa.Engine, client: PoliteClient, *, oai_url: str, categories: Sequence[str], since: date | None = None,
    until: date | None = None, clock: Clock = lambda: datetime.now(UTC), auto_feature: AutoFeatureRule | None = None,
) -> FetchReport:
    """Harvest the papers of ``categories`` (arXiv archives or categories, as :func:`parse_categories`
    gives them) new or changed since ``since`` (default: where the
    last run stopped, or yesterday on the first run). Papers the ``auto_feature`` rule matches
    are listed on the day they are fetched."""
    report = FetchReport()
    wanted = set(categories)
    for set_spec in sorted({oai_set_of(category) for category in categories}):
        source = f"arxiv-oai:{set_spec}"
        _harvest_set(engine, client, oai_url, set_spec, source, wanted, since, until, report, clock,
                     auto_feature or AutoFeatureRule())
        with write_transaction(engine) as connection:
            fetch_state.record_run(connection, source, outcome=report.outcome, message=_message(report),
                                   counts=report.counts(), now=clock())
    return report


def _harvest_set(
    engine: sa.Engine, client: PoliteClient, oai_url: str, set_spec: str, source: str, wanted: set[str],
    since: date | None, until: date | None, report: FetchReport, clock: Clock, auto_feature: AutoFeatureRule,
) -> None:
    with engine.connect() as connection:
        cursor = dict(fetch_state.get_state(connection, source).cursor)
    if since is not None or not cursor.get("from"):
        start = since or (clock().date() - timedelta(days=1))
        cursor = {"from": start.isoformat()}  # an explicit --since starts a new harvest
    started_on = clock().date().isoformat()
    restarted = False
    while True:
        token = cursor.get("token")
        params = ({"verb": "ListRecords", "resumptionToken": token} if token else
                  {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": set_spec, "from": cursor["from"]}
                  | ({"until": until.isoformat()} if until else {}))
        try:
            report.requests += 1
            answer = client.get(oai_url, params)
        except FetchError as error:
            _fail(report, error.url, error.reason)
            return
        page = parse_oai_page(answer.body)
        where = answer.url
        for problem in page.problems:
            _problem(report, where, problem)
        report.rejected += len(page.problems)
        if page.error_code == "badResumptionToken" and token and not restarted:
            report.notes.append(f"{source}: the resumption token expired; restarting from {cursor['from']}")
            cursor, restarted = {"from": cursor["from"]}, True
            continue
        if page.error_code == "noRecordsMatch":
            next_cursor: dict = {"from": started_on}
        elif page.error_code:
            _fail(report, where, f"OAI error {page.error_code}: {page.error_message}")
            return
        elif token and page.resumption_token == token:
            _fail(report, where, "the server answered with the token it was given; stopping instead of looping")
            return
        elif page.broken or answer.truncated:
            _fail(report, where, page.broken or "the answer was too large and was cut off")
            next_cursor = cursor  # the good records are kept; the page is asked for again next time
        else:
            next_cursor = ({"from": cursor["from"], "token": page.resumption_token} if page.resumption_token
                           else {"from": started_on})
        with write_transaction(engine) as connection:
            _store_arxiv(connection, page.records, ARXIV_ORIGIN, wanted, auto_feature, report, clock())
            fetch_state.save_cursor(connection, source, next_cursor, now=clock())
        cursor = next_cursor
        if report.failed or not cursor.get("token"):
            return


def fetch_arxiv_latest(
    engine: sa.Engine, client: PoliteClient, *, rss_url: str, categories: Sequence[str],
    clock: Clock = lambda: datetime.now(UTC), auto_feature: AutoFeatureRule | None = None,
) -> FetchReport:
    """The latest announcement day of ``categories`` from arXiv's listing feed: one request for
    all of them (``/rss/cs.CL+cs.LG``), with each paper's announce type; a cut-off feed keeps the
    entries before the break."""
    report = FetchReport()
    source = "arxiv-rss:" + "+".join(sorted(categories))
    url = f"{rss_url.rstrip('/')}/rss/{'+'.join(categories)}"
    rule = auto_feature or AutoFeatureRule()
    try:
        report.requests += 1
        answer = client.get(url)
    except FetchError as error:
        _fail(report, error.url, error.reason)
    else:
        feed = parse_listing_feed(answer.body)
        for problem in feed.problems:
            _problem(report, answer.url, problem)
        report.rejected += len(feed.problems)
        if feed.broken:
            _fail(report, answer.url, feed.broken)
        with write_transaction(engine) as connection:
            _store_arxiv(connection, feed.records, RSS_ORIGIN, set(categories), rule, report, clock())
            if feed.day and not feed.broken:
                fetch_state.save_cursor(connection, source, {"last_day": feed.day.isoformat()}, now=clock())
    with write_transaction(engine) as connection:
        fetch_state.record_run(connection, source, outcome=report.outcome, message=_message(report),
                               counts=report.counts(), now=clock())
    return report


def fetch_hf(
    engine: sa.Engine, client: PoliteClient, *, api_url: str, days: Iterable[date],
    clock: Clock = lambda: datetime.now(UTC),
) -> FetchReport:
    """Fetch the Hugging Face daily list of each day: papers and listings with their upvotes,
    submitter, code and project links; a later fetch updates upvotes and stars."""
    report = FetchReport()
    for day in days:
        records, complete = _hf_day(client, api_url, day, report)
        with write_transaction(engine) as connection:
            apply_batch(connection, [(record, HF_ORIGIN) for record in _unique(records)], report=report, now=clock())
            if complete:
                done = fetch_state.get_state(connection, "hf").cursor.get("done_through")
                if not done or done < day.isoformat():
                    fetch_state.save_cursor(connection, "hf", {"done_through": day.isoformat()}, now=clock())
        if not complete:
            break
    with write_transaction(engine) as connection:
        fetch_state.record_run(connection, "hf", outcome=report.outcome, message=_message(report),
                               counts=report.counts(), now=clock())
    return report


def hf_days_to_fetch(engine: sa.Engine, *, day: date | None, since: date | None, today: date) -> list[date]:
    """``--date D``: D. ``--since D``: D to today. Neither: the day after the last one done (at most
    a week back), through today."""
    if day is not None:
        return [day]
    if since is None:
        with engine.connect() as connection:
            done = fetch_state.get_state(connection, "hf").cursor.get("done_through")
        since = max(date.fromisoformat(done), today - timedelta(days=7)) if done else today
    if since > today:
        raise InvalidInput(f"{since} is in the future", field="since")
    return [since + timedelta(days=n) for n in range((today - since).days + 1)]


def _hf_day(client: PoliteClient, api_url: str, day: date, report: FetchReport) -> tuple[list[ParsedRecord], bool]:
    """The day's items, page by page; ``complete`` is False when a page failed (``report.failure``)."""
    records: list[ParsedRecord] = []
    url = f"{api_url.rstrip('/')}/daily_papers"
    for page in range(100):
        params = {"date": day.isoformat(), "limit": HF_PAGE_SIZE, "p": page}
        try:
            report.requests += 1
            answer = client.get(url, params)
        except FetchError as error:
            _fail(report, error.url, error.reason)
            return records, False
        try:
            items = json.loads(answer.body)
        except ValueError as error:
            _fail(report, answer.url, f"not JSON ({error}); nothing from this page was stored")
            return records, False
        if not isinstance(items, list):
            _fail(report, answer.url, "expected a JSON list of daily papers")
            return records, False
        for position, item in enumerate(items, start=1):
            try:
                if not isinstance(item, dict):
                    raise InvalidInput("an item must be a JSON object")
                records.append(hf.parse_daily_papers_item(item, listed_on_fallback=day))
            except PaperfeedError as error:
                report.rejected += 1
                _problem(report, answer.url, f"item {page * HF_PAGE_SIZE + position}: {error}")
        if len(items) < HF_PAGE_SIZE:
            return records, True
    return records, True


def _store_arxiv(connection: sa.Connection, records: list[ParsedRecord], origin: str, wanted: set[str],
                 rule: AutoFeatureRule, report: FetchReport, now: datetime) -> None:
    """Merge the records in the asked archives and categories (the others are counted as skipped),
    listing those the auto-feature rule matches."""
    chosen = [_featured(record, now) if rule.matches(record) else record
              for record in records if selects(wanted, record.paper.categories)]
    report.skipped += len(records) - len(chosen)
    apply_batch(connection, [(record, origin) for record in _unique(chosen)], report=report, now=now)


def _featured(record: ParsedRecord, now: datetime) -> ParsedRecord:
    """The record with a listing today by the auto-feature rule (an existing listing is kept)."""
    return ParsedRecord(record.paper, ListingRecord(record.paper.id, now.date(), "auto", submitted_by="auto-feature",
                                                    submitted_at=now))


def _unique(records: Iterable[ParsedRecord]) -> list[ParsedRecord]:
    """One record per paper (the last), so a page listing a paper twice stays idempotent."""
    return list({record.paper.id: record for record in records}.values())


def _problem(report: FetchReport, where: str, reason: str) -> None:
    report.problems.append(IngestProblem(where, None, reason))


def _fail(report: FetchReport, where: str, reason: str) -> None:
    """The fetch stops here: the first failure is the one reported (later ones follow from it)."""
    if report.failure is None:
        report.failure = IngestProblem(where, None, reason)


def _message(report: FetchReport) -> str:
    text = report.summary()
    if report.problems:
        text += f"; {counted(len(report.problems), 'record')} rejected, first: {report.problems[0]}"
    return text
