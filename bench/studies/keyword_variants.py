"""The keyword leg's own settings at search time, each measured through the whole sweep.

    .venv/bin/python bench/studies/keyword_variants.py [BENCH_DIR [TASK...]] [--no-write]

Variants: Whoosh's BM25F parameters (K1, B; the engine uses Whoosh's defaults, K1 1.2, B 0.75,
which are also Elasticsearch's) and the weight of the exact field against the stemmed one
(today both are OR-ed, so a word that matches as written and by stem counts twice). All of them
act at search time: the index stores each document's field lengths, BM25F's K1 and B only enter
the score, and the field weight is a Whoosh term boost; no index is rebuilt. For each variant
every task's legs are gathered again (the vector leg is computed once: it does not change) and
bench/fusion_sweep.py's grid and rule are run on them.

Bars. The peers' fusions use the same, changed legs, so each variant has its own bars (the
issue's terms: a peer with the same legs). A variant that weakens the keyword leg lowers its
own bars as well, so it is also measured against the bars of the shipped legs (the larger of
the two per task): a variant is better only if the rule prefers it both ways.

Prints, in Markdown, and writes into bench/RESULTS.md (between the keyword-variants markers):
1. per variant: the keyword leg on the question tasks, the setting the rule chooses on all
   tasks (own bars) with its figure on every task, its worst margin over its own bars and over
   the shipped legs' bars, and its mean;
2. per variant: the held-out figure of every task (the rule on the other tasks, own bars);
3. leave one task out over the variants and weights together: on each fold, the variant and
   weights the rule prefers on the other tasks (own bars; and with the shipped legs' bars),
   and the held-out task's figure with them, against the shipped variant's.
"""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fusion_sweep import label, sweep  # noqa: E402
from legs import BENCH, QUESTION_TASKS, legs_of, task_folders  # noqa: E402
from question_parts import vectors_once  # noqa: E402
from search.serving.evaluation import open_task_index, read_task  # noqa: E402

START, END = "<!-- keyword-variants:start -->", "<!-- keyword-variants:end -->"
SHIPPED = "shipped: K1 1.2, B 0.75, exact field 1"
VARIANTS = {  # label: (K1, B, weight of the exact field)
    SHIPPED: (1.2, 0.75, 1.0),
    "K1 0.6": (0.6, 0.75, 1.0),
    "K1 0.9": (0.9, 0.75, 1.0),
    "K1 1.6": (1.6, 0.75, 1.0),
    "B 0.5": (1.2, 0.5, 1.0),
    "B 0.9": (1.2, 0.9, 1.0),
    "exact field 0 (stems only)": (1.2, 0.75, 0.0),
    "exact field 0.5": (1.2, 0.75, 0.5),
    "exact field 2": (1.2, 0.75, 2.0),
}


@contextlib.contextmanager
def keyword_settings(k1: float, b: float, exact: float):
    """Readers opened inside search with BM25F(K1=k1, B=b), and the exact field's BM25 terms
    weighing ``exact`` (a Whoosh term boost, which multiplies the term's BM25); at 0 the exact
    field is left out of the BM25 search altogether (stems only). The lead match, which reads
    the exact words of the lead, is left as it is."""
    import search.keyword as keyword
    from search.reader import IndexReader
    from whoosh.query import Term
    from whoosh.scoring import BM25F

    def searcher(self):
        return self.whoosh.searcher(weighting=BM25F(B=b, K1=k1))

    def split(reader, field_terms):
        if exact == 0:
            field_terms = {field: words for field, words in field_terms.items() if field != "text_exact"}
        return real_split(reader, field_terms)

    real_searcher, real_term, real_split = (IndexReader._open_searcher, keyword.Term, keyword._split_by_frequency)
    IndexReader._open_searcher = searcher
    keyword.Term = lambda field, text: Term(field, text, boost=exact if field == "text_exact" else 1.0)
    keyword._split_by_frequency = split
    try:
        yield
    finally:
        IndexReader._open_searcher, keyword.Term, keyword._split_by_frequency = real_searcher, real_term, real_split


def measure_variants(folders: list[Path]) -> tuple[list[str], dict[str, tuple[dict, dict, dict]]]:
    """(task names, {variant: (references, bars, {weights: {task: (nDCG@10, all@10)}})})."""
    measured, names = {}, []
    with vectors_once():
        for variant, settings in VARIANTS.items():
            tasks = {}
            with keyword_settings(*settings):
                for folder in folders:
                    task = read_task(folder)
                    tasks[task.name] = (task, legs_of(task, open_task_index(task, None)))
            _, refs, bar, results = sweep(tasks)
            measured[variant], names = (refs, bar, results), list(tasks)
            print(f"{variant}: measured", file=sys.stderr)
    return names, measured


def main(bench: Path, only: list[str]) -> list[str]:
    folders = task_folders(bench, only)
    names, measured = measure_variants(folders)
    shown = [t for t in QUESTION_TASKS if t in names]
    shipped_bar = measured[SHIPPED][1] if SHIPPED in measured else None

    def key(variant, w, on, strict=False):
        """fusion_sweep.choose's key, with the variant's own bars (or the larger of its own and
        the shipped legs' bars)."""
        _, bar, results = measured[variant]
        row = results[w]
        floor = {t: max(bar[t], shipped_bar[t]) if strict else bar[t] for t in on}
        ok = all(row[t][1] >= 0.95 for t in on if t == "ntrex-mixed")
        return ok, round(min(row[t][0] - floor[t] for t in on), 4), sum(row[t][0] for t in on) / len(on)

    def best(variant, on, strict=False):
        return max(measured[variant][2], key=lambda w: key(variant, w, on, strict))

    def overall(on, strict=False):
        return max(((v, best(v, on, strict)) for v in measured), key=lambda vw: key(*vw, on, strict))

    def figure(variant, w, t):
        return measured[variant][2][w][t][0]

    out = ["Each variant with the weights the rule chooses for it on all tasks (its own bars):", "",
           "| variant | keyword leg: " + " / ".join(shown) + " | chosen weights | " + " | ".join(names)
           + " | worst margin, own bars | worst margin, shipped legs' bars | mean |",
           "|---|---|---|" + "---|" * len(names) + "---|---|---|"]
    for variant in measured:
        w = best(variant, names)
        out.append(f"| {variant} | " + " / ".join(f"{measured[variant][0][t]['keyword']:.4f}" for t in shown)
                   + f" | {label(w)} | " + " | ".join(f"{figure(variant, w, t):.4f}" for t in names)
                   + f" | {key(variant, w, names)[1]:+.4f} | {key(variant, w, names, True)[1]:+.4f}"
                   + f" | {key(variant, w, names)[2]:.4f} |")
    if len(names) < 2:
        return out
    out += ["", "Held out, each variant on its own: the weights the rule chooses on the other tasks (own bars), "
            "their figure on the held-out task:", "",
            "| variant | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for variant in measured:
        out.append(f"| {variant} | " + " | ".join(
            f"{figure(variant, best(variant, [n for n in names if n != t]), t):.4f}" for t in names) + " |")

    winner, winner_strict = overall(names), overall(names, True)
    out += ["", f"The rule over every variant and weights together, on all tasks: {winner[0]}, {label(winner[1])} "
            f"(own bars); {winner_strict[0]}, {label(winner_strict[1])} (with the shipped legs' bars).", "",
            "Leave one task out over every variant and weights together: the rule on the other tasks, the "
            "held-out task's figure with its choice, against the shipped variant's own choice on the same tasks:",
            "", "| held out | chosen on the others (own bars) | nDCG@10 | chosen with the shipped legs' bars | nDCG@10 "
            "| shipped variant's choice | nDCG@10 |", "|---|---|---|---|---|---|---|"]
    for t in names:
        others = [n for n in names if n != t]
        (v, w), (vs, ws) = overall(others), overall(others, True)
        shipped = best(SHIPPED, others) if SHIPPED in measured else None
        out.append(f"| {t} | {v}; {label(w)} | {figure(v, w, t):.4f} | {vs}; {label(ws)} | {figure(vs, ws, t):.4f} | "
                   + (f"{label(shipped)} | {figure(SHIPPED, shipped, t):.4f} |" if shipped else "- | - |"))
    return out


if __name__ == "__main__":
    from quality import run_section

    run_section("studies/keyword_variants.py", main, (START, END), "nDCG@10; every variant's legs gathered by the "
                "engine over the eval indexes, 100 deep; bars and peers from the same legs", BENCH)
