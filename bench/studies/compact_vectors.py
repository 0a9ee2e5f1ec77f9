"""What scanning int8 codes instead of float32 vectors changes in the vector leg (issue 21):
every task's vector leg (language balance included, search.semantic.passage_scores itself) with
the exact float32 cosine of every passage against the codes with the best RESCORED passages
scored again from their float32 vectors.

    .venv/bin/python bench/studies/compact_vectors.py [TASK_DIR...] [--no-write]

Default tasks: the shared bench and the dev tasks (bench/dev_tasks.py, built again here). Query
vectors as bench/studies/language_balance.py caches them. Per task: the vector leg's nDCG@10,
and the recall of the exact top 100 documents in the codes' top 100 (mean over queries), for
each number of passages rescored (1: the codes alone, but for the one best).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dev_tasks  # noqa: E402
from legs import BENCH, task_folders  # noqa: E402
from studies.language_balance import query_vectors  # noqa: E402
from search import semantic  # noqa: E402
from search.serving import metrics  # noqa: E402
from search.serving.evaluation import judged_names, open_task_index, read_task  # noqa: E402

START, END = "<!-- compact:start -->", "<!-- compact:end -->"
RESCORED = (1, 100, 300, 1000)
DEPTH = 100


def leg(reader, query_vector: np.ndarray, rescored: int) -> np.ndarray:
    """Every document's vector-leg score with ``rescored`` passages scored from float32."""
    shipped = semantic.RESCORED
    semantic.RESCORED = rescored
    try:
        return semantic.document_scores(reader, semantic.passage_scores(reader, query_vector))
    finally:
        semantic.RESCORED = shipped


def top(scores: np.ndarray, k: int) -> np.ndarray:
    return np.lexsort((np.arange(len(scores)), -scores))[:k]


def main(folders: list[Path]) -> list[str]:
    header = ["task", "passages", "nDCG@10 float32"] + [f"nDCG@10 / recall@100, {r} rescored" for r in RESCORED]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---|" * (len(header) - 1)]
    lowest, largest = dict.fromkeys(RESCORED, 1.0), dict.fromkeys(RESCORED, 0.0)  # recall, nDCG change
    for folder in folders:
        task = read_task(folder)
        reader = open_task_index(task, None)
        names = judged_names(reader)
        ids = [names[doc.id] for doc in reader.docs]
        exact_ndcg, ndcg, recall = 0.0, dict.fromkeys(RESCORED, 0.0), dict.fromkeys(RESCORED, 0.0)
        everything = int(reader.manifest.passages) + 1
        for query, vector in zip(task.queries, query_vectors(reader, task)):
            exact = leg(reader, vector, everything)
            exact_top = top(exact, DEPTH)
            exact_ndcg += metrics.ndcg_at([ids[i] for i in exact_top[:10]], task.qrels[query], 10)
            for r in RESCORED:
                found = top(leg(reader, vector, r), DEPTH)
                ndcg[r] += metrics.ndcg_at([ids[i] for i in found[:10]], task.qrels[query], 10)
                recall[r] += len(set(found.tolist()) & set(exact_top.tolist())) / len(exact_top)
        n = len(task.queries)
        cells = [task.name, f"{reader.manifest.passages:,}", f"{exact_ndcg / n:.4f}"]
        for r in RESCORED:
            cells.append(f"{ndcg[r] / n:.4f} / {recall[r] / n:.4f}")
            lowest[r] = min(lowest[r], recall[r] / n)
            largest[r] = max(largest[r], abs(ndcg[r] - exact_ndcg) / n)
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], file=sys.stderr)
    lines.append("")
    for r in RESCORED:
        lines.append(f"- {r} rescored: lowest recall of the exact top {DEPTH} {lowest[r]:.4f}, "
                     f"largest nDCG@10 change {largest[r]:.4f}")
    return lines


if __name__ == "__main__":
    from quality import run_section

    def chosen(bench: Path, only: list[str]) -> list[str]:
        given = [p for p in (bench, *map(Path, only)) if (p / "corpus.jsonl").exists()]
        folders = given or task_folders(bench) + dev_tasks.build()
        return main(folders)

    run_section("studies/compact_vectors.py", chosen, (START, END),
                "vector leg only; eval indexes as `lintas eval` builds them", BENCH)
