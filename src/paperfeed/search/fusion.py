"""Combining the keyword and the vector rankings.

Shipped: a convex combination of min-max normalised scores (CombSUM, Fox and
Shaw 1994; Bruch, Gai and Ingber, "An Analysis of Fusion Functions for Hybrid
Retrieval", TOIS 2023, found it beats RRF once its weight is tuned)::

    score(d) = sum over lists L of  weight_L * (s_L(d) - min_L) / (max_L - min_L)

where ``s_L(d)`` is d's score in list L (BM25 or cosine), min and max are taken
over L's candidates, and a document missing from L scores 0 there. With the
keyword and the vector list weighted 0.5 each (chosen with the title weight and
the coverage re-ranking below on SciFact's train split and the known-item
queries, bench/search_levers.py), SciFact's test split gives 0.722 nDCG@10
against 0.713 for RRF with k = 60 (bench/quality.py, docs/benchmarks.md).

Also here: reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009)::

    score(d) = sum over lists L containing d of  weight_L / (k + rank_L(d))
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], *, weights: Sequence[float] | None = None, k: int = RRF_K
) -> list[tuple[str, float]]:
    """Fuse ranked id lists into one ``(id, score)`` list, best first (ties: first seen wins)."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    order = {item: position for position, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda pair: (-pair[1], order[pair[0]]))


def min_max_fusion(
    scored_lists: Sequence[Sequence[tuple[str, float]]], *, weights: Sequence[float]
) -> list[tuple[str, float]]:
    """Fuse ``(id, score)`` lists by a weighted sum of min-max normalised scores, best first."""
    fused: dict[str, float] = {}
    for scored, weight in zip(scored_lists, weights, strict=True):
        if not scored:
            continue
        values = [score for _, score in scored]
        low, high = min(values), max(values)
        for item, score in scored:
            normalised = (score - low) / (high - low) if high > low else 1.0
            fused[item] = fused.get(item, 0.0) + weight * normalised
    order = {item: position for position, item in enumerate(fused)}
    return sorted(fused.items(), key=lambda pair: (-pair[1], order[pair[0]]))


def coverage_rerank(
    fused: Sequence[tuple[str, float]], coverage: dict[str, int], terms: int, *, weight: float, depth: int
) -> list[tuple[str, float]]:
    """Re-rank the first ``depth`` of ``fused`` by how many of the query's terms each paper holds::

        score'(d) = score(d) + weight * overlap(q, d) / |q|

    the coordination factor of Lucene's classic similarity (``coord(q, d)``, an added term here
    rather than a factor). BM25 lets two rare words outweigh five common ones, and a vector has no
    notion of words at all; a researcher recalling a paper types several of its words, so the
    paper holding all of them should come first. The rest keep their order after the first ``depth``.
    """
    if terms <= 0 or weight <= 0:
        return list(fused)
    head = [(item, score + weight * coverage.get(item, 0) / terms) for item, score in fused[:depth]]
    order = {item: position for position, (item, _) in enumerate(head)}
    head.sort(key=lambda pair: (-pair[1], order[pair[0]]))
    return head + list(fused[depth:])


def origin_boost(
    fused: Sequence[tuple[str, float]], holders: Sequence[str], *, weight: float, least_holders: int
) -> list[tuple[str, float]]:
    """Raise the first of ``holders`` (the papers that hold the query as a phrase, oldest first) by
    ``weight``, when at least ``least_holders`` hold it::

        score'(d) = score(d) + weight   if d is the oldest paper holding the phrase

    A phrase that several papers use names something (a method, a benchmark), and the oldest of
    them is likely the paper that introduced it; later papers merely mention it, often more often.
    With fewer holders the phrase says nothing about who came first."""
    if weight <= 0 or len(holders) < least_holders:
        return list(fused)
    first = holders[0]
    raised = [(item, score + weight if item == first else score) for item, score in fused]
    order = {item: position for position, (item, _) in enumerate(raised)}
    return sorted(raised, key=lambda pair: (-pair[1], order[pair[0]]))
