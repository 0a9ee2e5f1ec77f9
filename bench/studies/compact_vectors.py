"""What compact vectors change in the vector leg (issue 21): every task's vector leg (language
balance included, search.semantic.passage_scores itself) with the exact float32 cosine of every
passage against the codes with the best RESCORED passages scored again from their float32
vectors, and against the index as it is written now: vectors stored in float16 (their codes
made from the model's float32 vectors, as before), the shipped number of passages rescored from
the float16 vectors.

The float32 index is the task's eval index written as before float16 (store.VECTOR_DTYPE
float32, built beside it from the cached passage vectors); the float16 one is the eval index
`lintas eval` builds.

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
from search.serving.evaluation import default_index_dir, has_index, judged_names, open_task_index, read_task  # noqa: E402
from search.reader import IndexReader  # noqa: E402
from index.storage import store  # noqa: E402

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


def float32_reader(task) -> IndexReader:
    """The task's eval index with its vectors stored in float32, as before float16."""
    from index.embedding.choose import load_index_embedder
    from index.embedding.engine import canonical_model
    from index.storage.builder import build_index

    target = default_index_dir(task, canonical_model(None))
    target = target.with_name(target.name + "-float32")
    if not has_index(target):
        shipped, store.VECTOR_DTYPE = store.VECTOR_DTYPE, "float32"
        try:
            build_index([task.corpus], target, load_index_embedder(None))
        finally:
            store.VECTOR_DTYPE = shipped
    return IndexReader(target)


def top(scores: np.ndarray, k: int) -> np.ndarray:
    return np.lexsort((np.arange(len(scores)), -scores))[:k]


def main(folders: list[Path]) -> list[str]:
    kinds = [*RESCORED, "float16"]  # "float16": the index as written now, semantic.RESCORED rescored
    header = (["task", "passages", "nDCG@10 float32"] + [f"nDCG@10 / recall@100, {r} rescored" for r in RESCORED]
              + [f"nDCG@10 / recall@100, float16 stored, {semantic.RESCORED} rescored"])
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---|" * (len(header) - 1)]
    lowest, largest = dict.fromkeys(kinds, 1.0), dict.fromkeys(kinds, 0.0)  # recall, nDCG change
    for folder in folders:
        task = read_task(folder)
        stored = open_task_index(task, None)
        reader = float32_reader(task)
        names = judged_names(reader)
        ids = [names[doc.id] for doc in reader.docs]
        assert [names[doc.id] for doc in stored.docs] == ids, "the two indexes hold the documents in one order"
        exact_ndcg, ndcg, recall = 0.0, dict.fromkeys(kinds, 0.0), dict.fromkeys(kinds, 0.0)
        everything = int(reader.manifest.passages) + 1
        for query, vector in zip(task.queries, query_vectors(stored, task)):
            exact = leg(reader, vector, everything)
            exact_top = top(exact, DEPTH)
            exact_ndcg += metrics.ndcg_at([ids[i] for i in exact_top[:10]], task.qrels[query], 10)
            for r in kinds:
                found = top(leg(stored, vector, semantic.RESCORED) if r == "float16" else leg(reader, vector, r), DEPTH)
                ndcg[r] += metrics.ndcg_at([ids[i] for i in found[:10]], task.qrels[query], 10)
                recall[r] += len(set(found.tolist()) & set(exact_top.tolist())) / len(exact_top)
        n = len(task.queries)
        cells = [task.name, f"{reader.manifest.passages:,}", f"{exact_ndcg / n:.4f}"]
        for r in kinds:
            cells.append(f"{ndcg[r] / n:.4f} / {recall[r] / n:.4f}")
            lowest[r] = min(lowest[r], recall[r] / n)
            largest[r] = max(largest[r], abs(ndcg[r] - exact_ndcg) / n)
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], file=sys.stderr)
    lines.append("")
    for r in kinds:
        what = f"float16 stored, {semantic.RESCORED} rescored" if r == "float16" else f"{r} rescored"
        lines.append(f"- {what}: lowest recall of the exact top {DEPTH} {lowest[r]:.4f}, "
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
