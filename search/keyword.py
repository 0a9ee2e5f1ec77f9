"""The BM25 leg: the query analysed like the documents, an OR of its terms."""
from __future__ import annotations

from whoosh.query import Or, Term

from index.analysis import LANGUAGE_FIELD, terms
from search.filters import Filters
from search.reader import IndexReader

MAX_TERMS_PER_FIELD = 64  # a pasted 10,000-character query must not become a 2,000-term OR


def query_fields(query_lang: str | None) -> list[str]:
    """Fields a query searches: its language's stems (both when unsure) and the exact words."""
    stemmed = [LANGUAGE_FIELD[query_lang]] if query_lang in LANGUAGE_FIELD else list(LANGUAGE_FIELD.values())
    return stemmed + ["text_exact"]


def query_terms(query: str, query_lang: str | None) -> dict[str, list[str]]:
    return {field: list(dict.fromkeys(terms(field, query)))[:MAX_TERMS_PER_FIELD]
            for field in query_fields(query_lang)}


def keyword_search(
    reader: IndexReader, field_terms: dict[str, list[str]], limit: int, filters: Filters | None = None
) -> list[tuple[str, float]]:
    """(doc id, BM25 score) best first; empty when the query has no searchable term."""
    clauses = [Term(field, term) for field, words in field_terms.items() for term in words]
    if not clauses or limit <= 0:
        return []
    query = Or(clauses)
    # Score every posting of every term in one array pass: for our many-term ORs this is 3-4x
    # faster than Whoosh's default tree of union matchers with block-max skipping, and gives
    # the same ranking (bench/speed.py warm; the same top 50 and scores on 40 bench queries).
    query.matcher_type = Or.ARRAY_MATCHER
    with reader.searcher() as searcher:
        results = searcher.search(query, limit=limit, optimize=False,
                                  filter=filters.whoosh_query() if filters else None)
        return [(hit["id"], float(hit.score)) for hit in results]


def keyword_scores_of(
    reader: IndexReader, field_terms: dict[str, list[str]], doc_ids: list[str]
) -> dict[str, float]:
    """BM25 of exactly these documents (0 when none of the query's terms is in one), so fusion
    never treats a document past the keyword list's cut as if it had matched nothing."""
    clauses = [Term(field, term) for field, words in field_terms.items() for term in words]
    scores = dict.fromkeys(doc_ids, 0.0)
    if not clauses or not doc_ids:
        return scores
    query = Or(clauses)
    query.matcher_type = Or.ARRAY_MATCHER  # as in keyword_search: the same scores, faster
    with reader.searcher() as searcher:
        results = searcher.search(query, limit=len(doc_ids), optimize=False,
                                  filter=Or([Term("id", d) for d in doc_ids]))
        scores.update((hit["id"], float(hit.score)) for hit in results)
    return scores
