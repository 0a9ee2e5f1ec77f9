"""Choosing the hybrid's weights: every bench task's and dev task's (bench/dev_tasks.py) two legs
(100 deep, from the real engine, cached by bench/legs.py, with and without the vector leg's
language balance) are fused under each setting of a grid, and the setting is chosen by
the issue's own terms, on all tasks and leaving each task out in turn.

    .venv/bin/python bench/fusion_sweep.py [BENCH_DIR [TASK...]] [--no-write]

The hybrid (search.fusion.standardized_fusion) is a sum of named parts whose values do not
depend on the weights: per query the parts are computed once by the engine's own functions
(``language_groups``, ``standardized``), then every setting is a weighted sum of them. The
setting the engine ships is re-run through ``standardized_fusion`` itself as a check.

The rule. A task's bar is the best of the references (keyword, semantic, RRF k=60, min-max
convex with BM25 weight 0.2 / 0.3 / 0.5, on the legs with and without the balance) − 0.002,
and today's hybrid (TODAY: issue 13's, on the legs without the balance) − 0.005; on
ntrex-mixed both versions must be in the top 10 for ≥ 95 % of queries. Among the settings, the
one with the largest worst margin over the bars (to 0.0001), then the highest mean nDCG@10.
Leave one task out: the rule applied to the other tasks, the setting's figure reported on the
one left out.

Writes into bench/RESULTS.md (between the sweep markers) and prints, in Markdown: the table per
task (references, today, chosen hybrid, held-out figure), the best settings of the
grid, and the leave-one-task-out table (with two tasks or more). --no-write only prints.
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dev_tasks  # noqa: E402
from legs import BENCH, REFERENCES, listing, load_legs, task_folders  # noqa: E402
from search.serving import metrics  # noqa: E402
from search.fusion import (STATS_TOP, WEIGHTS, Weights, centred_names, language_groups, same_language_share,
                           standardized, standardized_fusion)  # noqa: E402

START, END = "<!-- sweep:start -->", "<!-- sweep:end -->"
KEYWORD_SAME = (0.25, 0.33, 0.43, 0.54, 0.67, 0.8, 1.0)  # convex-equivalent BM25 weight 0.2 ... 0.5
KEYWORD_LOW = (0.0, 0.1, 0.25, None)  # keyword_same_low; None: keyword_same whatever the share
KEYWORD_CROSS = (0.0, 0.05, 0.1, 0.2, 0.33, 0.54)
UNKNOWN = (0.5,)  # the unclear-language query's BM25 weight, as a share of keyword_same (0 and 1: RESULTS.md, issue 13)
# (semantic_by_language, keyword_by_language): standardizing within each language group lifts the
# best document of each language whether or not it is related (issue 24); measured as "today" only
GROUPS = ((False, False),)
LEAD = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
NAMES = (0.0, 1.0, 1.5, 2.0, 2.5, 3.0)
SHOWN = 25
# issue 13's hybrid, as shipped before the language balance: the measure of "today"
TODAY = Weights(keyword_same=0.54, keyword_same_low=0.54, keyword_cross=0.0, keyword_unknown=0.27, lead=2.0,
                names=0.0, semantic_by_language=True, keyword_by_language=True)
DISCOUNT = 1 / np.log2(np.arange(2, 12))


class Query:
    """One query's candidates as arrays: the weight-free part values, language, gains."""

    def __init__(self, leg: dict, relevant: dict[str, float], top: int = STATS_TOP) -> None:
        docs = list(leg["cosine"])
        group = language_groups(docs, leg["doc_lang"], leg["query_lang"])
        one = dict.fromkeys(docs, True)
        # each leg standardized within the language groups (True) or over all candidates (False)
        self.semantic_z = {by: np.array([z[d] for d in docs]) for by, z in
                           ((True, standardized(leg["cosine"], group, top)), (False, standardized(leg["cosine"], one, top)))}
        self.keyword_z = {by: np.array([z[d] for d in docs]) for by, z in
                          ((True, standardized(leg["bm25"], group, top)), (False, standardized(leg["bm25"], one, top)))}
        self.semantic, self.keyword = self.semantic_z[True], self.keyword_z[True]
        self.lead = np.array([leg["lead"].get(d, 0.0) for d in docs])
        names = centred_names(leg["names"], leg["cosine"], leg["bm25"])
        self.names = np.array([names[d] for d in docs])
        self.unknown = leg["query_lang"] is None
        self.same = np.array([leg["doc_lang"].get(d) == leg["query_lang"] for d in docs]) & (not self.unknown)
        self.share = same_language_share(leg["cosine"], leg["doc_lang"], leg["query_lang"])
        self.gain = np.array([relevant.get(d, 0.0) for d in docs])
        self.ideal = metrics.dcg(sorted(relevant.values(), reverse=True)[:10])
        self.wanted = sum(1 for g in relevant.values() if g > 0)

    def score(self, w: Weights) -> np.ndarray:
        """Each candidate's fused score under ``w``, as standardized_fusion adds it up (``Batch``'s
        sum, for this query alone)."""
        return Batch([self]).score(w)[0, :len(self.gain)]

    def top10(self, score: np.ndarray) -> np.ndarray:
        """The candidates' positions of the ten best scores (ties in the candidates' order)."""
        return np.argsort(-score, kind="stable")[:10]

    def ndcg(self, score: np.ndarray) -> float:
        """nDCG@10 of the ranking ``score`` gives the candidates."""
        top = self.top10(score)
        return float((self.gain[top] * DISCOUNT[:len(top)]).sum()) / self.ideal if self.ideal else 0.0


class Batch:
    """A task's queries stacked into arrays (one row per query, candidates padded at the end with
    parts that rank them last and gain nothing), so that a setting is scored for every query at
    once, in each row the stable order of ``Query.top10``; the one place a setting's parts are
    added up here (checked against ``standardized_fusion`` itself in every sweep)."""

    def __init__(self, queries: list[Query]) -> None:
        width = max(len(q.gain) for q in queries)

        def stacked(rows, pad=0.0):
            out = np.full((len(rows), width), pad)
            for i, row in enumerate(rows):
                out[i, :len(row)] = row
            return out

        self.queries = queries
        self.semantic_z = {by: stacked([q.semantic_z[by] for q in queries], -1e9) for by in (True, False)}
        self.keyword_z = {by: stacked([q.keyword_z[by] for q in queries]) for by in (True, False)}
        self.lead, self.names = stacked([q.lead for q in queries]), stacked([q.names for q in queries])
        self.same = stacked([q.same for q in queries]).astype(bool)
        self.unknown = np.array([q.unknown for q in queries])[:, None]
        self.gain = stacked([q.gain for q in queries])
        self.ideal = np.array([q.ideal for q in queries])
        self.wanted = np.array([q.wanted for q in queries])

    def score(self, w: Weights) -> np.ndarray:
        same_weight = np.array([w.keyword_for_same(q.share) for q in self.queries])[:, None]
        keyword_weight = np.where(self.unknown, w.keyword_unknown, np.where(self.same, same_weight, w.keyword_cross))
        across = ~self.same  # every candidate of an unclear query (``same`` is False there)
        return (self.semantic_z[w.semantic_by_language] + keyword_weight * self.keyword_z[w.keyword_by_language]
                + np.where(across, w.lead, 0.0) * self.lead + np.where(across, w.names, 0.0) * self.names)


def measure(queries: list[Query] | Batch, w: Weights) -> tuple[float, float]:
    """(nDCG@10, share of queries with every relevant document in the top 10)."""
    batch = queries if isinstance(queries, Batch) else Batch(queries)
    top = np.argsort(-batch.score(w), axis=1, kind="stable")[:, :10]
    gain = np.take_along_axis(batch.gain, top, axis=1)
    ndcg = np.divide((gain * DISCOUNT[:top.shape[1]]).sum(axis=1), batch.ideal,
                     out=np.zeros(len(batch.ideal)), where=batch.ideal > 0)
    found = (gain > 0).sum(axis=1) == batch.wanted
    return float(ndcg.mean()), float(found.mean())


def ndcg_of(task, legs, fuse) -> float:
    return sum(metrics.ndcg_at([d for d, _ in fuse(legs[q])], task.qrels[q], 10) for q in task.queries) / len(task.queries)


def grid() -> list[Weights]:
    return [Weights(same, same if low is None else low, cross, same * unknown, lead, names, *groups)
            for same, low, cross, unknown, lead, names, groups
            in itertools.product(KEYWORD_SAME, KEYWORD_LOW, KEYWORD_CROSS, UNKNOWN, LEAD, NAMES, GROUPS)]


def label(w: Weights) -> str:
    groups = "+".join(name for name, on in (("semantic", w.semantic_by_language), ("keyword", w.keyword_by_language))
                      if on) or "none"
    return (f"same {w.keyword_same:g} (low {w.keyword_same_low:g}), cross {w.keyword_cross:g}, unknown {w.keyword_unknown:.3g}, lead {w.lead:g}, "
            f"names {w.names:g}, by language: {groups}")


def bars(refs: dict[str, dict[str, float]]) -> dict[str, float]:
    """Each task's bar: the best reference (either vector leg's) − 0.002, and today's hybrid − 0.005."""
    return {name: max(max(v for k, v in row.items() if k != "today") - 0.002, row["today"] - 0.005)
            for name, row in refs.items()}


def choose(results: dict[Weights, dict[str, tuple[float, float]]], bar: dict[str, float], on: list[str]) -> Weights:
    def key(w: Weights):
        row = results[w]
        ok = all(row[t][1] >= 0.95 for t in on if t == "ntrex-mixed")
        return ok, round(min(row[t][0] - bar[t] for t in on), 4), sum(row[t][0] for t in on) / len(on)
    return max(results, key=key)


def sweep(tasks: dict) -> tuple[dict, dict, dict, dict]:
    """For {task name: (task, legs[, plain legs])}: (queries, references, bars, {setting: {task:
    (nDCG@10, all@10)}}) over the grid. The grid fuses ``legs``; the references are the legs
    and peer fusions of both ``legs`` and ``plain legs`` (the vector leg without the language
    balance), and "today" is the hybrid of issue 13 (TODAY on the plain legs)."""
    queries, refs = {}, {}
    for name, (task, legs, *rest) in tasks.items():
        plain = rest[0] if rest else legs
        queries[name] = Batch([Query(legs[q], task.qrels[q]) for q in task.queries])
        refs[name] = {label: ndcg_of(task, legs, fuse) for label, fuse in REFERENCES.items()}
        for label_, fuse in REFERENCES.items():
            refs[name][f"{label_} (plain)"] = ndcg_of(task, plain, fuse)
        refs[name]["today"] = measure([Query(plain[q], task.qrels[q]) for q in task.queries], TODAY)[0]
    results = {w: {t: measure(queries[t], w) for t in tasks} for w in grid()}
    return queries, refs, bars(refs), results


def _shipped(leg: dict) -> list[tuple[str, float]]:
    """The shipped hybrid's ranking of one query's legs, through ``standardized_fusion`` itself."""
    return [(i.doc, i.score) for i in standardized_fusion(leg["cosine"], leg["bm25"], leg["doc_lang"],
                                                          leg["query_lang"], lead=leg["lead"], names=leg["names"])]


def _as_listed(task, legs) -> float:
    """nDCG@10 of the shipped hybrid as `lintas eval` lists it (evaluation.as_listed)."""
    listed = listing(task)
    return ndcg_of(task, legs, lambda leg: listed(_shipped(leg)))


def main(bench: Path, only: list[str]) -> list[str]:
    out: list[str] = []
    print_ = out.append
    tasks = {}
    folders = task_folders(bench, only) + [p for p in dev_tasks.build() if not only or p.name in only]
    for folder in folders:
        task, legs = load_legs(folder)
        tasks[task.name] = (task, legs, load_legs(folder, balanced=False)[1])
        print(f"legs of {task.name} ready", file=sys.stderr)
    names = list(tasks)
    queries, refs, bar, results = sweep(tasks)
    shipped = results.get(WEIGHTS) or {t: measure(queries[t], WEIGHTS) for t in names}
    engine = {t: ndcg_of(*tasks[t][:2], _shipped) for t in names}
    listed = {t: _as_listed(*tasks[t][:2]) for t in names}
    held = {t: choose(results, bar, [n for n in names if n != t]) for t in names} if len(names) > 1 else {}
    chosen = choose(results, bar, names)

    print_(f"{len(results)} settings measured on {len(names)} tasks (nDCG@10). Chosen on all tasks: "
           f"{label(chosen)}; shipped in search/fusion.py: {label(WEIGHTS)}.\n")
    print_("Legs with the language balance (the shipped vector leg); \"(plain)\": the vector leg "
           "without it; today: issue 13's hybrid (plain leg, per-language groups).\n")
    shown = ["keyword", "semantic", "semantic (plain)", "RRF k=60", "convex 0.2", "convex 0.3", "convex 0.5"]
    columns = shown + ["best other", "today", "hybrid (shipped)", "held out", "bar", "margin"]
    print_("| task | " + " | ".join(columns) + " |")
    print_("|---|" + "---|" * len(columns))
    for t in names:
        best_other = max(v for k, v in refs[t].items() if k != "today")
        row = [refs[t][k] for k in shown] + [best_other, refs[t]["today"], shipped[t][0]]
        cells = ([f"{v:.4f}" for v in row] + [f"{results[held[t]][t][0]:.4f}" if held else "-"]
                 + [f"{bar[t]:.4f}", f"{shipped[t][0] - bar[t]:+.4f}"])
        print_(f"| {t} | " + " | ".join(cells) + " |")
    print_("\nCheck: the shipped setting through `standardized_fusion` itself gives "
           + ", ".join(f"{t} {engine[t]:.4f}" for t in names) + ".")
    if "ntrex-mixed" in names:
        print_(f"ntrex-mixed, both versions in the top 10: {shipped['ntrex-mixed'][1]:.1%} of queries.")
    print_("\nAs listed (what `lintas eval` scores and `lintas search` shows: the same ranking with each "
           "story's documents together, search.stories.in_story_order over the eval index's stories), "
           "and its margin over the bar:\n")
    print_("| task | hybrid (shipped) | as listed | margin |")
    print_("|---|---|---|---|")
    for t in names:
        print_(f"| {t} | {engine[t]:.4f} | {listed[t]:.4f} | {listed[t] - bar[t]:+.4f} |")
    print_(f"\nWorst margin as listed: {min(listed[t] - bar[t] for t in names):+.4f} "
           f"({min(names, key=lambda t: listed[t] - bar[t])}); mean {sum(listed.values()) / len(names):.4f}.")

    def sort_key(w):
        return (-round(min(results[w][t][0] - bar[t] for t in names), 4), -sum(results[w][t][0] for t in names))
    print_(f"\nThe {SHOWN} best settings by the rule (worst margin over the bars, then mean):\n")
    print_("| setting | " + " | ".join(names) + " | worst margin | mean |")
    print_("|---|" + "---|" * (len(names) + 2))
    for w in sorted(results, key=sort_key)[:SHOWN]:
        row = results[w]
        print_(f"| {label(w)} | " + " | ".join(f"{row[t][0]:.4f}" for t in names)
               + f" | {min(row[t][0] - bar[t] for t in names):+.4f} | {sum(row[t][0] for t in names) / len(names):.4f} |")

    if not held:
        return out
    print_("\nLeave one task out: the rule applied to the other tasks, the setting's figure on the held-out one\n")
    print_("| held out | chosen on the others | nDCG@10 | bar | margin | today |")
    print_("|---|---|---|---|---|---|")
    for t in names:
        value = results[held[t]][t][0]
        print_(f"| {t} | {label(held[t])} | {value:.4f} | {bar[t]:.4f} | {value - bar[t]:+.4f} | "
               f"{refs[t]['today']:.4f} |")
    return out


if __name__ == "__main__":
    from quality import run_section

    run_section("fusion_sweep.py", main, (START, END), "nDCG@10; legs from the same engine and eval "
                "indexes as `lintas eval`, 100 deep", BENCH)
