"""Retrieval metrics over one ranked list and its relevance judgements. Pure functions.

``ranking`` is a list of document ids, best first; ``relevant`` maps a relevant document's id
to its graded relevance (> 0). Definitions follow trec_eval as BEIR runs it: nDCG's gain is
the grade itself (no 2^rel - 1), MRR and recall count any grade > 0 as relevant.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain: sum of gain_i / log2(i + 1), positions from 1."""
    return sum(gain / math.log2(position + 1) for position, gain in enumerate(gains, start=1))


def ndcg_at(ranking: Sequence[str], relevant: Mapping[str, float], k: int) -> float:
    """DCG of the top k over the DCG of the ideal top k; 0 when nothing is relevant."""
    ideal = dcg(sorted((g for g in relevant.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([relevant.get(doc, 0.0) for doc in ranking[:k]]) / ideal


def mrr_at(ranking: Sequence[str], relevant: Mapping[str, float], k: int) -> float:
    """1 / rank of the first relevant document in the top k, else 0."""
    for position, doc in enumerate(ranking[:k], start=1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / position
    return 0.0


def recall_at(ranking: Sequence[str], relevant: Mapping[str, float], k: int) -> float:
    """Share of the relevant documents found in the top k; 0 when nothing is relevant."""
    wanted = {doc for doc, gain in relevant.items() if gain > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranking[:k])) / len(wanted)


def all_found_at(ranking: Sequence[str], relevant: Mapping[str, float], k: int) -> bool:
    """Whether every relevant document is in the top k (ntrex-mixed: both language versions)."""
    return recall_at(ranking, relevant, k) == 1.0
