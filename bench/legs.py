"""The bench tasks' two leg lists, gathered once by the real engine and cached, and the fusions
the hybrid is measured against (what peer engines ship, and Lintas's own previous hybrid).

Used by bench/fusion_sweep.py and bench/studies/fusion_analysis.py: each query's legs (100 deep, as
`lintas eval` runs them) are gathered once per eval index and code version into
$LINTAS_CACHE/eval/legs-*.json, then re-fused under any setting with no model call.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.cache import cache_dir  # noqa: E402
from quality import CONVEX_WEIGHTS  # noqa: E402
from search.engine import hit_evidence, words_held  # noqa: E402
from search.serving.evaluation import as_listed, judged_names, open_task_index, query_legs, read_task  # noqa: E402
from search.fusion import min_max_convex, reciprocal_rank_fusion  # noqa: E402

BENCH = ROOT.parent / "shared" / "bench"
QUESTION_TASKS = ("facqa-news-id", "tydiqa-goldp-id")  # the others are the translation tasks


def task_folders(bench: Path, only: list[str] | None = None) -> list[Path]:
    folders = sorted(p for p in bench.iterdir() if (p / "corpus.jsonl").exists())
    return [p for p in folders if not only or p.name in only]


def _code_version() -> str:
    """The legs depend on the query path's code: a change there gathers them again."""
    digest = hashlib.sha256()
    for name in ("search/engine.py", "search/keyword.py", "search/semantic.py", "search/language.py",
                 "index/reading/language.py", "index/reading/analysis.py", "index/storage/balance.py", "search/reader.py",
                 "index/storage/codes.py"):  # the codes choose which passages are scored again from float32
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:8]


def listing(task):
    """A function that puts a ranking of the task's documents (named as its qrels name them,
    as the legs do) in the order `lintas search` lists it and `lintas eval` scores it
    (evaluation.as_listed, over the task's eval index)."""
    reader = open_task_index(task, None)
    named = judged_names(reader)
    ids = {name: doc for doc, name in named.items()}
    return lambda ranked: [(named[doc], score) for doc, score in as_listed(reader, [(ids[d], s) for d, s in ranked])]


def load_legs(folder: Path, balanced: bool = True):
    """(task, {query id: legs as JSON}) for a BEIR task folder, from the cache when it has them;
    ``balanced=False``: the vector leg without the archive's language balance (as before issue 24)."""
    task = read_task(folder)
    reader = open_task_index(task, None)
    if not balanced:
        reader.__dict__["balance"] = None  # the plain cosine, as search.semantic gives one language
    kind = "" if balanced else "plain-"
    # the index is named by its documents; the queries are named here (a dev task's queries can change alone)
    asked = hashlib.sha256(json.dumps(task.queries, sort_keys=True).encode()).hexdigest()[:8]
    path = cache_dir() / "eval" / f"legs-{kind}{reader.index_dir.name}-{reader.folder.name}-{asked}-{_code_version()}.json"
    if path.exists():
        return task, json.loads(path.read_text())
    legs = legs_of(task, reader)
    path.write_text(json.dumps(legs))
    return task, legs


def legs_of(task, reader) -> dict:
    """{query id: legs as JSON} of every query of ``task``, documents named by their _id."""
    names = judged_names(reader)  # the qrels name documents by their corpus _id

    def named(pairs):
        return [(names[d], v) for d, v in pairs] if isinstance(pairs, list) else {names[d]: v for d, v in pairs.items()}

    legs = {}
    for query_id, text in task.queries.items():
        got = query_legs(reader, text)
        legs[query_id] = {"query_lang": got.query_lang, "keyword": named(got.keyword), "semantic": named(got.semantic),
                          "cosine": named(got.cosine), "bm25": named(got.bm25), "doc_lang": named(got.doc_lang),
                          "lead": named(got.lead), "names": named(got.names),
                          # what the relevance floor measures (search.engine.hit_evidence, words_held)
                          "evidence": named({doc: hit_evidence(reader, got, doc) for doc in got.cosine}),
                          "words": named(words_held(reader, got, list(got.cosine)))}
    return legs


# The question parts of the query's analysis (issue 13, second pass), each of which
# ``query_parts_off`` can switch off to measure it; all three off is the analysis before them.
QUERY_PARTS = {
    "question words": "question words dropped from the keyword terms",
    "word rules": "question words, acronyms and title words in the language vote",
    "index vote": "an unclear query's language from the words only one language's documents have",
}


@contextlib.contextmanager
def query_parts_off(parts: Iterable[str]):
    """The engine with the named QUERY_PARTS switched off, by replacing the functions they live
    in (the engine looks them up at call time): question words kept in the keyword terms; the
    language vote of function words alone (as before: no question words, acronyms or titles);
    no index vote."""
    import index.reading.language
    import search.keyword
    import search.language

    replaced = []

    def replace(module, name, value):
        replaced.append((module, name, getattr(module, name)))
        setattr(module, name, value)

    parts = set(parts)
    if unknown := parts - set(QUERY_PARTS):
        raise ValueError(f"unknown query parts: {sorted(unknown)}")
    if "question words" in parts:
        replace(search.keyword, "question_language", lambda word: None)
    if "word rules" in parts:
        replace(index.reading.language, "question_language", lambda word: None)
        replace(index.reading.language, "_acronyms", lambda tokens: set())
        replace(index.reading.language, "_title_words", lambda tokens: set())
    if "index vote" in parts:
        replace(search.language, "language_in_index", lambda reader, query: None)
    try:
        yield
    finally:
        for module, name, value in reversed(replaced):
            setattr(module, name, value)


def rrf(leg: Mapping) -> list[tuple[str, float]]:
    return reciprocal_rank_fusion([[d for d, _ in leg["keyword"]], [d for d, _ in leg["semantic"]]])


def convex(weight: float):
    return lambda leg: min_max_convex(leg["keyword"], leg["semantic"], weight)


def previous_hybrid(leg: Mapping) -> list[tuple[str, float]]:
    """The hybrid as it was before issue 13 (commit 904daa2), kept to compare with: cosine
    minus its language group's baseline (mean of the group's 5 best, when both groups have 5),
    + 0.01 · BM25 / best BM25 in the query's language, + 0.01 · lead match elsewhere."""
    cosine, bm25, doc_lang, query_lang, lead = (leg["cosine"], leg["bm25"], leg["doc_lang"], leg["query_lang"],
                                                leg["lead"])

    def group(doc: str) -> bool | None:
        return None if query_lang is None else doc_lang.get(doc) == query_lang

    members: dict[bool | None, list[float]] = {}
    for doc, value in cosine.items():
        members.setdefault(group(doc), []).append(value)
    baseline = {}
    if len(members) > 1 and all(len(values) >= 5 for values in members.values()):
        baseline = {key: sum(sorted(values, reverse=True)[:5]) / 5 for key, values in members.items()}
    best = max(bm25.values(), default=0.0) or 1.0
    scores = {doc: value - baseline.get(group(doc), 0.0)
              + (0.01 * bm25.get(doc, 0.0) / best if group(doc) is True else 0.0)
              + (0.01 * lead.get(doc, 0.0) if group(doc) is not True else 0.0)
              for doc, value in cosine.items()}
    order = {doc: i for i, doc in enumerate(scores)}
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))


REFERENCES = {"keyword": lambda leg: leg["keyword"], "semantic": lambda leg: leg["semantic"], "RRF k=60": rrf,
              **{f"convex {w}": convex(w) for w in CONVEX_WEIGHTS}}
