"""Hugging Face Daily Papers: items of Hugging Face's ``GET /api/daily_papers?date=YYYY-MM-DD``.

Each item is ``{paper: {id, title, summary, authors[{name}], publishedAt,
submittedOnDailyAt, submittedOnDailyBy, upvotes, githubRepo, githubStars,
projectPage, ai_summary, ai_keywords}, publishedAt, title, summary,
numComments, submittedBy, organization, thumbnail}``. Every item is a listing,
on the day of ``submittedOnDailyAt``.
"""

from __future__ import annotations

from paperfeed.errors import RecordError
from paperfeed.ids import parse_paper_id
from paperfeed.models import ListingRecord, PaperRecord, ParsedRecord
from paperfeed.sources import fields


def looks_like_daily_papers_item(data: dict) -> bool:
    """True for the item shape of the Hugging Face ``/api/daily_papers`` response."""
    return isinstance(data.get("paper"), dict)


def parse_daily_papers_item(item: dict, *, listed_on_fallback=None) -> ParsedRecord:
    """One item of a daily papers response -> paper + listing."""
    paper_data = item["paper"]
    raw_id = paper_data.get("id")
    if raw_id in (None, ""):
        raise RecordError("missing (every paper needs an id)", field="paper.id")
    paper_id = parse_paper_id(raw_id)
    title_source = paper_data if paper_data.get("title") is not None else item
    submitted_at = fields.optional_timestamp(paper_data, "submittedOnDailyAt")
    submitter = _submitter(item.get("submittedBy") or paper_data.get("submittedOnDailyBy"))
    paper = PaperRecord(
        id=paper_id.canonical,
        title=fields.required_title(title_source),
        version=paper_id.version,
        abstract=fields.optional_text(paper_data, "summary", limit=fields.ABSTRACT_MAX_CHARS, paragraphs=True),
        authors=fields.name_list(paper_data.get("authors"), "paper.authors", limit=fields.MAX_AUTHORS),
        published_on=fields.optional_date(paper_data, "publishedAt"),
        github_repo=fields.optional_url(paper_data, "githubRepo"),
        github_stars=fields.optional_count(paper_data, "githubStars"),
        project_page=fields.optional_url(paper_data, "projectPage"),
        ai_summary=fields.optional_text(paper_data, "ai_summary"),
        ai_keywords=fields.name_list(paper_data.get("ai_keywords"), "paper.ai_keywords"),
        organization=fields.organization_name(item.get("organization") or paper_data.get("organization")),
        thumbnail=fields.optional_url(item, "thumbnail") or fields.optional_url(item, "mediaUrl"),
        upvotes=fields.optional_count(paper_data, "upvotes"),
        num_comments=fields.optional_count(item, "numComments"),
    )
    listed_on = submitted_at.date() if submitted_at else listed_on_fallback
    if listed_on is None:
        listed_on = fields.optional_date(item, "publishedAt")
    listing = None
    if listed_on is not None:
        listing = ListingRecord(paper.id, listed_on, "hf", submitted_by=submitter, submitted_at=submitted_at)
    return ParsedRecord(paper, listing)


def _submitter(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("name") or value.get("user") or value.get("fullname")
    return fields.optional_name({"submittedBy": value}, "submittedBy")
