"""Ranking: small pure functions whose docstrings state the formula.

Trending (shown to users on /papers/trending and in the API as ``trending``)::

    score = (votes + 2 * comments + log2(1 + stars)) / (age_hours + 2) ** gravity

- ``votes``: the paper's upvotes;
- ``comments``: its number of comments, each worth two votes (a discussion
  is a stronger signal than a click);
- ``stars``: the GitHub stars of its code repository, damped by ``log2`` so a
  famous repository adds about ten votes (1,000 stars -> 10.0), not thousands;
- ``age_hours``: hours since the paper was listed (its submission time, or
  midnight UTC of its listing day); ``+ 2`` keeps fresh papers finite;
- ``gravity``: 1.5 by default (setting ``PAPERFEED_TRENDING_GRAVITY``); higher
  values favour recent papers more.

This is the Hacker News ranking (points / (age + 2) ^ gravity) with comments
and code stars added to the points. There are no hidden signals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time

from paperfeed.models import Listing

COMMENT_WEIGHT = 2.0
AGE_OFFSET_HOURS = 2.0
DEFAULT_GRAVITY = 1.5


@dataclass(frozen=True, slots=True)
class TrendingScore:
    """A trending score and the parts it is made of."""

    score: float
    votes: int
    comment_points: float
    star_points: float
    age_hours: float
    gravity: float

    @property
    def points(self) -> float:
        return self.votes + self.comment_points + self.star_points

    def explain(self) -> str:
        """The formula with this paper's numbers, for a tooltip or the API."""
        return (
            f"({self.votes} votes + {self.comment_points:g} comment points + {self.star_points:.1f} star points)"
            f" / ({self.age_hours:.0f} h + {AGE_OFFSET_HOURS:g}) ^ {self.gravity:g} = {self.score:.4f}"
        )


def star_points(stars: int | None) -> float:
    """``log2(1 + stars)``: 0 stars -> 0, 1 -> 1, 1,000 -> 9.97."""
    return math.log2(1 + max(stars or 0, 0))


def trending_score(
    *, votes: int, comments: int, stars: int | None, age_hours: float, gravity: float = DEFAULT_GRAVITY
) -> TrendingScore:
    """``(votes + 2 * comments + log2(1 + stars)) / (age_hours + 2) ** gravity`` (see the module docstring)."""
    age_hours = max(age_hours, 0.0)
    comment_points = COMMENT_WEIGHT * max(comments, 0)
    stars_part = star_points(stars)
    points = max(votes, 0) + comment_points + stars_part
    score = points / (age_hours + AGE_OFFSET_HOURS) ** gravity
    return TrendingScore(score, max(votes, 0), comment_points, stars_part, age_hours, gravity)


@dataclass(frozen=True, slots=True)
class TrendingCandidate:
    """The few facts about a listed paper that its trending score needs."""

    paper_id: str
    votes: int
    comments: int
    stars: int | None
    listed_at: datetime


def listed_at(listing: Listing) -> datetime:
    """When a paper was listed: its submission time, else midnight UTC of its listing day."""
    if listing.submitted_at is not None:
        return listing.submitted_at
    return datetime.combine(listing.listed_on, time(0), tzinfo=UTC)


def rank_trending(
    candidates: list[TrendingCandidate], *, now: datetime, gravity: float = DEFAULT_GRAVITY
) -> list[tuple[TrendingCandidate, TrendingScore]]:
    """Score each candidate as of ``now`` and sort, highest score first (ties: more votes, then id)."""
    scored = [
        (candidate, trending_score(
            votes=candidate.votes,
            comments=candidate.comments,
            stars=candidate.stars,
            age_hours=(now - candidate.listed_at).total_seconds() / 3600,
            gravity=gravity,
        ))
        for candidate in candidates
    ]
    scored.sort(key=lambda pair: (-pair[1].score, -pair[1].votes, pair[0].paper_id))
    return scored
