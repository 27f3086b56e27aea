"""JSON shapes of the API. Field names follow Hugging Face's ``/api/daily_papers`` so
existing clients work against paperfeed unchanged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from paperfeed import ranking
from paperfeed.ids import arxiv_abs_url, arxiv_pdf_url
from paperfeed.models import ListedPaper, Listing, Paper
from paperfeed.search import SearchHit, highlight


class AuthorOut(BaseModel):
    name: str


class SubmitterOut(BaseModel):
    """Who listed a paper: ``submittedBy`` of a daily papers item (the username twice: paperfeed
    keeps no display name for imported submitters)."""

    name: str
    fullname: str


class PaperSubmitterOut(SubmitterOut):
    """``paper.submittedOnDailyBy``: Hugging Face gives the username as ``user`` there too, and its
    client reads that one (``huggingface_hub.User``)."""

    user: str


class OrganizationOut(BaseModel):
    """The organisation a paper is from. Hugging Face sends ``{_id, name, fullname, avatar}``
    (tests/fixtures/hf_daily_papers_api/2026-08-21.json) and its client builds an ``Organization``
    from it; paperfeed keeps the organisation's name alone, so ``name`` and ``fullname`` both hold it."""

    name: str
    fullname: str


class TrendingWeightsOut(BaseModel):
    """The weights the score was computed with (docs/ranking.md, "Re-weighted trending")."""

    votes: float
    comments: float
    stars: float
    gravity: float


class TrendingOut(BaseModel):
    """The trending score and its parts, each multiplied by its weight (formula in docs/ranking.md)."""

    score: float
    votes: int
    votePoints: float
    commentPoints: float
    starPoints: float
    ageHours: float
    gravity: float
    weights: TrendingWeightsOut
    formula: str


class PaperOut(BaseModel):
    """A paper, as ``paper`` in Hugging Face's daily papers items and ``GET /api/papers/{id}``."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    authors: list[AuthorOut]
    publishedAt: str | None = Field(description="arXiv v1 date, ISO 8601")
    submittedOnDailyAt: str | None = None
    submittedOnDailyBy: PaperSubmitterOut | None = None
    title: str
    summary: str
    upvotes: int
    numComments: int = Field(description="comments here plus those Hugging Face counted (its field's meaning)")
    githubRepo: str | None = None
    githubStars: int | None = None
    projectPage: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] = []
    organization: OrganizationOut | None = None
    categories: list[str] = []
    version: int | None = None
    arxivUrl: str | None = None
    pdfUrl: str | None = None


class DailyPaperOut(BaseModel):
    """One item of ``GET /api/daily_papers``: a listing and its paper."""

    paper: PaperOut
    publishedAt: str = Field(description="when the paper was listed, ISO 8601")
    title: str
    summary: str
    thumbnail: str | None = None
    numComments: int
    submittedBy: SubmitterOut | None = None
    organization: OrganizationOut | None = None
    trending: TrendingOut | None = None


class HighlightOut(BaseModel):
    type: Literal["text", "highlight"]
    text: str


class SearchItemOut(DailyPaperOut):
    """One search result: a daily papers item plus the query's matches marked."""

    highlightedTitle: list[HighlightOut]
    highlightedSummary: list[HighlightOut]


class ErrorOut(BaseModel):
    """Every API error: a sentence for people, the parameter at fault for programs."""

    error: str
    field: str | None = None


def iso_timestamp(value: datetime | date | None) -> str | None:
    """``2025-06-02T03:18:21.654Z``, the form Hugging Face uses (dates become midnight UTC)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def paper_out(paper: Paper, listing: Listing | None = None) -> PaperOut:
    """``GET /api/papers/{id}``, and ``paper`` of every daily papers item."""
    submitter = listing.submitted_by if listing else None
    return PaperOut(
        id=paper.id,
        authors=[AuthorOut(name=name) for name in paper.authors],
        publishedAt=iso_timestamp(paper.published_on),
        submittedOnDailyAt=iso_timestamp(listing.submitted_at or listing.listed_on) if listing else None,
        submittedOnDailyBy=PaperSubmitterOut(name=submitter, fullname=submitter, user=submitter) if submitter else None,
        title=paper.title,
        summary=paper.abstract,
        upvotes=paper.upvotes,
        numComments=all_comments(paper),
        githubRepo=paper.github_repo,
        githubStars=paper.github_stars,
        projectPage=paper.project_page,
        ai_summary=paper.ai_summary,
        ai_keywords=paper.ai_keywords,
        organization=organization_out(paper.organization),
        categories=paper.categories,
        version=paper.version,
        arxivUrl=arxiv_abs_url(paper.id),
        pdfUrl=arxiv_pdf_url(paper.id),
    )


def all_comments(paper: Paper) -> int:
    """``numComments`` as a Hugging Face client reads it: every comment on the paper, here and on
    Hugging Face (as ``upvotes`` counts both); the pages show the two apart."""
    return paper.num_comments + paper.hf_comments


def organization_out(name: str | None) -> OrganizationOut | None:
    return OrganizationOut(name=name, fullname=name) if name else None


def submitter_out(listing: Listing | None) -> SubmitterOut | None:
    submitter = listing.submitted_by if listing else None
    return SubmitterOut(name=submitter, fullname=submitter) if submitter else None


def daily_paper_out(item: ListedPaper, score: ranking.TrendingScore | None = None) -> DailyPaperOut:
    """One item of ``GET /api/daily_papers``: the listing, its paper, and the trending score if ranked by it."""
    paper, listing = item.paper, item.listing
    return DailyPaperOut(
        paper=paper_out(paper, listing),
        publishedAt=iso_timestamp(ranking.listed_at(listing)),
        title=paper.title,
        summary=paper.abstract,
        thumbnail=paper.thumbnail,
        numComments=all_comments(paper),
        submittedBy=submitter_out(listing),
        organization=organization_out(paper.organization),
        trending=trending_out(score) if score else None,
    )


def search_item_out(hit: SearchHit) -> SearchItemOut:
    """One search result: a daily papers item (``publishedAt`` is the paper's date when it was never
    listed) with the query's words marked."""
    paper, listing = hit.paper, hit.listing
    listed = listing and ranking.listed_at(listing)
    return SearchItemOut(
        paper=paper_out(paper, listing),
        publishedAt=iso_timestamp(listed or paper.published_on) or "",
        title=paper.title,
        summary=paper.abstract,
        thumbnail=paper.thumbnail,
        numComments=all_comments(paper),
        submittedBy=submitter_out(listing),
        organization=organization_out(paper.organization),
        highlightedTitle=hit.highlighted_title,
        highlightedSummary=hit.highlighted_summary,
    )


def unmatched_item_out(paper: Paper, listing: Listing | None) -> SearchItemOut:
    """A paper of the list of every paper (a search with no words): a search result with nothing marked."""
    nothing = frozenset()
    return search_item_out(SearchHit(paper, listing, 0.0, highlight(paper.title, nothing),
                                     highlight(paper.abstract, nothing)))


def trending_out(score: ranking.TrendingScore) -> TrendingOut:
    return TrendingOut(
        score=round(score.score, 6),
        votes=score.votes,
        votePoints=score.vote_points,
        commentPoints=score.comment_points,
        starPoints=round(score.star_points, 3),
        ageHours=round(score.age_hours, 2),
        gravity=score.gravity,
        weights=TrendingWeightsOut(votes=score.weights.votes, comments=score.weights.comments,
                                   stars=score.weights.stars, gravity=score.weights.gravity),
        formula=score.explain(),
    )
