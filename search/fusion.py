"""Merging the two legs' lists. Pure functions over document ids and scores; no index, no model."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

RRF_K = 60
# Chosen by measurement (bench/RESULTS.md, bench/fusion_sweep.py): the weight of the keyword leg
# (its BM25 over the query's best BM25) by whether the document is in the query's language, and
# how many top cosines of each language group set that group's baseline.
SAME_LANGUAGE_WEIGHT = 0.01
CROSS_LANGUAGE_WEIGHT = 0.0
UNKNOWN_LANGUAGE_WEIGHT = 0.0
BASELINE_TOP = 5
# The weight of the lead match (the idf-weighted share of the query's words in a document's
# title and first passage) for documents not in the query's language.
LEAD_WEIGHT = 0.01


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


def keyword_weight(query_lang: str | None, doc_lang: str | None, same: float = SAME_LANGUAGE_WEIGHT,
                   cross: float = CROSS_LANGUAGE_WEIGHT, unknown: float = UNKNOWN_LANGUAGE_WEIGHT) -> float:
    """How much BM25 may say about a document: across languages it only matches names and numbers."""
    if query_lang is None:
        return unknown
    return same if doc_lang == query_lang else cross


@dataclass(frozen=True)
class Part:
    """One named term of a fused score: it adds ``weight × value``."""

    name: str  # "semantic", "baseline", "keyword", "lead", ...
    value: float
    weight: float = 1.0

    @property
    def amount(self) -> float:
        return self.weight * self.value


@dataclass(frozen=True)
class Fused:
    """A document's fused score and the terms it is the sum of (so it can be explained)."""

    doc: str
    score: float
    parts: tuple[Part, ...]


def fused(doc: str, parts: Sequence[Part]) -> Fused:
    """The document's score as the sum of its parts: the one place a fused score is added up."""
    return Fused(doc, sum(part.amount for part in parts), tuple(parts))


def language_weighted_fusion(
    cosine: Mapping[str, float],
    bm25: Mapping[str, float],
    doc_lang: Mapping[str, str],
    query_lang: str | None,
    **settings,
) -> list[tuple[str, float]]:
    """(doc, score) best first; ``language_weighted_parts`` has the formula and the settings."""
    ranked = language_weighted_parts(cosine, bm25, doc_lang, query_lang, **settings)
    return [(item.doc, item.score) for item in ranked]


def language_weighted_parts(
    cosine: Mapping[str, float],
    bm25: Mapping[str, float],
    doc_lang: Mapping[str, str],
    query_lang: str | None,
    *,
    same: float = SAME_LANGUAGE_WEIGHT,
    cross: float = CROSS_LANGUAGE_WEIGHT,
    unknown: float = UNKNOWN_LANGUAGE_WEIGHT,
    top: int = BASELINE_TOP,
    lead: Mapping[str, float] | None = None,
    lead_weight: float = LEAD_WEIGHT,
) -> list[Fused]:
    """score(d) = cosine(d) - baseline(d's group) + w(query lang, d's lang) * bm25(d) / best bm25
    [+ lead_weight * lead(d) when d is not in the query's language, or that language is unknown].

    The multilingual model gives a document in the query's own language a higher cosine than
    an equally good translation, so each group (documents in the query's language, all the
    others) is measured against its own baseline: the mean of its ``top`` best cosines. No
    baseline when a group has fewer than ``top`` candidates (a lone document would be its own
    baseline), when there is one group (one language, or the query's unknown) or ``top`` is 0. ``cosine`` and ``bm25``
    cover the same candidates (both legs' lists), each with its real score in the other leg
    (BM25 0 only when no query term is in the document). Across languages BM25 over a whole
    article mostly measures its length and repetition; ``lead`` (a share in [0, 1] per document,
    see ``search.keyword.lead_matches``) says whether the query's names and numbers open it.
    Each document's score comes with its parts (``semantic``, ``baseline`` with weight -1,
    ``keyword``, ``lead``), a part whose weight is 0 for that document left out. Ties keep
    ``cosine``'s order.
    """
    def group(doc: str) -> bool | None:
        return None if query_lang is None else doc_lang.get(doc) == query_lang

    baseline: dict[bool | None, float] = {}
    if top > 0:
        members: dict[bool | None, list[float]] = {}
        for doc, value in cosine.items():
            members.setdefault(group(doc), []).append(value)
        if len(members) > 1 and all(len(values) >= top for values in members.values()):
            baseline = {key: sum(sorted(values, reverse=True)[:top]) / top for key, values in members.items()}
    best = max(bm25.values(), default=0.0) or 1.0

    def parts(doc: str, value: float) -> list[Part]:
        terms = [Part("semantic", value)]
        if baseline:
            terms.append(Part("baseline", baseline[group(doc)], -1.0))
        weight = keyword_weight(query_lang, doc_lang.get(doc), same, cross, unknown)
        if weight:
            terms.append(Part("keyword", bm25.get(doc, 0.0) / best, weight))
        if lead is not None and lead_weight and group(doc) is not True:
            terms.append(Part("lead", lead.get(doc, 0.0), lead_weight))
        return terms

    scored = [fused(doc, parts(doc, value)) for doc, value in cosine.items()]
    order = {item.doc: i for i, item in enumerate(scored)}
    return sorted(scored, key=lambda item: (-item.score, order[item.doc]))
