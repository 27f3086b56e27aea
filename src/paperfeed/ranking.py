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

Re-weighted trending (:class:`TrendingWeights`; the query parameters ``votes``,
``comments``, ``stars`` and ``gravity`` of /papers/trending and of the API)::

    score = (w_votes * votes + w_comments * comments + w_stars * log2(1 + stars))
            / (age_hours + 2) ** gravity

with ``w_votes = 1``, ``w_comments = 2``, ``w_stars = 1`` and ``gravity = 1.5``
by default (settings ``PAPERFEED_TRENDING_*``): the formula above. Each weight
is between 0 and 100 and gravity between 0 (age does not matter) and 5, so
"trending by stars only" is ``?votes=0&comments=0&stars=1``.

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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time

import numpy as np

from paperfeed.errors import InvalidInput
from paperfeed.models import Listing
from paperfeed.formatting import counted

AUTHOR_BOOST, KEYWORD_BOOST, CATEGORY_BOOST = 1.0, 0.8, 0.5
SIMILAR_ENOUGH = 0.45  # a cosine this high is a reason of its own to pick a paper
NO_VECTOR = -1.0  # the cosine given to a paper not embedded yet
COMMENT_WEIGHT = 2.0
AGE_OFFSET_HOURS = 2.0
DEFAULT_GRAVITY = 1.5


MAX_WEIGHT, MAX_GRAVITY = 100.0, 5.0


@dataclass(frozen=True, slots=True)
class TrendingWeights:
    """The weights of the trending formula (module docstring); the defaults give the documented formula."""

    votes: float = 1.0
    comments: float = COMMENT_WEIGHT
    stars: float = 1.0
    gravity: float = DEFAULT_GRAVITY

    def as_query(self) -> dict[str, str]:
        """The weights as the query parameters that ask for them (``{"votes": "1", ...}``)."""
        return {name: f"{getattr(self, name):g}" for name in WEIGHT_NAMES}


WEIGHT_NAMES = ("votes", "comments", "stars", "gravity")


def parse_trending_weights(given: Mapping[str, str | None], *, defaults: TrendingWeights) -> TrendingWeights:
    """The weights a reader asked for: ``given`` maps ``votes``, ``comments``, ``stars`` and ``gravity``
    to the text typed (None or blank: the default). Each weight must be a number from 0 to 100, gravity
    from 0 to 5; anything else raises InvalidInput naming the parameter."""
    chosen = {}
    for name in WEIGHT_NAMES:
        text = (given.get(name) or "").strip()
        chosen[name] = getattr(defaults, name) if not text else _weight(name, text)
    return TrendingWeights(**chosen)


def _weight(name: str, text: str) -> float:
    highest = MAX_GRAVITY if name == "gravity" else MAX_WEIGHT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= highest:  # NaN fails this too
        shown = text if len(text) <= 20 else text[:17] + "..."
        raise InvalidInput(f"must be a number from 0 to {highest:g}, not {shown!r}", field=name)
    return value


@dataclass(frozen=True, slots=True)
class TrendingScore:
    """A trending score and the parts it is made of (each part already multiplied by its weight)."""

    score: float
    votes: int
    vote_points: float
    comment_points: float
    star_points: float
    age_hours: float
    weights: TrendingWeights

    @property
    def gravity(self) -> float:
        return self.weights.gravity

    @property
    def points(self) -> float:
        return self.vote_points + self.comment_points + self.star_points

    def explain(self) -> str:
        """The formula with this paper's numbers, for a tooltip or the API."""
        votes = counted(self.votes, "vote")
        votes = votes if self.weights.votes == 1 else f"{self.weights.votes:g} × {votes}"
        return (
            f"({votes} + {self.comment_points:g} comment points + {self.star_points:.1f} star points)"
            f" / ({self.age_hours:.0f} h + {AGE_OFFSET_HOURS:g}) ^ {self.gravity:g} = {self.score:.4f}"
        )


def star_points(stars: int | None) -> float:
    """``log2(1 + stars)``: 0 stars -> 0, 1 -> 1, 1,000 -> 9.97."""
    return math.log2(1 + max(stars or 0, 0))


def trending_score(
    *, votes: int, comments: int, stars: int | None, age_hours: float, gravity: float = DEFAULT_GRAVITY,
    weights: TrendingWeights | None = None,
) -> TrendingScore:
    """``(votes + 2 * comments + log2(1 + stars)) / (age_hours + 2) ** gravity`` (see the module docstring),
    or with ``weights``: ``(w_votes * votes + w_comments * comments + w_stars * log2(1 + stars))
    / (age_hours + 2) ** weights.gravity`` (``gravity`` is then ignored)."""
    weights = weights or TrendingWeights(gravity=gravity)
    age_hours = max(age_hours, 0.0)
    votes = max(votes, 0)
    vote_points = weights.votes * votes
    comment_points = weights.comments * max(comments, 0)
    stars_part = weights.stars * star_points(stars)
    score = (vote_points + comment_points + stars_part) / (age_hours + AGE_OFFSET_HOURS) ** weights.gravity
    return TrendingScore(score, votes, vote_points, comment_points, stars_part, age_hours, weights)


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
    candidates: list[TrendingCandidate], *, now: datetime, gravity: float = DEFAULT_GRAVITY,
    weights: TrendingWeights | None = None,
) -> list[tuple[TrendingCandidate, TrendingScore]]:
    """Score each candidate as of ``now`` (with ``weights``, else the default weights and ``gravity``)
    and sort, highest score first (ties: more votes, then id)."""
    weights = weights or TrendingWeights(gravity=gravity)
    scored = [
        (candidate, trending_score(
            votes=candidate.votes,
            comments=candidate.comments,
            stars=candidate.stars,
            age_hours=(now - candidate.listed_at).total_seconds() / 3600,
            weights=weights,
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
