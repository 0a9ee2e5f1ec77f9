"""How much of the common component the vector leg takes out (issue 24, session 15): the hybrid's
nDCG@10 on every task whose archive has a language balance, for each share of the component's
length taken out of query and passages (index.storage.balance.COMMON_TAKEN; 0 is the leg of
session 14, the language direction alone).

    .venv/bin/python bench/studies/common_component.py [TASK_DIR...]

Default tasks: the shared bench and the dev tasks (bench/dev_tasks.py, built again here); a
task whose archive holds one language has no balance and is left out (nothing changes there).
Each query runs through the engine as `lintas eval TASK --mode hybrid` runs it, with the share
set on the engine's module constants. Prints a Markdown table; writes nothing.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dev_tasks  # noqa: E402
from legs import BENCH, task_folders  # noqa: E402
from search import reader as reader_module, semantic  # noqa: E402
from search.engine import Mode  # noqa: E402
from search.serving.evaluation import open_task_index, read_task, run_task, score_run  # noqa: E402

TAKEN = (0.0, 0.25, 0.5, 0.75, 1.0)


def hybrid_ndcg(task, reader, taken: float) -> float:
    share = 1 - (1 - taken) ** 2  # what it takes out of a dot product (search.reader.COMMON_SHARE)
    reader_module.COMMON_SHARE = semantic.COMMON_SHARE = share
    reader.__dict__.pop("balance", None)  # computed again with the share
    runs = run_task(reader, task, [Mode.hybrid])
    return score_run(task, Mode.hybrid, runs[Mode.hybrid], len(reader.docs)).ndcg_at_10


def main(folders: list[Path]) -> None:
    print("| task | " + " | ".join(f"taken {taken:g}" for taken in TAKEN) + " |")
    print("|---|" + "---|" * len(TAKEN))
    for folder in folders:
        task = read_task(folder)
        reader = open_task_index(task, None)
        if reader.balance is None:
            continue
        cells = [f"{hybrid_ndcg(task, reader, taken):.4f}" for taken in TAKEN]
        print(f"| {task.name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    given = [Path(arg) for arg in sys.argv[1:]]
    main(given or task_folders(BENCH) + dev_tasks.build())
