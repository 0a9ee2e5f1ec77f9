"""Retrieval quality of every bench task in all three modes, written into bench/RESULTS.md.

    .venv/bin/python bench/quality.py [BENCH_DIR | TASK_DIR...]

Each task is evaluated exactly as `lintas eval TASK --mode all` does it (same index build,
same queries, same metrics); the table replaces the section between the quality markers in
bench/RESULTS.md and is also printed. "all@10" is the share of queries with every relevant
document in the top 10 (on ntrex-mixed: both language versions of the story).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search import metrics  # noqa: E402
from search.engine import Mode  # noqa: E402
from search.evaluation import open_task_index, read_task, run_task, score_run  # noqa: E402

BENCH = ROOT.parent / "shared" / "bench"
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- quality:start -->", "<!-- quality:end -->"


def all_found_share(task, run) -> float:
    return sum(metrics.all_found_at([d for d, _ in run[q]], task.qrels[q], 10)
               for q in task.queries) / len(task.queries)


def evaluate(folder: Path) -> tuple[list[str], str]:
    started = time.perf_counter()
    task = read_task(folder)
    reader = open_task_index(task, None)
    runs = run_task(reader, task, list(Mode))
    results = {mode: score_run(task, mode, runs[mode], reader.manifest.documents) for mode in Mode}
    print(f"{task.name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    rows = []
    for mode, r in results.items():
        rows.append(f"| {task.name} | {mode.value} | {r.ndcg_at_10:.4f} | {r.mrr_at_10:.4f} | "
                    f"{r.recall_at_1:.4f} | {r.recall_at_10:.4f} | {r.recall_at_100:.4f} | "
                    f"{all_found_share(task, runs[mode]):.3f} | {r.queries} | {r.docs} |")
    hybrid = results[Mode.hybrid].ndcg_at_10
    leg = max((Mode.keyword, Mode.semantic), key=lambda m: results[m].ndcg_at_10)
    best = results[leg].ndcg_at_10
    verdict = "above both legs" if hybrid > best else ("within 0.005 of the better leg" if hybrid >= best - 0.005
                                                      else "BELOW the better leg by more than 0.005")
    better, worse = queries_better_worse(task, runs[Mode.hybrid], runs[leg])
    return rows, (f"- {task.name}: hybrid {hybrid:.4f} vs better leg {best:.4f} ({hybrid - best:+.4f}): {verdict}; "
                  f"queries better / worse than the {leg.value} leg: {better} / {worse}")


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
    return "\n".join([START, f"Made by `{command}` (each task as `lintas eval TASK_DIR --mode all`):",
                      "", *table, "", *verdicts, END])


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
