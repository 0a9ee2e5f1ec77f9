"""A calibrated cross-language offset per query, on the vector leg alone (issue 24, a lead not
built): the shipped leg's balanced document cosines (search.semantic, the archive's language
direction taken out), then the query's own language's documents lowered by the difference
between the two languages' q-th percentile cosine to this query. nDCG@10 per task, overall
and by the query's language (search.language.query_language; None: unclear, left alone).

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
from search.semantic import document_scores, passage_scores  # noqa: E402
from search.serving.evaluation import judged_names, open_task_index, read_task  # noqa: E402

VARIANTS = {"none": None, "median": 50, "p90": 90, "p99": 99}
MIN_DOCUMENTS = 20  # each language needs this many documents for its percentile


def ndcg_at_10(order: list[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(order[:10]) if doc in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return dcg / ideal


def shifted(scores: np.ndarray, langs: np.ndarray, query_lang: str | None, q: int | None) -> np.ndarray:
    """``scores`` with the query's language's documents lowered by the two languages' q-th
    percentile difference (unchanged for an unclear query or too few documents of either)."""
    if q is None or query_lang not in ("id", "en"):
        return scores
    other = "en" if query_lang == "id" else "id"
    same, others = langs == query_lang, langs == other
    if same.sum() < MIN_DOCUMENTS or others.sum() < MIN_DOCUMENTS:
        return scores
    moved = scores.copy()
    moved[same] -= np.percentile(scores[same], q) - np.percentile(scores[others], q)
    return moved


def measure(folder: Path) -> dict[str, dict[str, list[float]]]:
    task = read_task(folder)
    reader = open_task_index(task, None)
    names = judged_names(reader)
    docs = np.array([names[reader.doc_id(p)] for p in range(len(reader.docs))], dtype=object)
    langs = np.asarray(reader.langs)
    found: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for query_id, text in task.queries.items():
        relevant = {doc for doc, grade in task.qrels[query_id].items() if grade > 0}
        words = clean_query(text)
        scores = document_scores(reader, passage_scores(reader, reader.query_vector(words))).astype(np.float64)
        query_lang = query_language(reader, words)
        for name, q in VARIANTS.items():
            order = np.argsort(-shifted(scores, langs, query_lang, q), kind="stable")[:10]
            value = ndcg_at_10(list(docs[order]), relevant)
            found[name]["all"].append(value)
            found[name][f"{query_lang} queries"].append(value)
    return found


def main(folders: list[Path]) -> None:
    print("| task | queries | " + " | ".join(VARIANTS) + " |")
    print("|---|---|" + "---|" * len(VARIANTS))
    for folder in folders:
        found = measure(folder)
        for part in sorted(found["none"], key=lambda part: part != "all"):
            label = folder.name if part == "all" else f"{folder.name}: {part}"
            cells = " | ".join(f"{np.mean(found[name][part]):.4f}" for name in VARIANTS)
            print(f"| {label} | {len(found['none'][part])} | {cells} |", flush=True)


if __name__ == "__main__":
    main([Path(arg) for arg in sys.argv[1:]])
