"""Merging ranked lists. Pure functions over document ids; no index, no model."""
from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(d) = sum_i w_i / (k + rank_i(d)), ranks from 1.

    A document missing from a list gets nothing from it (not a made-up rank). Ties keep the
    order in which documents were first seen, walking the lists rank by rank.
    """
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[str, float] = {}
    depth = max((len(r) for r in rankings), default=0)
    for position in range(depth):
        for ranking, weight in zip(rankings, weights):
            if position < len(ranking):
                doc = ranking[position]
                scores[doc] = scores.get(doc, 0.0) + weight / (k + position + 1)
    order = {doc: i for i, doc in enumerate(scores)}
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))
