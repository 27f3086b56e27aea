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

Personal relevance (the personal feed on /feed and the personal picks of email
digests; :func:`personal_relevance`)::

    score = cos(paper, profile)
          + 1.0 * (followed authors among the paper's authors)
          + 0.8 * (the member's keywords and saved searches it matches)
          + 0.5 * (followed categories it is in)

- ``profile``: the unit-length mean of the vectors of the papers the member
  upvoted or collected (:func:`interest_profile`), arxiv-sanity's "papers like
  the ones you liked"; ``cos`` is 0 when the member liked nothing yet;
- each followed author, keyword and category counts once, so a paper by two
  followed authors ranks above a paper by one;
- a paper without a vector yet gets ``cos = -1`` (after those that have one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time

import numpy as np

from paperfeed.models import Listing
from paperfeed.formatting import counted

AUTHOR_BOOST, KEYWORD_BOOST, CATEGORY_BOOST = 1.0, 0.8, 0.5
SIMILAR_ENOUGH = 0.45  # a cosine this high is a reason of its own to pick a paper
NO_VECTOR = -1.0  # the cosine given to a paper not embedded yet
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
            f"({counted(self.votes, 'vote')} + {self.comment_points:g} comment points + {self.star_points:.1f} star points)"
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


def interest_profile(liked: np.ndarray) -> np.ndarray | None:
    """``mean(liked) / |mean(liked)|``: the direction of the member's taste (None for no liked paper).
    ``liked`` holds one unit vector a row."""
    if liked.size == 0:
        return None
    profile = liked.mean(axis=0)
    return profile / max(float(np.linalg.norm(profile)), 1e-12)


def personal_relevance(similarity: np.ndarray, *, followed_authors: np.ndarray | float = 0.0,
                       keyword_matches: np.ndarray | float = 0.0,
                       followed_categories: np.ndarray | float = 0.0) -> np.ndarray:
    """``cos + 1.0 * authors + 0.8 * keywords + 0.5 * categories`` per paper (see the module docstring);
    each argument holds one number a paper (a cosine, or how many of those signals it has)."""
    return (np.asarray(similarity, dtype=np.float32) + AUTHOR_BOOST * np.asarray(followed_authors)
            + KEYWORD_BOOST * np.asarray(keyword_matches) + CATEGORY_BOOST * np.asarray(followed_categories))


def closest_liked(liked: np.ndarray, vector: np.ndarray) -> int:
    """The row of ``liked`` most similar to ``vector``: which liked paper a pick is "close to"."""
    return int(np.argmax(liked @ vector))
