import math
from datetime import UTC, date, datetime

import pytest

from paperfeed.models import Listing
from paperfeed.ranking import TrendingCandidate, listed_at, rank_trending, star_points, trending_score


def test_trending_score_follows_the_documented_formula():
    score = trending_score(votes=34, comments=3, stars=1023, age_hours=22, gravity=1.5)
    expected = (34 + 2 * 3 + math.log2(1 + 1023)) / (22 + 2) ** 1.5
    assert score.score == pytest.approx(expected)
    assert (score.votes, score.comment_points, score.star_points) == (34, 6, 10)
    assert "34 votes" in score.explain() and "^ 1.5" in score.explain()


def test_star_points_are_logarithmic_and_missing_stars_count_zero():
    assert star_points(None) == 0
    assert star_points(0) == 0
    assert star_points(1) == 1
    assert star_points(1000) == pytest.approx(9.967, abs=1e-3)


def test_negative_age_counts_as_brand_new():
    assert trending_score(votes=1, comments=0, stars=0, age_hours=-5).age_hours == 0


def _candidate(paper_id, votes, day, stars=None):
    return TrendingCandidate(paper_id, votes, 0, stars, listed_at(Listing(paper_id, day, "import")))


def test_newer_papers_with_fewer_votes_can_outrank_older_ones():
    now = datetime(2026, 8, 22, 12, tzinfo=UTC)
    candidates = [_candidate("old", 100, date(2026, 8, 15)), _candidate("new", 20, date(2026, 8, 22)),
                  _candidate("mid", 20, date(2026, 8, 20), stars=5000)]
    ranked = [candidate.paper_id for candidate, _ in rank_trending(candidates, now=now)]
    assert ranked == ["new", "mid", "old"]


def test_listing_time_is_the_submission_time_or_midnight_utc():
    submitted = datetime(2026, 8, 21, 7, 45, tzinfo=UTC)
    assert listed_at(Listing("x", date(2026, 8, 21), "hf", submitted_at=submitted)) == submitted
    assert listed_at(Listing("x", date(2026, 8, 21), "hf")) == datetime(2026, 8, 21, tzinfo=UTC)


def test_personal_relevance_is_the_documented_formula():
    import numpy as np

    from paperfeed.ranking import closest_liked, interest_profile, personal_relevance

    liked = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    profile = interest_profile(liked)
    assert np.allclose(profile, [2 ** -0.5, 2 ** -0.5])  # the unit-length mean
    assert interest_profile(np.zeros((0, 2), dtype=np.float32)) is None
    papers = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, -1.0]], dtype=np.float32)
    cosine = papers @ profile
    scores = personal_relevance(cosine, followed_authors=np.array([0, 2, 0]), keyword_matches=np.array([1, 0, 0]),
                                followed_categories=np.array([0, 0, 1]))
    by_hand = [cosine[0] + 0.8, cosine[1] + 2 * 1.0, cosine[2] + 0.5]  # cos + 1.0 a, + 0.8 k, + 0.5 c
    assert np.allclose(scores, by_hand)
    assert closest_liked(liked, papers[1]) == 1  # (0.6, 0.8) is nearer (0, 1)


def test_weights_multiply_each_part_and_gravity_divides_by_age():
    from paperfeed.ranking import TrendingWeights

    weights = TrendingWeights(votes=0.5, comments=3, stars=4, gravity=0.8)
    score = trending_score(votes=34, comments=3, stars=1023, age_hours=22, weights=weights)
    expected = (0.5 * 34 + 3 * 3 + 4 * math.log2(1 + 1023)) / (22 + 2) ** 0.8
    assert score.score == pytest.approx(expected)
    assert (score.vote_points, score.comment_points, score.star_points) == (17, 9, 40)
    assert "0.5 × 34 votes" in score.explain() and "^ 0.8" in score.explain()
    assert trending_score(votes=34, comments=3, stars=1023, age_hours=22, gravity=1.5) == trending_score(
        votes=34, comments=3, stars=1023, age_hours=22, weights=TrendingWeights())  # the defaults: the formula


def test_stars_only_ranks_by_stars_and_gravity_zero_ignores_age():
    from paperfeed.ranking import TrendingWeights

    now = datetime(2026, 8, 22, 12, tzinfo=UTC)
    candidates = [_candidate("popular", 500, date(2026, 8, 21), stars=10), _candidate("starred", 1, date(2026, 8, 15),
                                                                                     stars=50_000)]
    stars_only = TrendingWeights(votes=0, comments=0, stars=1, gravity=0)
    assert [c.paper_id for c, _ in rank_trending(candidates, now=now, weights=stars_only)] == ["starred", "popular"]
    assert [c.paper_id for c, _ in rank_trending(candidates, now=now)] == ["popular", "starred"]


@pytest.mark.parametrize(("given", "expected"), [
    ({}, (1, 2, 1, 1.5)),
    ({"votes": "0", "comments": " 0.5 ", "stars": "", "gravity": None}, (0, 0.5, 1, 1.5)),
    ({"votes": "100", "gravity": "5"}, (100, 2, 1, 5)),
    ({"stars": "1e1", "gravity": "0"}, (1, 2, 10, 0)),
])
def test_weights_typed_by_a_reader(given, expected):
    from paperfeed.ranking import TrendingWeights, parse_trending_weights

    assert parse_trending_weights(given, defaults=TrendingWeights()) == TrendingWeights(*expected)


@pytest.mark.parametrize(("given", "field"), [
    ({"votes": "lots"}, "votes"), ({"comments": "-0.1"}, "comments"), ({"stars": "100.01"}, "stars"),
    ({"gravity": "5.5"}, "gravity"), ({"gravity": "NaN"}, "gravity"), ({"votes": "-inf"}, "votes"),
    ({"stars": "1,5"}, "stars"),
])
def test_weights_that_are_not_numbers_in_range_are_refused_by_name(given, field):
    from paperfeed.errors import InvalidInput
    from paperfeed.ranking import TrendingWeights, parse_trending_weights

    with pytest.raises(InvalidInput) as refused:
        parse_trending_weights(given, defaults=TrendingWeights())
    assert refused.value.field == field and "must be a number from 0 to" in str(refused.value)
