"""What each question part of the query's analysis does, measured by switching it off.

    .venv/bin/python bench/studies/question_parts.py [BENCH_DIR [TASK...]] [--no-write]

The parts (bench/legs.py, QUERY_PARTS): question words dropped from the keyword terms; the
word rules of the language vote (question words count twice, acronyms and the function words
of a capitalized title do not vote); the index vote (an unclear query's language from the words
only one language's documents have). All three off is the query analysis before them.

Prints, in Markdown, and writes into bench/RESULTS.md (between the questions markers):
1. the query's language per task, right / unclear / wrong against the language the task's
   queries are written in (../shared/bench/README.md, meta.json), for each variant;
2. the same for other texts of known language, which no rule was written from (words only:
   these texts have no index of their own);
3. nDCG@10 per task of the keyword leg and of the hybrid (the shipped weights, and those
   shipped before this change), for each variant.
The vector leg does not change between variants: each query is embedded once.
"""
from __future__ import annotations

import contextlib
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fusion_sweep import Query, measure, ndcg_of  # noqa: E402
from legs import BENCH, QUERY_PARTS, legs_of, query_parts_off, task_folders  # noqa: E402
from search.serving.evaluation import open_task_index, read_task  # noqa: E402
from search.fusion import WEIGHTS, Weights  # noqa: E402

START, END = "<!-- questions:start -->", "<!-- questions:end -->"
# The language each task's queries are written in (../shared/bench/README.md; meta.json of the
# question tasks): the English→Indonesian tasks ask in English, the others in Indonesian.
QUERY_LANGUAGE = {"facqa-news-id": "id", "flores-en-id": "en", "ntrex-en-id": "en", "ntrex-id-en": "id",
                  "ntrex-mixed": "en", "tatoeba-en-id": "en", "tydiqa-goldp-id": "id"}
BEFORE = Weights(0.8, 0.8, 0.0, 0.0, 1.5, names=0.0, semantic_by_language=True, keyword_by_language=True)  # shipped before the question parts
VARIANTS = {
    "now (every part)": (),
    "question words kept in the keyword terms": ("question words",),
    "language vote by function words only": ("word rules",),
    "no index vote": ("index vote",),
    "before (all three off)": tuple(QUERY_PARTS),
}


@contextlib.contextmanager
def vectors_once():
    """Each query's passage scores computed once and reused by every variant (the vector leg
    does not depend on the query parts)."""
    import search.engine as engine

    real, memo = engine._score_passages, {}

    def memoised(reader, query):
        if (reader.folder, query) not in memo:
            memo[(reader.folder, query)] = real(reader, query)
        return memo[(reader.folder, query)]

    engine._score_passages = memoised
    try:
        yield
    finally:
        engine._score_passages = real


def tally(detected: list[str | None], truth: str) -> str:
    count = Counter("right" if lang == truth else "unclear" if lang is None else "wrong" for lang in detected)
    return f"{count['right']} / {count['unclear']} / {count['wrong']}"


def other_texts(bench: Path) -> dict[str, tuple[list[str], str]]:
    """Short texts of known language from the bench's corpora, none of them a query: the
    Indonesian sentences of Tatoeba and FLORES, the headlines of the IndoSum distractors (their
    ids are the lower-case headline; the last word, often cut, left out), and the first sentence
    of the English FLORES documents."""
    def corpus(task: str) -> list[dict]:
        with open(bench / task / "corpus.jsonl", encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]

    ntrex_en, ntrex_id = corpus("ntrex-en-id"), corpus("ntrex-id-en")
    return {
        "Tatoeba, Indonesian sentences": ([d["text"] for d in corpus("tatoeba-en-id")], "id"),
        "FLORES, Indonesian sentences": ([d["text"] for d in corpus("flores-en-id")], "id"),
        "IndoSum headlines (lower case, from the ids)": (
            [" ".join(d["_id"].split("-")[2:-1]) for d in ntrex_en if d["_id"].startswith("indosum-")], "id"),
        "FLORES English documents, first sentence": (
            [d["text"].split(". ")[0] for d in ntrex_id if d["_id"].startswith("flores-eng")], "en"),
    }


def main(bench: Path, only: list[str]) -> list[str]:
    from index.reading.language import detect_query_language
    from search.engine import clean_query
    from search.language import query_language

    detection: dict[str, dict[str, str]] = {}
    scores: dict[str, dict[str, tuple[float, float, float]]] = {}
    names = []
    for folder in task_folders(bench, only):
        task = read_task(folder)
        reader = open_task_index(task, None)
        names.append(task.name)
        texts = [clean_query(text) for text in task.queries.values()]
        with vectors_once():
            for variant, parts in VARIANTS.items():
                with query_parts_off(parts):
                    detection.setdefault(variant, {})[task.name] = tally(
                        [query_language(reader, text) for text in texts], QUERY_LANGUAGE[task.name])
                    legs = legs_of(task, reader)
                queries = [Query(legs[q], task.qrels[q]) for q in task.queries]
                scores.setdefault(variant, {})[task.name] = (
                    ndcg_of(task, legs, lambda leg: leg["keyword"]), measure(queries, WEIGHTS)[0],
                    measure(queries, BEFORE)[0])
        print(f"{task.name} measured", file=sys.stderr)

    out = ["The query's language, right / unclear / wrong, against the language each task's queries are "
           "written in:", "", "| variant | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    out += [f"| {variant} | " + " | ".join(row[t] for t in names) + " |" for variant, row in detection.items()]
    out += ["", "Other texts of known language, which no rule was written from (the words alone, as "
            "`detect_query_language`; right / unclear / wrong):", "",
            "| texts | count | function words only (before) | now |", "|---|---|---|---|"]
    for label, (texts, truth) in other_texts(bench).items():
        texts = [clean_query(text) for text in texts]
        with query_parts_off(["word rules"]):
            before = tally([detect_query_language(text) for text in texts], truth)
        out.append(f"| {label} | {len(texts)} | {before} | "
                   f"{tally([detect_query_language(text) for text in texts], truth)} |")
    out += ["", f"nDCG@10 of the keyword leg, of the hybrid with the shipped weights ({label_of(WEIGHTS)}) and "
            f"with the weights shipped before ({label_of(BEFORE)}):", "",
            "| variant | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for variant, row in scores.items():
        out.append(f"| {variant} | " + " | ".join(
            f"{row[t][0]:.4f}; **{row[t][1]:.4f}**; {row[t][2]:.4f}" for t in names) + " |")
    return out


def label_of(w: Weights) -> str:
    return f"same {w.keyword_same:g}, cross {w.keyword_cross:g}, unknown {w.keyword_unknown:.3g}, lead {w.lead:g}"


if __name__ == "__main__":
    from quality import run_section

    run_section("studies/question_parts.py", main, (START, END), "legs from the same engine and eval indexes as "
                "`lintas eval`, 100 deep; each variant switches parts off, bench/legs.py", BENCH)
