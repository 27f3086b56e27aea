"""Combining ranked lists: reciprocal rank fusion.

RRF (Cormack, Clarke and Büttcher, SIGIR 2009)::

    score(d) = sum over lists L containing d of  weight_L / (k + rank_L(d))

with ranks from 1 and ``k = 60`` as in the paper. It needs no score
calibration between BM25 and cosine similarity, which live on different scales.
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
