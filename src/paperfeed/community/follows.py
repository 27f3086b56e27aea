"""Following authors and categories, author pages, and the personal feed.

The feed (``/feed``) holds recent papers (published in the last ``FEED_DAYS``
days) by followed authors or in followed categories, ranked as arxiv-sanity
does: by cosine similarity between each paper's vector and the mean vector of
the papers the member upvoted (newest first while they have upvoted nothing).
Each paper says why it is there: the author or category followed, and the
upvoted paper it is closest to.

On an archive that stopped updating (the bundled sample), nothing on the
whole site is that recent: then the window ends at the latest day with
listings or papers instead, as trending's does (:func:`feed_window`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import sqlalchemy as sa

from paperfeed import ranking
from paperfeed.db import follows as follows_repo
from paperfeed.db import listings as listings_repo
from paperfeed.db import papers as papers_repo
from paperfeed.db import users as users_repo
from paperfeed.db import votes as votes_repo
from paperfeed.db.engine import write_transaction
from paperfeed.errors import InvalidInput
from paperfeed.models import Paper

KINDS = ("author", "category")
FEED_DAYS = 30
FEED_CANDIDATES = 5_000
FEED_SIZE = 50


def set_follow(engine: sa.Engine, user_id: int, kind: str, value: str, *, follow: bool) -> None:
    value = " ".join((value or "").split())
    if kind not in KINDS or not 1 <= len(value) <= 300:
        raise InvalidInput("follow an author (by name) or a category", field="value")
    with write_transaction(engine) as connection:
        if follow:
            follows_repo.add_follow(connection, user_id, kind=kind, value=value, now=datetime.now(UTC))
        else:
            follows_repo.remove_follow(connection, user_id, kind=kind, value=value)


def followed(connection: sa.Connection, user_id: int) -> dict[str, set[str]]:
    rows = follows_repo.follows_of(connection, user_id)
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for kind, value in rows:
        found[kind].add(value)
    return found


def papers_by_author(connection: sa.Connection, name: str, *, limit: int = 200) -> list[Paper]:
    """Papers listing ``name`` among their authors (exact name), newest first."""
    return _papers_whose(connection, "authors", name, limit=limit, has=lambda paper: name in paper.authors)


def papers_in_category(connection: sa.Connection, category: str, *, limit: int = 100) -> list[Paper]:
    """Papers in ``category`` (any of their categories), newest first."""
    return _papers_whose(connection, "categories", category, limit=limit,
                         has=lambda paper: category in paper.categories)


def _papers_whose(connection: sa.Connection, field: str, value: str, *, limit: int, has) -> list[Paper]:
    """Newest papers whose JSON list ``field`` holds ``value``: a LIKE on the stored JSON narrows
    the rows, ``has`` checks the exact value."""
    found = papers_repo.papers_whose_list_may_hold(connection, field, value, limit=limit * 2)
    return [paper for paper in found if has(paper)][:limit]


def frequent_coauthors(found: list[Paper], name: str, *, top: int = 8) -> list[tuple[str, int]]:
    """Who writes with ``name`` most: tells two people of the same name apart."""
    counts = Counter(author for paper in found for author in paper.authors if author != name)
    return counts.most_common(top)


@dataclass(frozen=True, slots=True)
class FeedItem:
    paper: Paper
    why: str
    score: float


@dataclass(frozen=True, slots=True)
class FeedWindow:
    """The days the feed covers: ``FEED_DAYS`` days up to today, or up to the site's latest day
    (``moved``) when the site has no paper published in those days."""

    first_day: date
    last_day: date
    moved: bool


def feed_window(connection: sa.Connection, *, today: date) -> FeedWindow:
    """The last ``FEED_DAYS`` days up to ``today``; on a site with no paper published in them, the
    ``FEED_DAYS`` days up to its latest listing day or paper, whichever is later (``moved``)."""
    latest_paper = papers_repo.latest_published_day(connection, not_after=today)
    since = today - timedelta(days=FEED_DAYS)
    if latest_paper is not None and latest_paper >= since:
        return FeedWindow(since, today, moved=False)
    latest = max((day for day in (latest_paper, listings_repo.latest_listing_day(connection, on_or_before=today))
                  if day is not None), default=None)
    if latest is None:  # an empty site
        return FeedWindow(since, today, moved=False)
    return FeedWindow(latest - timedelta(days=FEED_DAYS), latest, moved=True)


def personal_feed(connection: sa.Connection, user_id: int, vectors_of, *, today: date | None = None,
                  window: FeedWindow | None = None) -> list[FeedItem]:
    """Papers of the ``window`` (default :func:`feed_window`) from what the member follows, ranked by
    :func:`paperfeed.ranking.personal_relevance` (closest to their upvotes first among papers with
    the same followed authors and categories)."""
    wanted = followed(connection, user_id)
    if not wanted["author"] and not wanted["category"]:
        return []
    window = window or feed_window(connection, today=today or datetime.now(UTC).date())
    candidates = []
    for paper in papers_repo.papers_published_since(connection, window.first_day, limit=FEED_CANDIDATES):
        if paper.published_on is not None and paper.published_on > window.last_day:
            continue
        authors, categories = wanted["author"] & set(paper.authors), wanted["category"] & set(paper.categories)
        if authors or categories:
            candidates.append((paper, authors, categories))
    liked = vectors_of(votes_repo.voted_paper_ids(connection, user_id, limit=200))
    liked_ids = list(liked)
    liked_matrix = np.array([liked[paper_id] for paper_id in liked_ids], dtype=np.float32)
    profile = ranking.interest_profile(liked_matrix)
    vectors = vectors_of([paper.id for paper, _, _ in candidates]) if profile is not None else {}
    similarity = [float(profile @ vectors[paper.id]) if paper.id in vectors else ranking.NO_VECTOR
                  for paper, _, _ in candidates] if profile is not None else [0.0] * len(candidates)
    scores = ranking.personal_relevance(np.array(similarity),
                                        followed_authors=np.array([len(a) for _, a, _ in candidates]),
                                        followed_categories=np.array([len(c) for _, _, c in candidates]))
    titles = {p.id: p.title for p in papers_repo.get_papers(connection, liked_ids).values()} if liked_ids else {}
    items = []
    for (paper, authors, categories), score in zip(candidates, scores, strict=True):
        why = f"by {sorted(authors)[0]}, whom you follow" if authors else f"in {sorted(categories)[0]}, which you follow"
        if paper.id in vectors:
            closest = liked_ids[ranking.closest_liked(liked_matrix, vectors[paper.id])]
            why += f"; close to “{titles.get(closest, closest)}”, which you upvoted"
        items.append(FeedItem(paper, why, float(score)))
    items.sort(key=lambda item: -item.score)  # stable: the newest first among equal scores
    return items[:FEED_SIZE]


def private_feed_token(engine: sa.Engine, user_id: int, *, renew: bool = False) -> str:
    """The secret in the member's private feed URL, made on first use; ``renew`` replaces it
    (the old URL stops working)."""
    import secrets

    with write_transaction(engine) as connection:
        token = users_repo.feed_token_of(connection, user_id)
        if token is None or renew:
            token = secrets.token_urlsafe(24)
            users_repo.set_feed_token(connection, user_id, token=token)
    return token


def existing_feed_token(connection: sa.Connection, user_id: int) -> str | None:
    """The secret in the member's private feed URL, or None if they have not made one (none is made here)."""
    return users_repo.feed_token_of(connection, user_id)


def member_of_feed_token(connection: sa.Connection, token: str) -> int | None:
    if not token or len(token) > 64:
        return None
    return users_repo.user_id_of_feed_token(connection, token)
