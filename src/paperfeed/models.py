"""Domain types shared by every layer. Plain data, no I/O.

A *paper* is a work with a canonical id (see :mod:`paperfeed.ids`). A *listing*
is a paper featured on a day (by an import of the Hugging Face daily list, a
member's submission or an editor's pick): the unit of the daily page.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime


@dataclass(slots=True)
class PaperRecord:
    """A paper as one input record describes it.

    ``None`` means "this record says nothing about the field": merging a record
    into a stored paper only overwrites the fields the record gives, so a bare
    arXiv record never wipes the upvotes or code link an HF record brought.
    """

    id: str
    title: str
    version: int | None = None
    abstract: str | None = None
    authors: list[str] | None = None
    published_on: date | None = None
    categories: list[str] | None = None
    primary_category: str | None = None
    versions: list[dict] | None = None
    doi: str | None = None
    comments: str | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    organization: str | None = None
    thumbnail: str | None = None
    upvotes: int | None = None
    num_comments: int | None = None

    def given_fields(self) -> dict:
        """The fields this record sets (not None), by column name."""
        return {name: value for name in PAPER_RECORD_FIELDS if (value := getattr(self, name)) is not None}


PAPER_RECORD_FIELDS = tuple(f.name for f in fields(PaperRecord))


@dataclass(slots=True)
class ListingRecord:
    """A listing as one input record describes it."""

    paper_id: str
    listed_on: date
    source: str = "import"
    submitted_by: str | None = None
    submitted_at: datetime | None = None


@dataclass(slots=True)
class ParsedRecord:
    """What a parser returns for one input record: the paper and, if any, its listing."""

    paper: PaperRecord
    listing: ListingRecord | None = None


@dataclass(slots=True)
class Paper:
    """A stored paper, as pages and the API show it."""

    id: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    published_on: date | None = None
    categories: list[str] = field(default_factory=list)
    primary_category: str | None = None
    version: int | None = None
    versions: list[dict] = field(default_factory=list)
    doi: str | None = None
    comments: str | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] = field(default_factory=list)
    organization: str | None = None
    thumbnail: str | None = None
    upvotes: int = 0
    num_comments: int = 0  # this site's comments (the discussion on the paper's page)
    hf_comments: int = 0  # the comments Hugging Face counted, as the imported record says
    updated_at: datetime | None = None


@dataclass(slots=True)
class Listing:
    """A stored listing."""

    paper_id: str
    listed_on: date
    source: str
    submitted_by: str | None = None
    submitted_at: datetime | None = None


@dataclass(slots=True)
class ListedPaper:
    """A paper with its listing: one card on the daily page."""

    paper: Paper
    listing: Listing
