"""Choosing the hybrid's settings: every bench task's two leg lists (100 deep, from the real
engine) are gathered once, cached, and re-fused under each candidate setting.

    .venv/bin/python bench/fusion_sweep.py [BENCH_DIR [TASK...]]

Writes into bench/RESULTS.md (between the sweep markers) and prints, in Markdown: nDCG@10 of
each leg, of plain RRF and of language_weighted_fusion on a grid of (same-language keyword
weight, cross-language keyword weight, baseline top, lead-match weight), the best settings of
the grid; the setting that maximises the worst
task's margin over its better leg, then the mean; and a leave-one-task-out check (settings
chosen on the other tasks, margin reported on the held-out one). TASK names pick tasks,
including the dev subsets (e.g. ntrex-mixed-first750). Legs are cached in
$LINTAS_CACHE/eval/legs-*.json next to the eval indexes they came from.
"""
from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.embedding import cache_dir  # noqa: E402
from search import metrics  # noqa: E402
from search.evaluation import judged_names, open_task_index, query_legs, read_task  # noqa: E402
from search.fusion import language_weighted_fusion, reciprocal_rank_fusion  # noqa: E402

BENCH = ROOT.parent / "shared" / "bench"
START, END = "<!-- sweep:start -->", "<!-- sweep:end -->"
# The two news tasks again with only their first 750 (of 3,463) Indonesian news distractors:
# both legs see the same story pairs, the archive is smaller. Used to choose the settings.
DEV_SUBSETS = (("ntrex-en-id", 750), ("ntrex-mixed", 750))
SAME = (0.0, 0.01, 0.02, 0.05, 0.1, 0.3)
CROSS = (0.0, 0.005, 0.01, 0.02)
TOP = (0, 5, 10, 20)
LEAD = (0.0, 0.005, 0.01, 0.02)
SHOWN = 40


def _code_version() -> str:
    """The legs depend on the query path's code: a change there gathers them again."""
    import hashlib

    digest = hashlib.sha256()
    for name in ("search/engine.py", "search/keyword.py", "search/semantic.py", "index/language.py",
                 "index/analysis.py"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:8]


def load_legs(folder: Path):
    task = read_task(folder)
    reader = open_task_index(task, None)
    path = cache_dir() / "eval" / f"legs-{reader.index_dir.name}-{reader.folder.name}-{_code_version()}.json"
    if path.exists():
        return task, json.loads(path.read_text())
    legs = {}
    names = judged_names(reader)  # the qrels name documents by their corpus _id

    def named(pairs):
        return [(names[d], v) for d, v in pairs] if isinstance(pairs, list) else {names[d]: v for d, v in pairs.items()}

    for query_id, text in task.queries.items():
        got = query_legs(reader, text)
        legs[query_id] = {"query_lang": got.query_lang, "keyword": named(got.keyword), "semantic": named(got.semantic),
                          "cosine": named(got.cosine), "bm25": named(got.bm25), "doc_lang": named(got.doc_lang),
                          "lead": named(got.lead)}
    path.write_text(json.dumps(legs))
    return task, legs


def ndcg(task, legs, fuse) -> float:
    return sum(metrics.ndcg_at([d for d, _ in fuse(legs[q])], task.qrels[q], 10)
               for q in task.queries) / len(task.queries)


def lwf(same: float, cross: float, unknown: float, top: int, lead: float):
    return lambda leg: language_weighted_fusion(leg["cosine"], leg["bm25"], leg["doc_lang"], leg["query_lang"],
                                                same=same, cross=cross, unknown=unknown, top=top,
                                                lead=leg["lead"], lead_weight=lead)


def rrf(leg):
    return reciprocal_rank_fusion([[d for d, _ in leg["keyword"]], [d for d, _ in leg["semantic"]]])


def dev_subset(folder: Path, keep: int) -> Path:
    """The task with only its first ``keep`` Indonesian news distractors (file order): a smaller
    task for choosing settings, held apart from the full task the results are reported on."""
    target = cache_dir() / "eval" / "dev" / f"{folder.name}-first{keep}"
    (target / "qrels").mkdir(parents=True, exist_ok=True)
    kept, lines = 0, []
    for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        if json.loads(line)["_id"].startswith("indosum-"):
            kept += 1
            if kept > keep:
                continue
        lines.append(line + "\n")
    (target / "corpus.jsonl").write_text("".join(lines), encoding="utf-8")
    for name in ("queries.jsonl", "qrels/test.tsv"):
        (target / name).write_bytes((folder / name).read_bytes())
    return target


def main(bench: Path, only: list[str]) -> list[str]:
    out: list[str] = []
    print_ = out.append
    tasks = {}
    folders = sorted(p for p in bench.iterdir() if (p / "corpus.jsonl").exists())
    folders += [dev_subset(bench / name, keep) for name, keep in DEV_SUBSETS]
    for folder in folders:
        if only and folder.name not in only:
            continue
        tasks[folder.name] = load_legs(folder)
        print(f"legs of {folder.name} ready", file=sys.stderr)
    names = list(tasks)
    best_leg = {t: max(ndcg(task, legs, lambda l: l["keyword"]), ndcg(task, legs, lambda l: l["semantic"]))
                for t, (task, legs) in tasks.items()}
    rows = {"keyword": {t: ndcg(*tasks[t], lambda l: l["keyword"]) for t in names},
            "semantic": {t: ndcg(*tasks[t], lambda l: l["semantic"]) for t in names},
            "rrf k=60": {t: ndcg(*tasks[t], rrf) for t in names}}
    grid = {}
    for same, cross, top, lead in itertools.product(SAME, CROSS, TOP, LEAD):
        unknown = cross  # an unsure query language is treated as a cross-language match
        grid[(same, cross, unknown, top, lead)] = {t: ndcg(*tasks[t], lwf(same, cross, unknown, top, lead))
                                                   for t in names}

    def margin(row: dict[str, float], on: list[str]) -> float:
        return min(row[t] - best_leg[t] for t in on)

    def choose(on: list[str], keys=None):
        return max(keys or grid, key=lambda key: (round(margin(grid[key], on), 4), sum(grid[key][t] for t in on)))

    shown = sorted(grid, key=lambda key: (-round(margin(grid[key], names), 4), -sum(grid[key].values())))[:SHOWN]
    print_(f"{len(grid)} settings measured; the legs, RRF and the {SHOWN} best settings by the rule below:\n")
    print_("| setting | " + " | ".join(names) + " | worst margin |")
    print_("|---|" + "---|" * (len(names) + 1))
    labelled = list(rows.items()) + [(f"same={s} cross={c} top={b} lead={w}", grid[(s, c, u, b, w)])
                                     for s, c, u, b, w in shown]
    for label, row in labelled:
        print_(f"| {label} | " + " | ".join(f"{row[t]:.4f}" for t in names) + f" | {margin(row, names):+.4f} |")

    chosen = choose(names)
    print_(f"\nChosen on all tasks (max worst margin, then mean): same={chosen[0]} cross={chosen[1]} "
           f"unknown={chosen[2]} top={chosen[3]} lead={chosen[4]}")
    for label, keys in (("the first grid (lead = 0)", [key for key in grid if key[4] == 0.0]),
                        ("the whole grid", list(grid))):
        print_(f"\nLeave one task out over {label}: settings chosen on the other tasks, margin over "
               "the better leg on the held-out one\n")
        print_("| held out | chosen (same, cross, unknown, top, lead) | nDCG@10 | better leg | margin |")
        print_("|---|---|---|---|---|")
        for held in names:
            key = choose([t for t in names if t != held], keys)
            print_(f"| {held} | {key} | {grid[key][held]:.4f} | {best_leg[held]:.4f} | "
                   f"{grid[key][held] - best_leg[held]:+.4f} |")
    return out


if __name__ == "__main__":
    from quality import RESULTS, write_section

    lines = main(Path(sys.argv[1]) if len(sys.argv) > 1 else BENCH, sys.argv[2:])
    command = " ".join([".venv/bin/python bench/fusion_sweep.py", *sys.argv[1:]])
    section = "\n".join([START, f"Made by `{command}` (nDCG@10; legs from the same engine and eval "
                          "indexes as `lintas eval`):", "", *lines, END])
    write_section(RESULTS, section, START, END)
    print(section)
