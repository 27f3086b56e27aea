"""What each subscriber's digest holds: the community's top papers, and personal picks.

Top papers: the papers listed in the period, most upvoted first (the same
list for everyone, cut to each subscriber's count).

Personal picks come from the period's candidates (papers listed or
announced in it) and are scored for all subscribers with array operations,
not one query per subscriber, by :func:`paperfeed.ranking.personal_relevance`
(the formula the personal feed uses too):

    score = cos(paper, mean of the member's liked papers)        (upvoted or collected)
          + 1.0 per followed author who wrote it
          + 0.8 per keyword or saved search it matches           (all words, in title or abstract)
          + 0.5 per followed category it is in

A paper is a pick when an explicit signal holds (author, keyword, category)
or its cosine is at least ``ranking.SIMILAR_ENOUGH``; the best ``personal_count``
are kept, papers already among the subscriber's top papers left out. Each
pick says why: the strongest signal, or the liked paper it is closest to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import sqlalchemy as sa

from paperfeed import ranking
from paperfeed.digest.alerts import word_patterns
from paperfeed.db import digests as digests_repo
from paperfeed.db import listings as listings_repo
from paperfeed.db import papers as papers_repo
from paperfeed.db.subscriptions import SubscriptionRow
from paperfeed.digest.periods import DigestPeriod
from paperfeed.models import Paper

MAX_TOP = 50
MAX_LIKED = 100  # the member's most recent upvotes and collected papers
MAX_CANDIDATES_PER_DAY = 5_000

VectorsOf = Callable[[Sequence[str]], dict]


@dataclass(frozen=True, slots=True)
class Pick:
    paper: Paper
    why: str


@dataclass(frozen=True, slots=True)
class DigestContent:
    subscription: SubscriptionRow
    period: DigestPeriod
    top: list[Paper]
    picks: list[Pick]

    @property
    def paper_count(self) -> int:
        return len(self.top) + len(self.picks)


class Selector:
    """The period's papers, loaded once; :meth:`contents` scores every subscriber against them."""

    def __init__(self, connection: sa.Connection, period: DigestPeriod, vectors_of: VectorsOf) -> None:
        self.period = period
        listed = listings_repo.listed_papers(connection, first_day=period.first_day, last_day=period.last_day,
                                             limit=MAX_TOP)
        self.top = [item.paper for item in listed]
        candidates = {paper.id: paper for paper in self.top}
        for item in listings_repo.listed_papers(connection, first_day=period.first_day, last_day=period.last_day,
                                                limit=MAX_CANDIDATES_PER_DAY * period.days):
            candidates.setdefault(item.paper.id, item.paper)
        day = period.first_day
        while day <= period.last_day:
            for paper, _listed in papers_repo.papers_published_on(connection, day, limit=MAX_CANDIDATES_PER_DAY):
                candidates.setdefault(paper.id, paper)
            day += timedelta(days=1)
        self.papers = list(candidates.values())
        self.position = {paper.id: index for index, paper in enumerate(self.papers)}
        self.texts = [f"{paper.title}\n{paper.abstract}".lower() for paper in self.papers]
        self.by_author = _index(self.papers, lambda paper: paper.authors)
        self.by_category = _index(self.papers, lambda paper: paper.categories)
        self._vectors_of = vectors_of
        found = vectors_of([paper.id for paper in self.papers]) if self.papers else {}
        dimension = len(next(iter(found.values()))) if found else 0
        self.matrix = np.zeros((len(self.papers), dimension), dtype=np.float32)
        self.has_vector = np.zeros(len(self.papers), dtype=bool)
        for paper_id, vector in found.items():
            self.matrix[self.position[paper_id]] = vector
            self.has_vector[self.position[paper_id]] = True
        self._matches: dict[str, np.ndarray] = {}

    def contents(self, connection: sa.Connection, subscriptions: list[SubscriptionRow]) -> Iterator[DigestContent]:
        """Each subscription's digest, in the order given."""
        members = [s.user_id for s in subscriptions if s.user_id is not None and s.content != "top"]
        signals = digests_repo.member_signals(connection, members) if members else {}
        liked_ids = {paper_id for signal in signals.values() for paper_id in signal["liked"][:MAX_LIKED]}
        liked_vectors = self._vectors_of(sorted(liked_ids)) if liked_ids and self.matrix.shape[1] else {}
        liked_titles = ({p.id: p.title for p in papers_repo.get_papers(connection, sorted(liked_vectors)).values()}
                        if liked_vectors else {})
        for subscription in subscriptions:
            top = self.top[:subscription.top_count] if subscription.content != "personal" else []
            picks: list[Pick] = []
            if subscription.content != "top" and subscription.personal_count:
                signal = signals.get(subscription.user_id) if subscription.user_id is not None else None
                picks = self._picks(subscription, signal, liked_vectors, liked_titles, {p.id for p in top})
            yield DigestContent(subscription, self.period, top, picks)

    def _picks(self, subscription: SubscriptionRow, signal: dict | None, liked_vectors: dict, liked_titles: dict,
               exclude: set[str]) -> list[Pick]:
        count = len(self.papers)
        if not count:
            return []
        keyword_hits, author_hits, category_hits = (np.zeros(count, dtype=np.float32) for _ in range(3))
        similarity = np.zeros(count, dtype=np.float32)
        explicit = np.zeros(count, dtype=bool)
        reasons: dict[int, str] = {}
        for phrase in _keywords(subscription.keywords) + [query for query, _ in (signal or {}).get("alerts", [])]:
            mask = self._matching(phrase)
            keyword_hits += mask
            explicit |= mask
            for index in np.flatnonzero(mask)[:200]:
                reasons.setdefault(int(index), f"matches “{phrase}”, which you asked for")
        liked_matrix, liked = None, []
        if signal is not None:
            for name in sorted(signal["authors"]):
                for index in self.by_author.get(name, ()):
                    author_hits[index] += 1
                    explicit[index] = True
                    reasons[index] = f"by {name}, whom you follow"
            for category in sorted(signal["categories"]):
                for index in self.by_category.get(category, ()):
                    category_hits[index] += 1
                    explicit[index] = True
                    reasons.setdefault(index, f"in {category}, which you follow")
            liked = [paper_id for paper_id in dict.fromkeys(signal["liked"][:MAX_LIKED]) if paper_id in liked_vectors]
            if liked:
                liked_matrix = np.array([liked_vectors[paper_id] for paper_id in liked], dtype=np.float32)
                profile = ranking.interest_profile(liked_matrix)
                similarity = np.where(self.has_vector, self.matrix @ profile, ranking.NO_VECTOR).astype(np.float32)
                explicit |= similarity >= ranking.SIMILAR_ENOUGH
        score = ranking.personal_relevance(similarity, followed_authors=author_hits, keyword_matches=keyword_hits,
                                           followed_categories=category_hits)
        for paper_id in exclude | set(liked):
            if (index := self.position.get(paper_id)) is not None:
                explicit[index] = False
        eligible = np.flatnonzero(explicit)
        if not eligible.size:
            return []
        wanted = min(subscription.personal_count, eligible.size)
        best = eligible[np.argsort(-score[eligible], kind="stable")[:wanted]]
        picks = []
        for index in best:
            index = int(index)
            why = reasons.get(index)
            if why is None and liked_matrix is not None:
                closest = liked[ranking.closest_liked(liked_matrix, self.matrix[index])]
                why = f"close to “{liked_titles.get(closest, closest)}”, which you upvoted or collected"
            picks.append(Pick(self.papers[index], why or "recommended for you"))
        return picks

    def _matching(self, phrase: str) -> np.ndarray:
        """Papers whose title or abstract holds every word of ``phrase`` (as :func:`paperfeed.digest.alerts.matches`)."""
        key = phrase.lower()
        if key not in self._matches:
            patterns = word_patterns(key)
            mask = np.full(len(self.papers), bool(patterns))
            for pattern in patterns:
                mask &= np.fromiter((bool(pattern.search(text)) for text in self.texts), dtype=bool,
                                    count=len(self.texts))
            self._matches[key] = mask
        return self._matches[key]


def _index(papers: list[Paper], values) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for index, paper in enumerate(papers):
        for value in values(paper) or ():
            found.setdefault(value, []).append(index)
    return found


def _keywords(text: str) -> list[str]:
    return [word.strip() for word in (text or "").split(",") if word.strip()]
