"""The language offset of the vector leg (search.semantic.language_offset), and the variants
measured beside it, on the vector leg alone: the shipped leg's document scores (the archive's
language direction and half its common component out) with the query's own language's documents
lowered by the difference between the two languages' q-th percentile score to this query;
"lowering only" never raises them (the shipped rule, at the median, from a sample of each
language's documents' codes). nDCG@10 per task, overall and by the query's language
(search.language.query_language; None: unclear, left alone), and the mean offset at the median
by the query's language (negative: its own language's documents sit further from it).

    .venv/bin/python bench/studies/language_offset.py TASK_DIR...

Prints a Markdown table; writes nothing. Eval indexes as `lintas eval` builds them (cached).
"""
from __future__ import annotations

import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from search.engine import clean_query  # noqa: E402
from search.language import query_language  # noqa: E402
from search.semantic import document_scores, language_offset, rescore, scores_and_medians  # noqa: E402
from search.serving.evaluation import judged_names, open_task_index, read_task  # noqa: E402

# name: (percentile, lowering only); "shipped": the engine's own language_offset
VARIANTS = {"none": (None, False), "shipped": (None, True), "median": (50, False), "p90": (90, False),
            "p90, lowering only": (90, True), "p99": (99, False)}
MIN_DOCUMENTS = 20  # each language needs this many documents for its percentile


def ndcg_at_10(order: list[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(order[:10]) if doc in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return dcg / ideal


def shifted(scores: np.ndarray, langs: np.ndarray, query_lang: str | None, q: int | None,
            lowering_only: bool) -> tuple[np.ndarray, float | None]:
    """``scores`` with the query's language's documents lowered by the two languages' q-th
    percentile difference (unchanged for an unclear query or too few documents of either),
    and that difference (None when there is none)."""
    if q is None or query_lang not in ("id", "en"):
        return scores, None
    other = "en" if query_lang == "id" else "id"
    same, others = langs == query_lang, langs == other
    if same.sum() < MIN_DOCUMENTS or others.sum() < MIN_DOCUMENTS:
        return scores, None
    difference = np.percentile(scores[same], q) - np.percentile(scores[others], q)
    moved = scores.copy()
    moved[same] -= max(difference, 0.0) if lowering_only else difference
    return moved, difference


def measure(folder: Path) -> tuple[dict[str, dict[str, list[float]]], dict[str, list[float]]]:
    task = read_task(folder)
    reader = open_task_index(task, None)
    names = judged_names(reader)
    docs = np.array([names[reader.doc_id(p)] for p in range(len(reader.docs))], dtype=object)
    langs = np.asarray(reader.langs)
    found: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    offsets: dict[str, list[float]] = defaultdict(list)
    for query_id, text in task.queries.items():
        relevant = {doc for doc, grade in task.qrels[query_id].items() if grade > 0}
        words = clean_query(text)
        query_vector = reader.query_vector(words)
        passages, medians = scores_and_medians(reader, query_vector)
        rescore(reader, query_vector, passages, np.arange(len(passages)))  # every document's exact score
        scores = document_scores(reader, passages).astype(np.float64)
        query_lang = query_language(reader, words)
        for name, (q, lowering_only) in VARIANTS.items():
            if name == "shipped":
                ranked = scores - (langs == query_lang) * language_offset(medians, query_lang)
            else:
                ranked, difference = shifted(scores, langs, query_lang, q, lowering_only)
                if q == 50 and difference is not None:
                    offsets[str(query_lang)].append(difference)
            order = np.argsort(-ranked, kind="stable")[:10]
            value = ndcg_at_10(list(docs[order]), relevant)
            found[name]["all"].append(value)
            found[name][f"{query_lang} queries"].append(value)
    return found, offsets


def main(folders: list[Path]) -> None:
    print("| task | queries | " + " | ".join(VARIANTS) + " | median difference |")
    print("|---|---|" + "---|" * (len(VARIANTS) + 1))
    for folder in folders:
        found, offsets = measure(folder)
        for part in sorted(found["none"], key=lambda part: part != "all"):
            label = folder.name if part == "all" else f"{folder.name}: {part}"
            cells = " | ".join(f"{np.mean(found[name][part]):.4f}" for name in VARIANTS)
            language = part.removesuffix(" queries")
            difference = f"{np.mean(offsets[language]):+.4f}" if offsets.get(language) else ""
            print(f"| {label} | {len(found['none'][part])} | {cells} | {difference} |", flush=True)


if __name__ == "__main__":
    main([Path(arg) for arg in sys.argv[1:]])
