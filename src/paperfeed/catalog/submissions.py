"""A member submits an arXiv paper: paperfeed fetches it from arXiv's query API and lists it today.

Clear answers for each way it can go wrong: a malformed id or link, an id
arXiv does not know, a paper already listed (on which day), arXiv not
answering. A paper paperfeed already holds (from ``fetch arxiv``) is listed
without asking arXiv again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from paperfeed.db import listings as listings_repo
from paperfeed.db import papers as papers_repo
from paperfeed.db.engine import write_transaction
from paperfeed.errors import AlreadyListed, FetchError, InvalidInput, NotFound, UpstreamUnavailable
from paperfeed.ids import parse_arxiv_reference
from paperfeed.ingest.merge import IngestReport, apply_batch
from paperfeed.models import ParsedRecord
from paperfeed.sources.arxiv_api import parse_api_feed
from paperfeed.sources.http import PoliteClient

SUBMISSION_ORIGIN = "arxiv-api"
ARXIV_UNREACHABLE = "arXiv could not be reached; try again later"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Submission:
    paper_id: str
    title: str
    listed_on: date
    fetched: bool  # False when the paper was already in the database


def submit_paper(
    engine: sa.Engine, client: PoliteClient, *, api_url: str, reference: str, username: str, today: date,
    now: datetime,
) -> Submission:
    """List the paper ``reference`` names on ``today``, submitted by ``username``."""
    paper_id = parse_arxiv_reference(reference).canonical
    with engine.connect() as connection:
        listing = listings_repo.fetch_listing_rows(connection, [paper_id]).get(paper_id)
        stored = papers_repo.get_papers(connection, [paper_id]).get(paper_id)
    if listing is not None:
        raise AlreadyListed(f"{paper_id} is already listed (on {listing['listed_on']:%Y-%m-%d})", field="arxiv_id")
    record = None if stored else _fetch_from_arxiv(client, api_url, paper_id)
    with write_transaction(engine) as connection:
        if listings_repo.fetch_listing_rows(connection, [paper_id]).get(paper_id) is not None:
            raise AlreadyListed(f"{paper_id} was listed a moment ago", field="arxiv_id")
        if record is not None:
            apply_batch(connection, [(ParsedRecord(record.paper, None), SUBMISSION_ORIGIN)], report=IngestReport(),
                        now=now)
        _list(connection, paper_id, username, today, now)
    title = stored.title if stored else record.paper.title
    return Submission(paper_id, title, today, fetched=record is not None)


def _fetch_from_arxiv(client: PoliteClient, api_url: str, paper_id: str) -> ParsedRecord:
    try:
        answer = client.get(api_url, {"id_list": paper_id, "max_results": 1})
    except FetchError as error:
        if error.status == 400:
            raise InvalidInput(f"arXiv says {paper_id!r} is not a valid id", field="arxiv_id") from None
        # The member gets a sentence; the reason (a refused connection, HTTP 503...) is for the log.
        log.warning("submitting %s: arXiv's API did not answer: %s", paper_id, error)
        raise UpstreamUnavailable(ARXIV_UNREACHABLE) from None
    feed = parse_api_feed(answer.body)
    if feed.error:
        raise InvalidInput(f"arXiv: {feed.error}", field="arxiv_id")
    found = [record for record in feed.records if record.paper.id == paper_id]
    if not found:
        raise InvalidInput(f"arXiv does not know {paper_id}", field="arxiv_id")
    return found[0]


def feature_paper(engine: sa.Engine, paper_id: str, *, username: str, today: date, now: datetime) -> None:
    """A member features a paper paperfeed holds (from /papers/new): it is listed today.
    Featuring a listed paper again changes nothing."""
    with write_transaction(engine) as connection:
        if not papers_repo.get_papers(connection, [paper_id]):
            raise NotFound(f"no paper {paper_id}")
        if listings_repo.fetch_listing_rows(connection, [paper_id]).get(paper_id) is None:
            _list(connection, paper_id, username, today, now)


def _list(connection: sa.Connection, paper_id: str, username: str, today: date, now: datetime) -> None:
    listings_repo.write_listing_rows(connection, [{
        "paper_id": paper_id, "listed_on": today, "source": "member", "submitted_by": username,
        "submitted_at": now, "created_at": now}])


EDITORS = ("editor", "admin")


def unfeature_paper(engine: sa.Engine, paper_id: str, *, role: str) -> None:
    """An editor takes a paper off the daily page (the paper stays, searchable and on /papers/new)."""
    if role not in EDITORS:
        raise InvalidInput("only editors can un-feature papers", field="paper_id")
    with write_transaction(engine) as connection:
        if listings_repo.fetch_listing_rows(connection, [paper_id]).get(paper_id) is None:
            raise NotFound(f"{paper_id} is not listed")
        listings_repo.delete_listing(connection, paper_id)
