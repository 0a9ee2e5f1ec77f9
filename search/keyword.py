"""The BM25 leg: the query analysed like the documents, an OR of its terms."""
from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.filedb import structfile
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import Term
from whoosh.scoring import bm25
from whoosh.util.numeric import byte_to_length

from index.reading.analysis import LANGUAGE_FIELD, TOKEN_RE, question_language, terms
from search.filters import Filters
from search.reader import IndexReader

MAX_TERMS_PER_FIELD = 64  # a pasted 10,000-character query must not become a 2,000-term OR
COMMON_FRACTION = 0.05  # a term in more than this share of the documents is "common"
MIN_COMMON_DOCS = 1000  # ... and in at least this many: indexes under 20,000 documents are searched exactly
RESCORE_DEPTH = 4  # rare-term hits rescored with the common terms, per result wanted
BLOCK_POSTINGS = 128  # postings in a block of Whoosh's postings files (its W3Codec's blocklimit)
SHARED_RATE = 0.03  # a word both languages write alike: its rarer language's document rate ≥ this × the other's


def query_fields(query_lang: str | None) -> list[str]:
    """Fields a query searches: its language's stems (both when unsure) and the exact words."""
    stemmed = [LANGUAGE_FIELD[query_lang]] if query_lang in LANGUAGE_FIELD else list(LANGUAGE_FIELD.values())
    return stemmed + ["text_exact"]


def query_terms(query: str, query_lang: str | None) -> dict[str, list[str]]:
    """Each searched field's terms of ``query``, analysed as documents are, without its question
    words ("berapakah", "siapa", "whose"): they say what is asked, not what the answer says.
    Query side only: documents keep them, and the vector leg reads the whole question."""
    asked = " ".join(word for word in TOKEN_RE.findall(query) if not question_language(word.lower()))
    return {field: list(dict.fromkeys(terms(field, asked)))[:MAX_TERMS_PER_FIELD]
            for field in query_fields(query_lang)}


def keyword_search(
    reader: IndexReader, field_terms: dict[str, list[str]], limit: int, filters: Filters | None = None,
    keep: np.ndarray | None = None,
) -> list[tuple[str, float]]:
    """(doc id, BM25 score) best first; empty when the query has no searchable term. Only
    documents the filters let through, and whose Whoosh number ``keep`` marks True when given
    (search.syntax: phrases and exclusions).

    Common terms (in more than COMMON_FRACTION of the documents) are scored only for the
    documents the rare terms found, as Elasticsearch's common-terms query does: their postings
    are most of the work, yet their low idf rarely lifts a document that matches nothing rarer.
    A query of common terms only is searched whole.
    """
    rare, common = _split_by_frequency(reader, field_terms)
    if not any(rare.values()) or limit <= 0:
        return []
    depth = limit * RESCORE_DEPTH if any(common.values()) else limit
    with reader.searcher() as searcher:
        scores = _bm25_of_every_document(searcher, _clauses(rare))
        if (allowed := _allowed(searcher, filters)) is not None:
            scores = np.where(allowed, scores, 0.0)
        if keep is not None:
            scores = np.where(keep, scores, 0.0)
        # Whoosh's order: every document with a positive score, best first, then by number;
        # only those at or above the depth-th best score sorted (at a million articles a query's
        # rare terms match ~100,000 documents, and sorting them all was ~10 ms of its keyword leg)
        matched = np.flatnonzero(scores > 0)
        values = scores[matched]
        if len(values) > depth:
            kept = values >= np.partition(values, len(values) - depth)[len(values) - depth]
            matched, values = matched[kept], values[kept]
        best = matched[np.lexsort((matched, -values))][:depth]
        found = [(reader.document_id(int(n)), float(scores[n])) for n in best]
    if any(common.values()):
        extra = _scores_by_skipping(reader, common, [doc for doc, _ in found])
        found = sorted(((doc, score + extra[doc]) for doc, score in found), key=lambda item: -item[1])
    return found[:limit]


def matching_numbers(reader: IndexReader, field_terms: dict[str, list[str]], filters: Filters | None = None) -> np.ndarray:
    """Whoosh numbers of every document ``keyword_search`` could return: one that holds a query
    term (a rare one, in an index large enough to have common ones), let through by the filters."""
    rare, _ = _split_by_frequency(reader, field_terms)
    if not any(rare.values()):
        return np.zeros(0, dtype=np.int64)
    with reader.searcher() as searcher:
        matched = _bm25_of_every_document(searcher, _clauses(rare)) > 0
        if (allowed := _allowed(searcher, filters)) is not None:
            matched &= allowed
    return np.flatnonzero(matched)


def _allowed(searcher, filters: Filters | None) -> np.ndarray | None:
    """True for each Whoosh document number the filters let through; None when all pass."""
    if not filters or (wanted := filters.whoosh_query()) is None:
        return None
    allowed = np.zeros(searcher.doc_count_all(), dtype=bool)
    allowed[list(searcher.docs_for_query(wanted))] = True
    return allowed


def keyword_scores_of(
    reader: IndexReader, field_terms: dict[str, list[str]], doc_ids: list[str]
) -> dict[str, float]:
    """BM25 of exactly these documents (0 when none of the query's terms is in one), so fusion
    never treats a document past the keyword list's cut as if it had matched nothing.

    As ``keyword_search`` scores them, and with the same floats: the rare terms' BM25 looked up
    in what it computed for every document (cached), the common terms' added from their
    postings read only where the wanted documents are (_scores_by_skipping).
    """
    rare, common = _split_by_frequency(reader, field_terms)
    with reader.searcher() as searcher:
        every = _bm25_of_every_document(searcher, _clauses(rare))
    found = _look_up(reader, every, doc_ids)
    if any(common.values()):
        extra = _scores_by_skipping(reader, common, doc_ids)
        found = {doc_id: score + extra[doc_id] for doc_id, score in found.items()}
    return found


def lead_matches(reader: IndexReader, exact_terms: list[str], doc_ids: list[str]) -> dict[str, float]:
    """For each document, the share of the query's words found in its lead (the title and the
    first passage, field ``lead_exact``), each word weighted by its idf in the whole index.

    Across languages this is what a keyword can still tell: whether the names, numbers and
    shared words of the query open the article. Words no document has are left out of the
    share; 0 for every document when the query has none that any document has.
    """
    return _shares(reader, exact_terms, doc_ids, "lead_exact")


def name_matches(reader: IndexReader, name_terms: list[str], doc_ids: list[str]) -> dict[str, float]:
    """For each document, the share of the query's names and numbers (its exact terms among
    ``index.reading.analysis.names_and_numbers``) found anywhere in its text, each weighted by
    its idf in the whole index; as ``lead_matches``, words no document has are left out.

    A sentence quoted from the middle of a story names the story's people, places and figures,
    which its other-language version writes the same way but seldom all in its lead. Presence,
    not BM25: how often an article repeats a name, and how long it is, say little across
    languages (bench/RESULTS.md, the sweep's session 8). Names are mostly rare terms, with short
    postings.
    """
    return _shares(reader, name_terms, doc_ids, "text_exact")


def word_matches(reader: IndexReader, exact_terms: list[str], doc_ids: list[str]) -> dict[str, float]:
    """For each document, the share of the query's words (its exact terms) found anywhere in its
    text, each weighted by its idf in the whole index, as ``name_matches`` counts names (words no
    document holds are left out; 0 when none is held by any): what the relevance floor asks of a
    hit in the query's language (search.confidence.evidence)."""
    return _shares(reader, exact_terms, doc_ids, "text_exact")


def shared_words(reader: IndexReader, words: list[str], query_lang: str | None) -> list[str]:
    """Those of ``words`` (exact terms) that the archive's documents write alike in both
    languages: names, loanwords, figures ("jakarta", "covid", "peskov"), which a query typed in
    lower case cannot mark with a capital (search.engine.gather_legs). A word counts when each
    language's share of its documents holding it (its stem in that language's field, where a
    document's text is indexed) is at least SHARED_RATE times the other's, or when only the
    other language's documents hold it although the query is in ``query_lang``: a word the
    query writes as the other language does. A word of one language only ("floods" in an
    English query) is none; an archive of one language has none, counted as the vector leg's
    language balance counts it (index.storage.balance: a few mistagged documents do not make
    a second language, whose every word would otherwise look shared).
    """
    counts = reader.language_counts
    if not words or reader.balance is None:
        return []
    kept = []
    with reader.searcher() as searcher:
        for word in words:
            rate = {lang: searcher.doc_frequency(field, stems[0]) / counts[lang] if (stems := terms(field, word)) else 0.0
                    for lang, field in LANGUAGE_FIELD.items()}
            alike = min(rate.values()) >= SHARED_RATE * max(rate.values()) > 0
            if alike or (query_lang in rate and rate[query_lang] == 0 < max(rate.values())):
                kept.append(word)
    return kept


def _shares(reader: IndexReader, exact_terms: list[str], doc_ids: list[str], field: str) -> dict[str, float]:
    """Each document's idf-weighted share of ``exact_terms`` found in ``field``. A term in more
    documents than its blocks could hold the wanted ones (BLOCK_POSTINGS each) has only the
    blocks that can hold one decoded (a common word's lead postings at a million articles are
    thousands of blocks; the candidates, ~100); a shorter one is read whole."""
    with reader.searcher() as searcher:
        known = _idf(searcher, tuple(exact_terms))
        weight = sum(term_idf for _, _, term_idf in known)
        if not weight:
            return dict.fromkeys(doc_ids, 0.0)
        wanted = np.array(sorted({number for doc_id in doc_ids
                                  if (number := reader.document_number(doc_id)) is not None}), dtype=np.int64)
        shares = np.zeros(searcher.doc_count_all())
        for term, frequency, term_idf in known:
            if frequency > BLOCK_POSTINGS * len(wanted):  # (its text_exact postings hold its lead's)
                for _, _, places, _ in wanted_postings(searcher, field, term, wanted):
                    shares[wanted[places]] += term_idf / weight
            else:
                shares[term_numbers(searcher, field, term)] += term_idf / weight
    return _look_up(reader, shares, doc_ids)


@lru_cache(maxsize=8)
def _idf(searcher, exact_terms: tuple[str, ...]) -> tuple[tuple[str, int, float], ...]:
    """(term, its document frequency, its idf) in the whole index (text_exact) of each term some
    document holds, in the order given, once each: a hybrid query asks twice for the same terms
    (lead and name matches of the keyword leg's candidates, then of the vector leg's)."""
    total = searcher.doc_count_all()
    return tuple((term, df, math.log(total / df)) for term in dict.fromkeys(exact_terms)
                 if (df := searcher.doc_frequency("text_exact", term)) > 0)


def _split_by_frequency(
    reader: IndexReader, field_terms: dict[str, list[str]]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(rare, common) terms per field; everything is rare when nothing is, or in a small index."""
    with reader.searcher() as searcher:
        cutoff = COMMON_FRACTION * searcher.doc_count_all()
        if cutoff < MIN_COMMON_DOCS:
            return field_terms, {}
        rare = {f: [t for t in words if searcher.doc_frequency(f, t) <= cutoff] for f, words in field_terms.items()}
    common = {f: [t for t in words if t not in set(rare[f])] for f, words in field_terms.items()}
    if not any(rare.values()):
        return field_terms, {}
    return rare, common


def _clauses(field_terms: dict[str, list[str]]) -> tuple[tuple[str, str, float], ...]:
    """(field, term, boost) of each clause of the OR; the boost is the Term's (1 unless
    bench/studies/keyword_variants.py weighs a field through ``Term``)."""
    return tuple((field, term, Term(field, term).boost) for field, words in field_terms.items() for term in words)


@lru_cache(maxsize=4)
def _bm25_of_every_document(searcher, clauses: tuple[tuple[str, str, float], ...]) -> np.ndarray:
    """BM25 of every document number for an OR of the clauses (0 where none is), as
    Whoosh's array matcher adds it up: each term's BM25F per posting (whoosh.scoring.bm25, with
    the searcher's idf and average length) times its boost, summed clause by clause.

    Whoosh scores posting by posting in Python (20-35 ms of a 55-70 ms hybrid query at 10k);
    here each term's postings are read once and scored as arrays: the same floats in a third
    to a fifth of the time (bench/SPEED.md, "Warm search: BM25 as arrays"). Cached and
    read-only: a hybrid query asks twice for its terms (its keyword list, then the vector
    leg's candidates).
    """
    scores = np.zeros(searcher.doc_count_all())
    for field, word, boost in clauses:
        for numbers, term_scores in _term_bm25(searcher, field, word):
            scores[numbers] += term_scores * boost
    scores.setflags(write=False)
    return scores


TERMS_KEPT_BYTES = 64 << 20  # each index's last terms' postings as arrays, kept across queries and threads


class _KeptTerms:
    """What was read of an index's most recently asked terms, as read-only arrays (least
    recently asked out first, past TERMS_KEPT_BYTES): each posting's BM25 (_term_bm25), the
    documents holding a term (term_numbers), each segment's block headers (_postings_at).
    Queries share their common words ("the", "yang", "di"), and reading a term's posting blocks
    (zlib, pickle) was a tenth of a busy server's CPU. A value is a list of tuples of arrays."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._terms: OrderedDict[tuple, list[tuple[np.ndarray, ...]]] = OrderedDict()
        self._bytes = 0

    def get(self, key: tuple):
        with self._lock:
            found = self._terms.get(key)
            if found is not None:
                self._terms.move_to_end(key)
            return found

    def keep(self, key: tuple, value: list[tuple[np.ndarray, ...]]) -> None:
        size = _size(value)
        with self._lock:
            if key in self._terms or size > TERMS_KEPT_BYTES:
                return
            self._terms[key] = value
            self._bytes += size
            while self._bytes > TERMS_KEPT_BYTES:
                _, dropped = self._terms.popitem(last=False)
                self._bytes -= _size(dropped)


def _size(value: list[tuple[np.ndarray, ...]]) -> int:
    return sum(array.nbytes for arrays in value for array in arrays)


_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Whoosh index -> _KeptTerms
_KEPT_LOCK = threading.Lock()


def _kept(searcher) -> _KeptTerms | None:
    """What the searcher's index keeps of its terms (None: a searcher made from a bare reader)."""
    index = getattr(searcher, "_ix", None)
    if index is None:
        return None
    with _KEPT_LOCK:
        kept = _KEPT.get(index)
        if kept is None:
            kept = _KEPT[index] = _KeptTerms()
        return kept


def _kept_or_read(searcher, key: tuple, read: Callable[[], list[tuple[np.ndarray, ...]]]):
    """What the searcher's index keeps under ``key``; else ``read()``, kept there (when the
    searcher has an index to keep it with) and returned."""
    kept = _kept(searcher)
    found = kept.get(key) if kept is not None else None
    if found is None:
        found = read()
        if kept is not None:
            kept.keep(key, found)
    return found


def _term_bm25(searcher, field: str, word: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(Whoosh's document numbers, the term's BM25 there) for each segment holding the term,
    read-only, from the index's kept terms when asked before. Every thread's searcher of one
    index shares them (searcher._ix, the index it was opened from: an index's segments, their
    deletions and its statistics never change once written, index.storage.store)."""
    def read() -> list[tuple[np.ndarray, np.ndarray]]:
        found = []
        for leaf, offset, numbers, frequencies in segment_postings(searcher, field, word):
            scorer = searcher.weighting.scorer(leaf, field, searcher.schema[field].to_bytes(word))
            lengths = _field_lengths(leaf.reader(), field)[numbers]
            term_scores = bm25(scorer.idf, frequencies, lengths, scorer.avgfl, scorer.B, scorer.K1)
            numbers = numbers + offset
            numbers.setflags(write=False)
            term_scores.setflags(write=False)
            found.append((numbers, term_scores))
        return found

    return _kept_or_read(searcher, (field, word), read)


def term_numbers(searcher, field: str, word: str) -> np.ndarray:
    """Whoosh numbers of the live documents holding the term in ``field``, ascending,
    read-only, from the index's kept terms when asked before (as _term_bm25)."""
    def read() -> list[tuple[np.ndarray]]:
        parts = [numbers + offset for _, offset, numbers, _ in segment_postings(searcher, field, word)]
        numbers = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        numbers.setflags(write=False)
        return [(numbers,)]

    return _kept_or_read(searcher, ("numbers", field, word), read)[0][0]


def segment_postings(searcher, field: str, word: str):
    """(leaf searcher, its first document number, document numbers within it, term
    frequencies) for each segment holding the term; deleted documents left out."""
    term = searcher.schema[field].to_bytes(word)
    for leaf, offset in searcher.leaf_searchers():
        segment = leaf.reader()
        if (field, term) not in segment:
            continue
        matcher = segment.postings(field, term)
        if isinstance(matcher, FilterMatcher) and isinstance(matcher.child, W3LeafMatcher) and matcher._exclude:
            numbers, frequencies = _blocks(_read_from_copy(matcher.child))
            kept = ~np.isin(numbers, np.fromiter(matcher._ids, dtype=np.int64))  # the deleted documents
            numbers, frequencies = numbers[kept], frequencies[kept]
        elif isinstance(matcher, W3LeafMatcher):
            numbers, frequencies = _blocks(_read_from_copy(matcher))
        else:  # another codec: posting by posting, through Whoosh's public matcher
            numbers, frequencies = _every_posting(matcher)
        yield leaf, offset, numbers, frequencies


def _every_posting(matcher) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, frequencies) of every posting of a fresh matcher, through Whoosh's
    public matcher, one posting at a time."""
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight()))
        matcher.next()
    return np.array([n for n, _ in found], dtype=np.int64), np.array([f for _, f in found], dtype=np.float64)


def _read_from_copy(matcher: W3LeafMatcher) -> W3LeafMatcher:
    """A fresh matcher of the same postings over a copy of their bytes (the term's extent in the
    postings file, one ``get``): Whoosh reads each block's header with several calls on its
    file, cheaper on an in-memory stream than on the segment's mapped bytes in place
    (index.storage.keyword._View), which are never copied whole."""
    length = matcher._length  # Whoosh-Reloaded 2.7 reads a term's extent back as a 1-tuple
    length = length[0] if isinstance(length, tuple) and len(length) == 1 else length
    if not isinstance(length, int):
        return matcher
    data = matcher._postfile.get(matcher._startoffset, length)
    return W3LeafMatcher(structfile.BufferFile(data), 0, length, matcher.format,
                         term=matcher._term, byteids=matcher._byteids, scorer=matcher.scorer)


def _blocks(matcher: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    """All of a fresh Whoosh 3 matcher's postings, a block at a time: each block's ids and
    weights are decoded once by Whoosh's own readers, instead of three Python calls a posting
    (the reading of a query's postings was two thirds of a warm query's Python time). Reads the
    matcher's internals (_read_ids, _ids, _weights, _next_block); tests/test_keyword.py checks
    the result against the public matcher, posting by posting, on segments with deletions."""
    ids, weights = [], []
    while matcher.is_active():
        block_ids, block_weights = _block(matcher)
        ids.append(block_ids[matcher._i:])
        weights.append(block_weights[matcher._i:])
        matcher._next_block()
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return np.concatenate(ids), np.concatenate(weights)


def _block(matcher: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    """The current block's document numbers and weights as arrays, decoded from the block's
    data tuple as W3LeafMatcher._read_ids and _read_weights decode it (ids stored as the
    differences from the one before: a running sum; weights absent: 1 each; one float: that
    weight for all), without their Python loop over each posting (a third of the reading)."""
    if matcher._byteids:  # not a postings list of document numbers: Whoosh's own decoding
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        return np.asarray(matcher._ids, dtype=np.int64), np.asarray(matcher._weights, dtype=np.float64)
    if matcher._data is None:
        matcher._read_data()
    stored_ids, stored_weights = matcher._data[0], matcher._data[1]
    ids = np.cumsum(np.asarray(stored_ids, dtype=np.int64))
    if stored_weights is None:
        weights = np.ones(len(ids))
    elif isinstance(stored_weights, float):
        weights = np.full(len(ids), stored_weights)
    else:
        weights = np.asarray(stored_weights, dtype=np.float64)
    return ids, weights


_LENGTH_OF_BYTE = np.array([byte_to_length(byte) for byte in range(256)], dtype=np.float64)


@lru_cache(maxsize=64)
def _field_lengths(segment, field: str) -> np.ndarray:
    """Every document's length in ``field`` as Whoosh's BM25 reads it (SegmentReader.
    doc_field_length: one byte per document, decoded), for a whole segment at once, and once
    per segment (read-only). The column of bytes is read raw, a Whoosh internal that
    tests/test_keyword.py checks against doc_field_length document by document."""
    column = segment._perdoc.column_reader(f"_{field}_len", LENGTHS_COLUMN)
    raw = np.frombuffer(column._dbfile.get(column._basepos, column._count), dtype=np.uint8)
    lengths = np.zeros(segment.doc_count_all(), dtype=np.float64)
    lengths[:len(raw)] = _LENGTH_OF_BYTE[raw]
    lengths.setflags(write=False)
    return lengths


def _look_up(reader: IndexReader, every: np.ndarray, doc_ids: list[str]) -> dict[str, float]:
    """Each document's value in a per-document-number array; 0 for an id the index lacks."""
    return {doc_id: float(every[n]) if (n := reader.document_number(doc_id)) is not None else 0.0
            for doc_id in doc_ids}


def _scores_by_skipping(
    reader: IndexReader, field_terms: dict[str, list[str]], doc_ids: list[str]
) -> dict[str, float]:
    """BM25 of exactly these documents, with the index-wide statistics a full search uses, each
    term's postings read segment by segment only in the blocks that hold a wanted document (a
    block's header gives its last document number): a common term's few hundred blocks of its
    thousands at a million articles, each decoded whole (_block) instead of Whoosh's skip_to
    stepping posting by posting in Python (two thirds of a warm 1M query's keyword time)."""
    scores = dict.fromkeys(doc_ids, 0.0)
    numbers = {doc_id: number for doc_id in scores if (number := reader.document_number(doc_id)) is not None}
    if not numbers or not any(field_terms.values()):
        return scores
    wanted = np.array(sorted(set(numbers.values())), dtype=np.int64)
    total = np.zeros(len(wanted))
    with reader.searcher() as searcher:
        for field, word, boost in _clauses(field_terms):
            for leaf, offset, places, frequencies in wanted_postings(searcher, field, word, wanted):
                scorer = searcher.weighting.scorer(leaf, field, searcher.schema[field].to_bytes(word))
                lengths = _field_lengths(leaf.reader(), field)[wanted[places] - offset]
                total[places] += bm25(scorer.idf, frequencies, lengths, scorer.avgfl, scorer.B, scorer.K1) * boost
    for doc_id, number in numbers.items():
        scores[doc_id] = float(total[np.searchsorted(wanted, number)])
    return scores


def wanted_postings(searcher, field: str, word: str, wanted: np.ndarray):
    """(leaf searcher, its first document number, places in ``wanted`` (sorted live document
    numbers) that hold the term, the term's frequency there) for each segment holding it."""
    term = searcher.schema[field].to_bytes(word)
    for leaf, offset in searcher.leaf_searchers():
        segment = leaf.reader()
        first, end = np.searchsorted(wanted, [offset, offset + segment.doc_count_all()])
        if first == end or (field, term) not in segment:
            continue
        local = wanted[first:end] - offset
        matcher = segment.postings(field, term)
        if isinstance(matcher, FilterMatcher) and isinstance(matcher.child, W3LeafMatcher):
            matcher = matcher.child  # the filter leaves out deleted documents, and none is wanted
        if isinstance(matcher, W3LeafMatcher):
            places, frequencies = _postings_at(searcher, (offset, field, word), matcher, local)
        else:  # another codec, or postings inlined in the term's entry: every posting, in Python
            ids, weights = _every_posting(matcher)
            at = np.minimum(np.searchsorted(ids, local), max(len(ids) - 1, 0))
            held = ids[at] == local if len(ids) else np.zeros(len(local), dtype=bool)
            places, frequencies = np.flatnonzero(held), weights[at[held]]
        yield leaf, offset, first + places, frequencies


def _postings_at(searcher, key: tuple, matcher: W3LeafMatcher, local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(places in ``local``, sorted document numbers of the segment, that the fresh matcher's
    postings hold; the frequencies there), decoding only the blocks that can hold one. Which
    blocks those are, each block's header says (its last document number); the headers are
    read once per term and segment and kept with the index's terms (``key``: the segment's
    first document number, the field, the word), so a word most queries hold ("the", "yang")
    has its thousands of headers read once, not by every query."""
    # every header read once, from a copy of the term's bytes (_read_from_copy)
    [(starts, lasts)] = _kept_or_read(searcher, ("blocks", *key), lambda: [_block_directory(_read_from_copy(matcher))])
    blocks = np.searchsorted(lasts, local)  # the block that would hold each wanted document
    places, frequencies = [], []
    for block in np.unique(blocks[blocks < len(starts)]):
        matcher._goto(matcher._startoffset + int(starts[block]))
        ids, weights = _block(matcher)
        wanted = np.flatnonzero(blocks == block)
        at = np.searchsorted(ids, local[wanted])  # each ≤ the block's last: every place is in it
        held = ids[at] == local[wanted]
        places.append(wanted[held])
        frequencies.append(weights[at[held]])
    if not places:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return np.concatenate(places), np.concatenate(frequencies)


def _block_directory(matcher: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    """(each block's offset from the start of the term's postings, its last document number),
    read-only, for a fresh matcher's postings: every block header read once, none decoded."""
    starts, lasts = [], []
    position = matcher._baseoffset
    while matcher.is_active():
        starts.append(position - matcher._startoffset)
        lasts.append(matcher._maxid)
        position = matcher._nextoffset
        matcher._next_block()
    starts, lasts = np.array(starts, dtype=np.int64), np.array(lasts, dtype=np.int64)
    starts.setflags(write=False)
    lasts.setflags(write=False)
    return starts, lasts
