"""Merging the two legs' lists. Pure functions over document ids and scores; no index, no model."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

RRF_K = 60
# How many of a language group's best candidates set its mean and spread in each leg. Small
# enough that a 50-deep search (k = 10) and the 100-deep evaluation see the same statistics
# (bench/RESULTS.md, "depth"); a group needs MIN_GROUP candidates to be measured on its own.
STATS_TOP = 20
MIN_GROUP = 5
# The name match is measured against the candidates among either leg's NAMES_TOP best (every
# search's legs look at least this deep): a name they all hold lifts none of them.
NAMES_TOP = 50


@dataclass(frozen=True)
class Weights:
    """How much each signal counts, in standard deviations over the query's candidates.

    Chosen by measurement (bench/fusion_sweep.py, bench/RESULTS.md) over the bench tasks and
    the dev tasks of bilingual archives (bench/dev_tasks.py). BM25 counts for documents in the
    query's language, as much as the vector leg's best candidates are in that language too:
    ``keyword_same`` when all of them are, down to ``keyword_same_low`` when none is. BM25 is
    blind across languages, so where the vector leg finds its best matches in the other language
    a full BM25 weight would only lift the unrelated documents that share the query's words
    in its own. The lead match (the query's names, numbers and shared words in the opening) and
    the name match (its names and numbers anywhere in the text) count for documents in another
    language, where BM25 over whole articles mostly measures their length and repetition; when
    the query's language is unclear, half the BM25 weight and both matches for every document.
    """

    keyword_same: float = 0.54  # BM25, documents in the query's language, when it is the leg's
    keyword_same_low: float = 0.0  # ... when none of the vector leg's best candidates is in it
    keyword_cross: float = 0.0  # BM25, documents in another language
    keyword_unknown: float = 0.27  # BM25, every document when the query's language is unclear
    lead: float = 1.0  # the lead match, documents not in the query's language (all when unclear)
    names: float = 2.5  # the name match, the same documents
    # whether each leg is standardized within each language group (True: issue 13's hybrid,
    # which lifted the best document of each language, related or not) or over all candidates
    semantic_by_language: bool = False
    keyword_by_language: bool = False

    def keyword_for_same(self, share: float) -> float:
        """The BM25 weight of documents in the query's language when ``share`` of the vector
        leg's best candidates (SHARE_TOP) are in it."""
        # rounded: a weight that prints as it is (--explain) and adds up as printed
        return round(self.keyword_same_low + (self.keyword_same - self.keyword_same_low) * share, 3)


SHARE_TOP = 20  # how many of the vector leg's best candidates say where the query's answers are


def centred_names(names: Mapping[str, float], cosine: Mapping[str, float], bm25: Mapping[str, float],
                  top: int = NAMES_TOP) -> dict[str, float]:
    """Each candidate's name match minus its mean over the ``top`` best candidates by cosine and
    the ``top`` best by BM25: in an archive about one affair, whose every article names the same
    people, holding the names says nothing, and an article in the other language is not lifted
    above one in the query's language for it."""
    def best(scores: Mapping[str, float]) -> list[str]:
        return sorted(scores, key=scores.__getitem__, reverse=True)[:top]

    base = set(best(cosine)) | set(best(bm25))
    mean = sum(names.get(doc, 0.0) for doc in base) / len(base) if base else 0.0
    return {doc: names.get(doc, 0.0) - mean for doc in cosine}


def same_language_share(cosine: Mapping[str, float], doc_lang: Mapping[str, str], query_lang: str | None,
                        top: int = SHARE_TOP) -> float:
    """The share of the ``top`` best candidates by cosine in the query's language (1 when the
    query's language is unclear, or there are no candidates)."""
    best = sorted(cosine, key=cosine.__getitem__, reverse=True)[:top]
    if query_lang is None or not best:
        return 1.0
    return sum(doc_lang.get(doc) == query_lang for doc in best) / len(best)


WEIGHTS = Weights()


@dataclass(frozen=True)
class Part:
    """One named term of a fused score: it adds ``weight × value``."""

    name: str  # "semantic", "keyword", "lead"
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


def min_max_convex(
    keyword: Sequence[tuple[str, float]], semantic: Sequence[tuple[str, float]], keyword_weight: float
) -> list[tuple[str, float]]:
    """The convex fusion other engines ship (Weaviate, Vespa, OpenSearch's normalization
    processor): each list min-max normalised over itself, a document missing from a list
    gets that list's minimum (0), score = w · keyword + (1 − w) · semantic. A reference for
    the bench, not what `hybrid` does. Ties keep the order first seen (semantic list first)."""
    def normalised(ranking: Sequence[tuple[str, float]]) -> dict[str, float]:
        if not ranking:
            return {}
        low, high = min(s for _, s in ranking), max(s for _, s in ranking)
        return {doc: (s - low) / (high - low) if high > low else 1.0 for doc, s in ranking}

    bm25, cosine = normalised(keyword), normalised(semantic)
    docs = dict.fromkeys([doc for doc, _ in semantic] + [doc for doc, _ in keyword])
    scores = {doc: keyword_weight * bm25.get(doc, 0.0) + (1 - keyword_weight) * cosine.get(doc, 0.0)
              for doc in docs}
    order = {doc: i for i, doc in enumerate(scores)}
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))


def language_groups(docs: Sequence[str], doc_lang: Mapping[str, str], query_lang: str | None,
                    min_size: int = MIN_GROUP) -> dict[str, bool]:
    """Each document's group: True when it is in the query's language, False when not. One
    group (every document True) when the query's language is unclear, or when either group
    has fewer than ``min_size`` candidates (a lone document would set its own scale)."""
    if query_lang is None:
        return dict.fromkeys(docs, True)
    group = {doc: doc_lang.get(doc) == query_lang for doc in docs}
    same = sum(group.values())
    if 0 < same < min_size or 0 < len(group) - same < min_size:
        return dict.fromkeys(docs, True)
    return group


def standardized(scores: Mapping[str, float], group: Mapping[str, bool], top: int = STATS_TOP) -> dict[str, float]:
    """Each score as standard deviations above its group's mean, both measured on the group's
    ``top`` best scores: (score − mean) / spread. A leg whose best document stands far above
    the rest moves the fused ranking more than a leg whose top is a crowd of near ties. A
    group whose top scores are all equal gets a spread of 1 (its scores shifted, not scaled)."""
    stats: dict[bool, tuple[float, float]] = {}
    for key in set(group.values()):
        best = sorted((scores.get(doc, 0.0) for doc, g in group.items() if g == key), reverse=True)[:top]
        mean = sum(best) / len(best)
        stats[key] = (mean, math.sqrt(sum((x - mean) ** 2 for x in best) / len(best)) or 1.0)
    return {doc: (scores.get(doc, 0.0) - stats[key][0]) / stats[key][1] for doc, key in group.items()}


def standardized_fusion(
    cosine: Mapping[str, float],
    bm25: Mapping[str, float],
    doc_lang: Mapping[str, str],
    query_lang: str | None,
    lead: Mapping[str, float] | None = None,
    weights: Weights = WEIGHTS,
    top: int = STATS_TOP,
    min_group: int = MIN_GROUP,
    *,
    names: Mapping[str, float] | None = None,
) -> list[Fused]:
    """score(d) = semantic(d) + w_keyword(query, d) · keyword(d) [+ w_lead · lead(d) + w_names ·
    names(d)], best first.

    ``cosine`` and ``bm25`` cover the same candidates (both legs' lists), each with its real
    score in the other leg (BM25 0 only when no query term is in the document). The parts:

    - ``semantic``: the (language-balanced, search.semantic) cosine, standardized over all
      candidates (``standardized``; within each language group when ``semantic_by_language``).
      With the archive's language direction taken out of the cosine, a document no longer
      needs its own language's group to compete, and the best document of a language is no
      longer lifted for being that.
    - ``keyword``: BM25 standardized the same way (``keyword_by_language``), weighted by the
      query's and d's language: ``Weights.keyword_for_same`` in the query's language (by the
      share of the vector leg's best candidates in it), ``keyword_cross`` in another one,
      ``keyword_unknown`` when the query's language is unclear.
    - ``lead``: the lead match (a share in [0, 1], ``search.keyword.lead_matches``: the
      query's names, numbers and shared words in d's title and first passage), for documents
      not in the query's language, or every document when that language is unclear.
    - ``names``: the name match (``search.keyword.name_matches``: the share of the query's names
      and numbers found anywhere in d), less its mean over the best candidates
      (``centred_names``), for the same documents as the lead match.

    A part whose weight is 0 is left out. Ties keep ``cosine``'s order.
    """
    group = language_groups(list(cosine), doc_lang, query_lang, min_group)
    one = dict.fromkeys(group, True)
    semantic = standardized(cosine, group if weights.semantic_by_language else one, top)
    keyword = standardized(bm25, group if weights.keyword_by_language else one, top)

    same_weight = weights.keyword_for_same(same_language_share(cosine, doc_lang, query_lang))
    if names is not None:
        names = centred_names(names, cosine, bm25)

    def parts(doc: str) -> list[Part]:
        if query_lang is None:
            weight, across = weights.keyword_unknown, True
        elif doc_lang.get(doc) == query_lang:
            weight, across = same_weight, False
        else:
            weight, across = weights.keyword_cross, True
        terms = [Part("semantic", semantic[doc])]
        if weight:
            terms.append(Part("keyword", keyword[doc], weight))
        if lead is not None and across and weights.lead:
            terms.append(Part("lead", lead.get(doc, 0.0), weights.lead))
        if names is not None and across and weights.names:
            terms.append(Part("names", names.get(doc, 0.0), weights.names))
        return terms

    scored = [fused(doc, parts(doc)) for doc in cosine]
    order = {item.doc: i for i, item in enumerate(scored)}
    return sorted(scored, key=lambda item: (-item.score, order[item.doc]))
