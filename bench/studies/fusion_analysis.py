"""Why the hybrid is built the way it is: per-query and per-part measurements over the cached
legs of bench/legs.py (no model call).

    .venv/bin/python bench/studies/fusion_analysis.py [BENCH_DIR [TASK...]] [--no-write]

Prints, in Markdown, and writes into bench/RESULTS.md (between the analysis markers):
1. where BM25 helps: on each task, queries better / worse than the vector leg under min-max
   convex (BM25 weight 0.3), and on the question tasks the same split by quartile of four
   query properties (how far the vector leg's best document stands above its top 20, the same
   for BM25, the query's length in words, whether both legs put the same document first);
2. each part of the shipped hybrid taken out or changed, one at a time;
3. the normalisation: z-score against min-max, each at its own best BM25 weight, the
   statistics' depth (STATS_TOP) against the search depth (50 candidates at k = 10, 100 in
   the evaluation), and what a convex weight is worth in the hybrid's units;
4. how far any fusion of these two legs can go on the question tasks: the per-query best of
   11 convex weights (an oracle no engine has), the best single convex weight, and the best
   per-query weight rule from the legs' peaks fitted on the task itself (optimistic).
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fusion_sweep import Query, measure, ndcg_of  # noqa: E402
from legs import BENCH, QUESTION_TASKS, convex, load_legs, task_folders  # noqa: E402
from search.serving import metrics  # noqa: E402
from search.fusion import WEIGHTS  # noqa: E402

START, END = "<!-- analysis:start -->", "<!-- analysis:end -->"
CONVEX_GRID = tuple(round(0.1 * i, 1) for i in range(11))


def per_query(task, legs, fuse) -> dict[str, float]:
    return {q: metrics.ndcg_at([d for d, _ in fuse(legs[q])], task.qrels[q], 10) for q in task.queries}


def peak(values: list[float], top: int = 20) -> float:
    """How many standard deviations the best value stands above the mean of the top ``top``."""
    best = np.sort(np.array(values))[::-1][:top]
    return float((best[0] - best.mean()) / (best.std() or 1.0)) if len(best) else 0.0


def where_bm25_helps(tasks) -> list[str]:
    out = ["| task | queries | convex 0.3 better than the vector leg | worse | same |", "|---|---|---|---|---|"]
    for name, (task, legs) in tasks.items():
        sem, cvx = per_query(task, legs, lambda leg: leg["semantic"]), per_query(task, legs, convex(0.3))
        up = sum(cvx[q] > sem[q] + 1e-9 for q in sem)
        down = sum(cvx[q] < sem[q] - 1e-9 for q in sem)
        out.append(f"| {name} | {len(sem)} | {up} | {down} | {len(sem) - up - down} |")
    for name in (t for t in QUESTION_TASKS if t in tasks):
        task, legs = tasks[name]
        sem, kw = per_query(task, legs, lambda leg: leg["semantic"]), per_query(task, legs, lambda leg: leg["keyword"])
        cvx = {w: per_query(task, legs, convex(w)) for w in (0.2, 0.3, 0.5)}
        props = {
            "vector leg's peak (σ above its top 20)": {q: peak([s for _, s in legs[q]["semantic"]]) for q in sem},
            "BM25 leg's peak (σ above its top 20)": {q: peak([s for _, s in legs[q]["keyword"]]) for q in sem},
            "query length (words)": {q: len(task.queries[q].split()) for q in sem},
            "legs agree on the first document": {q: float(bool(legs[q]["keyword"]) and legs[q]["keyword"][0][0]
                                                           == legs[q]["semantic"][0][0]) for q in sem},
        }
        out += ["", f"{name}: nDCG@10 by quartile of each property (quartile range; keyword − semantic; "
                    "convex 0.2 / 0.3 / 0.5 − semantic)", "",
                "| property | Q1 | Q2 | Q3 | Q4 |", "|---|---|---|---|---|"]
        for prop, value in props.items():
            order = sorted(sem, key=lambda q: value[q])
            cells = []
            for i in range(4):
                part = order[i * len(order) // 4:(i + 1) * len(order) // 4]

                def gain(run):
                    return sum(run[q] - sem[q] for q in part) / len(part)
                cells.append(f"{value[part[0]]:.3g}–{value[part[-1]]:.3g}: {gain(kw):+.3f}; "
                             + " / ".join(f"{gain(cvx[w]):+.3f}" for w in (0.2, 0.3, 0.5)))
            out.append(f"| {prop} | " + " | ".join(cells) + " |")
    return out


def one_at_a_time(queries) -> list[str]:
    names = list(queries)
    variants = {"shipped": WEIGHTS}
    # Around the shipped weights (same 0.54, cross 0, unknown 0.27, lead 2), the weights shipped
    # before the question parts among them (same 0.8, unknown 0, lead 1.5).
    for field, values in (("keyword_same", (0.0, 0.25, 0.8, 1.0)), ("keyword_cross", (0.05, 0.1, 0.2)),
                          ("keyword_unknown", (0.0, 0.54)), ("lead", (0.0, 1.0, 1.5, 3.0))):
        for value in values:
            variants[f"{field} {value:g}"] = dataclasses.replace(WEIGHTS, **{field: value})
    out = ["| setting | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, w in variants.items():
        out.append(f"| {label} | " + " | ".join(f"{measure(queries[t], w)[0]:.4f}" for t in names) + " |")
    return out


def normalisations(tasks) -> list[str]:
    """nDCG@10 of the shipped weights with other statistics depths, at both search depths; and
    z-score against min-max (each over the group's top 20) at their own best keyword weight."""
    names = list(tasks)
    out = ["| statistics over each group's best | legs cut at | " + " | ".join(names) + " |",
           "|---|---|" + "---|" * len(names)]
    for top in (10, 20, 50):
        for depth in (100, 50):
            row = []
            for t in names:
                task, legs = tasks[t]
                qs = [Query(cut(legs[q], depth), task.qrels[q], top) for q in task.queries]
                row.append(measure(qs, WEIGHTS)[0])
            out.append(f"| {top} | {depth} | " + " | ".join(f"{v:.4f}" for v in row) + " |")
    return out


def min_max(scores, group, top: int = 20) -> dict[str, float]:
    """Min-max within each group, over the group's ``top`` best: the other normalisation tried."""
    stats = {}
    for key in set(group.values()):
        best = sorted((scores.get(d, 0.0) for d, g in group.items() if g == key), reverse=True)[:top]
        stats[key] = (best[-1], (best[0] - best[-1]) or 1.0)
    return {d: (scores.get(d, 0.0) - stats[k][0]) / stats[k][1] for d, k in group.items()}


def normalisation_choice(tasks) -> list[str]:
    """z-score against min-max, each with its best (keyword_same, lead) by mean nDCG@10."""
    import fusion_sweep

    names = list(tasks)
    out = ["| normalisation (each group's top 20) | best keyword_same, lead | " + " | ".join(names) + " | mean |",
           "|---|---|" + "---|" * (len(names) + 1)]
    for label, normaliser, leads in (("z-score (shipped)", None, (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)),
                                     ("min-max", min_max, (0.0, 0.1, 0.25, 0.5, 0.75, 1.0))):
        original = fusion_sweep.standardized
        if normaliser:
            fusion_sweep.standardized = normaliser
        try:
            queries = {t: [Query(legs[q], task.qrels[q]) for q in task.queries] for t, (task, legs) in tasks.items()}
        finally:
            fusion_sweep.standardized = original
        best = None
        for same in fusion_sweep.KEYWORD_SAME:
            for lead in leads:
                w = dataclasses.replace(WEIGHTS, keyword_same=same, lead=lead)
                row = [measure(queries[t], w)[0] for t in names]
                if best is None or sum(row) > sum(best[1]):
                    best = (w, row)
        w, row = best
        out.append(f"| {label} | {w.keyword_same:g}, {w.lead:g} | " + " | ".join(f"{v:.4f}" for v in row)
                   + f" | {sum(row) / len(row):.4f} |")
    return out


def convex_in_sigma(tasks) -> list[str]:
    """What a min-max convex weight w gives BM25's best document, in the hybrid's units: the
    cosine range of the vector leg's list over its top-20 spread (median per task), times
    w / (1 − w)."""
    out = ["| task | cosine range / top-20 spread (median) | convex 0.2 | convex 0.3 | convex 0.5 |",
           "|---|---|---|---|---|"]
    for name, (task, legs) in tasks.items():
        ratios = []
        for q in task.queries:
            scores = np.array([s for _, s in legs[q]["semantic"]])
            ratios.append((scores.max() - scores.min()) / (scores[:20].std() or 1.0))
        ratio = float(np.median(ratios))
        out.append(f"| {name} | {ratio:.2f} | " + " | ".join(f"{w / (1 - w) * ratio:.2f} σ" for w in (0.2, 0.3, 0.5)) + " |")
    return out


def cut(leg: dict, depth: int) -> dict:
    """The legs as a search ``depth`` deep would have gathered them (the same scores)."""
    keyword, semantic = leg["keyword"][:depth], leg["semantic"][:depth]
    docs = set(d for d, _ in keyword) | set(d for d, _ in semantic)
    return {**leg, "keyword": keyword, "semantic": semantic,
            "cosine": {d: v for d, v in leg["cosine"].items() if d in docs},
            "bm25": {d: v for d, v in leg["bm25"].items() if d in docs},
            "lead": {d: v for d, v in leg["lead"].items() if d in docs}}


def ceiling(tasks) -> list[str]:
    out = ["| task | best single convex weight | per-query best of 11 convex weights (oracle) | "
           "per-query best of the two legs (oracle) |", "|---|---|---|---|"]
    for name in (t for t in QUESTION_TASKS if t in tasks):
        task, legs = tasks[name]
        runs = {w: per_query(task, legs, convex(w)) for w in CONVEX_GRID}
        fixed = max(CONVEX_GRID, key=lambda w: sum(runs[w].values()))
        n = len(task.queries)
        oracle = sum(max(runs[w][q] for w in CONVEX_GRID) for q in task.queries) / n
        legs_oracle = sum(max(runs[0.0][q], runs[1.0][q]) for q in task.queries) / n
        out.append(f"| {name} | {sum(runs[fixed].values()) / n:.4f} (w = {fixed}) | {oracle:.4f} | {legs_oracle:.4f} |")
    return out


def adaptive_ceiling(tasks) -> list[str]:
    """The best per-query keyword weight max(0, a + b·x) for x a query's peak signal, fitted on
    the task itself: an optimistic bound on what such a rule can add (held out it adds less)."""
    import fusion_sweep

    out = ["| task | fixed weight (best a, b = 0) | x = vector leg's peak | x = BM25 leg's peak | "
           "x = BM25 peak − vector peak |", "|---|---|---|---|---|"]
    for name in (t for t in QUESTION_TASKS if t in tasks):
        task, legs = tasks[name]
        queries = [Query(legs[q], task.qrels[q]) for q in task.queries]
        vector = [peak([s for _, s in legs[q]["semantic"]]) for q in task.queries]
        bm25 = [peak([s for _, s in legs[q]["keyword"]]) for q in task.queries]
        signals = {"vector": vector, "bm25": bm25, "difference": [b - v for b, v in zip(bm25, vector)]}
        cells = []
        for label, x in [("fixed", [0.0] * len(queries))] + list(signals.items()):
            best = (0.0, None)
            for a in fusion_sweep.KEYWORD_SAME:
                for b in ((0.0,) if label == "fixed" else (-0.4, -0.2, -0.1, 0.1, 0.2, 0.4)):
                    total = 0.0
                    for q, value in zip(queries, x):
                        total += measure([q], dataclasses.replace(WEIGHTS, keyword_same=max(0.0, a + b * value)))[0]
                    if total / len(queries) > best[0]:
                        best = (total / len(queries), (a, b))
            cells.append(f"{best[0]:.4f} (a {best[1][0]:g}, b {best[1][1]:g})")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return out


def main(bench: Path, only: list[str]) -> list[str]:
    tasks = {}
    for folder in task_folders(bench, only):
        task, legs = load_legs(folder)
        tasks[task.name] = (task, legs)
    queries = {t: [Query(legs[q], task.qrels[q]) for q in task.queries] for t, (task, legs) in tasks.items()}
    return (["### 1. Where BM25 helps", ""] + where_bm25_helps(tasks)
            + ["", "### 2. Each part of the hybrid, one change at a time (nDCG@10)", ""] + one_at_a_time(queries)
            + ["", "### 3. The statistics' depth and the search depth (shipped weights, nDCG@10)", ""]
            + normalisations(tasks) + [""] + normalisation_choice(tasks)
            + ["", "What a min-max convex weight is worth in standard deviations of the group's top 20 "
                   "(the BM25 part of a convex fusion, for the best BM25 document):", ""] + convex_in_sigma(tasks)
            + ["", "### 4. How far a fusion of these legs can go on the question tasks (nDCG@10)", ""]
            + ceiling(tasks) + ["", "A per-query BM25 weight from the legs' peaks, fitted on the task itself "
                                  "(shipped weights otherwise; nDCG@10):", ""] + adaptive_ceiling(tasks))


if __name__ == "__main__":
    from quality import run_section

    run_section("studies/fusion_analysis.py", main, (START, END), "legs from the same engine and eval indexes as "
                "`lintas eval`, 100 deep", BENCH)
