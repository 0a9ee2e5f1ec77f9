"""Retrieval quality of every bench task in all three modes, written into bench/RESULTS.md.

    .venv/bin/python bench/quality.py [BENCH_DIR | TASK_DIR...]

Each task is evaluated exactly as `lintas eval TASK --mode all` does it (same index build,
same queries, same metrics); the table replaces the section between the quality markers in
bench/RESULTS.md and is also printed. "all@10" is the share of queries with every relevant
document in the top 10 (on ntrex-mixed: both language versions of the story).

Beside the three modes, every task gets the fusions a peer engine would give with the same two
legs, computed from the keyword and semantic runs (100 deep, as `lintas eval --run` writes
them): reciprocal rank fusion (k = 60; Elasticsearch, OpenSearch) and min-max convex fusion with
BM25 weight 0.2, 0.3 and 0.5 (Weaviate, Vespa, OpenSearch's normalization processor). The
verdict compares the hybrid with the best of all of them.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.serving import metrics  # noqa: E402
from search.engine import Mode  # noqa: E402
from search.serving.evaluation import DEPTH, open_task_index, read_task, run_task, score_run  # noqa: E402
from search.fusion import min_max_convex, reciprocal_rank_fusion  # noqa: E402

BENCH = ROOT.parent / "shared" / "bench"
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- quality:start -->", "<!-- quality:end -->"
CONVEX_WEIGHTS = (0.2, 0.3, 0.5)  # BM25 weights of the convex reference rows (issue 13)


def all_found_share(task, run) -> float:
    return sum(metrics.all_found_at([d for d, _ in run[q]], task.qrels[q], 10)
               for q in task.queries) / len(task.queries)


def reference_runs(keyword: dict, semantic: dict) -> dict[str, dict[str, list[tuple[str, float]]]]:
    """The peer fusions of the keyword and semantic runs, query by query, DEPTH long."""
    out = {"rrf k=60": {q: reciprocal_rank_fusion([[d for d, _ in keyword[q]], [d for d, _ in semantic[q]]])[:DEPTH]
                        for q in semantic}}
    for weight in CONVEX_WEIGHTS:
        out[f"convex {weight}"] = {q: min_max_convex(keyword[q], semantic[q], weight)[:DEPTH] for q in semantic}
    return out


def evaluate(folder: Path) -> tuple[list[str], str]:
    started = time.perf_counter()
    task = read_task(folder)
    reader = open_task_index(task, None)
    runs = {mode.value: run for mode, run in run_task(reader, task, list(Mode)).items()}
    runs.update(reference_runs(runs["keyword"], runs["semantic"]))
    results = {name: score_run(task, name, run, reader.manifest.documents) for name, run in runs.items()}
    print(f"{task.name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    rows = []
    for name, r in results.items():
        rows.append(f"| {task.name} | {name} | {r.ndcg_at_10:.4f} | {r.mrr_at_10:.4f} | "
                    f"{r.recall_at_1:.4f} | {r.recall_at_10:.4f} | {r.recall_at_100:.4f} | "
                    f"{all_found_share(task, runs[name]):.3f} | {r.queries} | {r.docs} |")
    hybrid = results["hybrid"].ndcg_at_10
    best_name = max((n for n in results if n != "hybrid"), key=lambda n: results[n].ndcg_at_10)
    best = results[best_name].ndcg_at_10
    verdict = ("above all of them" if hybrid > best else
               "within 0.002 of the best" if hybrid >= best - 0.002 else "BELOW the best by more than 0.002")
    better, worse = queries_better_worse(task, runs["hybrid"], runs[best_name])
    return rows, (f"- {task.name}: hybrid {hybrid:.4f} vs the best of the legs and the peer fusions, {best_name} "
                  f"{best:.4f} ({hybrid - best:+.4f}): {verdict}; queries better / worse than {best_name}: "
                  f"{better} / {worse}")


def queries_better_worse(task, run, other) -> tuple[int, int]:
    """How many queries ``run`` ranks better, and worse, than ``other`` (nDCG@10 per query)."""
    def at(r, q):
        return metrics.ndcg_at([d for d, _ in r[q]], task.qrels[q], 10)
    deltas = [at(run, q) - at(other, q) for q in task.queries]
    return sum(d > 1e-9 for d in deltas), sum(d < -1e-9 for d in deltas)


def main(folders: list[Path], command: str) -> str:
    table = ["| task | mode | nDCG@10 | MRR@10 | R@1 | R@10 | R@100 | all@10 | queries | docs |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    verdicts = []
    for folder in folders:
        rows, verdict = evaluate(folder)
        table += rows
        verdicts.append(verdict)
    return "\n".join([START, f"Made by `{command}` (each task as `lintas eval TASK_DIR --mode all`; "
                      "rrf and convex rows fuse its keyword and semantic runs):",
                      "", *table, "", *verdicts, END])


def run_section(script: str, main, markers: tuple[str, str], about: str, bench: Path) -> None:
    """A bench script's command line: ``main(BENCH_DIR, TASKS)`` gives Markdown lines, printed
    and written into RESULTS.md between ``markers`` (not with --no-write), with the command."""
    start, end = markers
    args = [arg for arg in sys.argv[1:] if arg != "--no-write"]
    lines = main(Path(args[0]) if args else bench, args[1:])
    command = " ".join([f".venv/bin/python bench/{script}", *sys.argv[1:]])
    section = "\n".join([start, f"Made by `{command}` ({about}):", "", *lines, end])
    if "--no-write" not in sys.argv:
        write_section(RESULTS, section, start, end)
    print(section)


def write_section(path: Path, section: str, start: str, end: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in text and end in text:
        text = text[:text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + ("\n\n" if text else "") + section + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    given = [Path(arg).expanduser() for arg in sys.argv[1:]] or [BENCH]
    folders = [task for folder in given
               for task in ([folder] if (folder / "corpus.jsonl").exists() else
                            sorted(p for p in folder.iterdir() if (p / "corpus.jsonl").exists()))]
    command = " ".join([".venv/bin/python bench/quality.py", *sys.argv[1:]])
    section = main(folders, command)
    write_section(RESULTS, section, START, END)
    print(section)
