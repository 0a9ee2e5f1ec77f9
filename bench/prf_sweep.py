"""Trying to lift the hybrid above both legs on more tasks: two extra keyword signals, each
added to language_weighted_fusion (the shipped defaults) with a small weight, over the same
cached legs as bench/fusion_sweep.py (no model call: the legs and query vectors are cached).

    .venv/bin/python bench/prf_sweep.py [TASK...]

1. Cross-lingual pseudo-relevance feedback (PRF): the top ``n`` semantic hits' most salient
   terms (tf-idf in their own language's stemmed field, from the stored text analysed like
   the index) become a second BM25 query; its BM25 over the candidates, divided by its best,
   is added with weight ``w``. This lets the keyword leg cross languages.
2. Rare exact terms across languages: BM25 on the exact field of the query's terms with idf
   above ``min_idf`` only (names, numbers), added for every candidate with weight ``w``.

Prints, in Markdown: nDCG@10 per task per setting, the worst margin over the better leg, the
setting chosen by the target's own terms (within 0.005 of the better leg on every task, then
the most tasks above both legs, then the worst margin, then the mean) and the leave-one-task-out
check (chosen on the other tasks, reported on the held-out one). The extra
signals per query are cached in $LINTAS_CACHE/eval/prf-*.json.
"""
from __future__ import annotations

import itertools
import json
import math
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fusion_sweep import BENCH, DEV_SUBSETS, _code_version, dev_subset, load_legs, ndcg  # noqa: E402
from index.analysis import LANGUAGE_FIELD, terms  # noqa: E402
from index.embedding import cache_dir  # noqa: E402
from search import metrics  # noqa: E402
from search.evaluation import judged_names, open_task_index  # noqa: E402
from search.fusion import language_weighted_fusion  # noqa: E402
from search.keyword import keyword_scores_of  # noqa: E402

PRF_DOCS = (1, 3, 5)
PRF_TERMS = (10, 30)
MIN_IDF = (3.0, 5.0)
TOLERANCE = -0.005
WEIGHTS = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1)
DEFAULT_TASKS = ["flores-en-id", "ntrex-id-en", "tatoeba-en-id", "ntrex-en-id-first750", "ntrex-mixed-first750"]


def salient_terms(reader, searcher, docs: list[tuple[str, float]], langs: dict[str, str], count: int):
    """The ``count`` terms of highest summed tf-idf (tf normalised by length) in ``docs``, per field."""
    weights: dict[str, Counter] = {}
    for doc, _ in docs:
        field = LANGUAGE_FIELD.get(langs.get(doc, ""))
        if field is None:
            continue
        words = terms(field, reader.stored_text(doc))
        if not words:
            continue
        for term, tf in Counter(words).items():
            df = searcher.doc_frequency(field, term)
            idf = math.log(1 + searcher.doc_count() / (1 + df))
            weights.setdefault(field, Counter())[term] += tf / len(words) * idf
    return {field: [t for t, _ in bag.most_common(count)] for field, bag in weights.items()}


def extra_signals(folder: Path, legs: dict) -> dict:
    """Per query: PRF BM25 for each (n, m), rare-exact BM25 for each min idf, over its candidates."""
    from fusion_sweep import read_task

    task = read_task(folder)
    reader = open_task_index(task, None)
    path = cache_dir() / "eval" / f"prf-{reader.index_dir.name}-{reader.folder.name}-{_code_version()}.json"
    if path.exists():
        return json.loads(path.read_text())
    out: dict = {}
    names = judged_names(reader)  # legs name documents by corpus _id (load_legs); the reader by index id
    ids = {name: doc_id for doc_id, name in names.items()}
    with reader.searcher() as searcher:
        for query_id, leg in legs.items():
            candidates = [ids[d] for d in leg["cosine"]]
            langs = {ids[d]: lang for d, lang in leg["doc_lang"].items()}
            signals: dict[str, dict[str, float]] = {}
            for n, m in itertools.product(PRF_DOCS, PRF_TERMS):
                top = [(ids[d], s) for d, s in leg["semantic"][:n]]
                field_terms = salient_terms(reader, searcher, top, langs, m)
                signals[f"prf-{n}-{m}"] = {names[d]: s for d, s in keyword_scores_of(
                    reader, field_terms, candidates).items() if s}
            exact = list(dict.fromkeys(terms("text_exact", task.queries[query_id])))
            for min_idf in MIN_IDF:
                rare = [t for t in exact if searcher.idf("text_exact", t) >= min_idf]
                signals[f"rare-{min_idf}"] = {names[d]: s for d, s in keyword_scores_of(
                    reader, {"text_exact": rare}, candidates).items() if s}
            out[query_id] = signals
    path.write_text(json.dumps(out))
    return out


def fused(parts: tuple[tuple[str, float], ...]):
    """The shipped fusion plus each (signal, weight) part; a signal named ``x-...`` is
    ``...`` counted only for documents not in the query's language (BM25 there already counts)."""
    def fuse(leg):
        base = dict(language_weighted_fusion(leg["cosine"], leg["bm25"], leg["doc_lang"], leg["query_lang"],
                                             lead=leg["lead"]))
        scores = dict(base)
        for signal, weight in parts:
            cross_only = signal.startswith("x-")
            extra = leg["extra"][signal.removeprefix("x-")]
            if cross_only:
                extra = {d: s for d, s in extra.items()
                         if leg["query_lang"] is None or leg["doc_lang"].get(d) != leg["query_lang"]}
            best = max(extra.values(), default=0.0) or 1.0
            for d in scores:
                scores[d] += weight * extra.get(d, 0.0) / best
        order = {d: i for i, d in enumerate(base)}
        return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))
    return fuse


def main(names: list[str]) -> list[str]:
    out: list[str] = []
    tasks = {}
    folders = {p.name: p for p in BENCH.iterdir() if (p / "corpus.jsonl").exists()}
    for name, keep in DEV_SUBSETS:
        sub = dev_subset(BENCH / name, keep)
        folders[sub.name] = sub
    for name in names:
        task, legs = load_legs(folders[name])
        extra = extra_signals(folders[name], legs)
        for query_id in legs:
            legs[query_id]["extra"] = extra[query_id]
        tasks[name] = (task, legs)
        print(f"signals of {name} ready", file=sys.stderr)
    best_leg = {t: max(ndcg(task, legs, lambda l: l["keyword"]), ndcg(task, legs, lambda l: l["semantic"]))
                for t, (task, legs) in tasks.items()}
    signals = [f"prf-{n}-{m}" for n, m in itertools.product(PRF_DOCS, PRF_TERMS)]
    signals += [f"{x}rare-{i}" for x in ("", "x-") for i in MIN_IDF]
    settings: list[tuple[tuple[str, float], ...]] = [()]
    settings += [((signal, weight),) for signal in signals for weight in WEIGHTS if weight]
    settings += [((prf, w1), (rare, w2)) for prf in signals[:len(PRF_DOCS) * len(PRF_TERMS)]
                 for rare in signals[len(PRF_DOCS) * len(PRF_TERMS):] for w1 in (0.005, 0.01) for w2 in (0.005, 0.01)]
    grid = {key: {t: ndcg(*tasks[t], fused(key)) for t in names} for key in settings}
    out.append("| setting | " + " | ".join(names) + " | worst margin | tasks above both legs |")
    out.append("|---|" + "---|" * (len(names) + 2))
    out.append("| better leg | " + " | ".join(f"{best_leg[t]:.4f}" for t in names) + " | | |")
    for key, row in grid.items():
        label = " + ".join(f"{signal} w={weight}" for signal, weight in key) or "shipped (no extra)"
        margin = min(row[t] - best_leg[t] for t in names)
        above = sum(row[t] > best_leg[t] + 1e-9 for t in names)
        out.append(f"| {label} | " + " | ".join(f"{row[t]:.4f}" for t in names)
                   + f" | {margin:+.4f} | {above} |")

    def choose(on: list[str]):
        """Among settings within the target's tolerance (worst margin over the better leg >=
        -0.005) on the tasks ``on``: the most tasks above both legs, then the worst margin, then the mean."""
        def key_of(key):
            margins = [grid[key][t] - best_leg[t] for t in on]
            return (min(margins) >= TOLERANCE, sum(m > 1e-9 for m in margins), round(min(margins), 4),
                    sum(grid[key][t] for t in on))
        return max(grid, key=key_of)

    out.append("\nChosen on all tasks (within 0.005 of the better leg everywhere; most tasks above both "
               f"legs; then worst margin; then mean): {choose(names)}")
    chosen = choose(names)
    out.append("\nQueries whose nDCG@10 the chosen setting changes against the shipped fusion:\n")
    out.append("| task | better | worse | queries |")
    out.append("|---|---|---|---|")
    for t in names:
        task, legs = tasks[t]
        pairs = [(metrics.ndcg_at([d for d, _ in fused(())(legs[q])], task.qrels[q], 10),
                  metrics.ndcg_at([d for d, _ in fused(chosen)(legs[q])], task.qrels[q], 10)) for q in task.queries]
        out.append(f"| {t} | {sum(b > a + 1e-12 for a, b in pairs)} | {sum(b < a - 1e-12 for a, b in pairs)} "
                   f"| {len(pairs)} |")
    out.append("\n| held out | chosen on the others | nDCG@10 | better leg | margin |")
    out.append("|---|---|---|---|---|")
    for held in names if len(names) > 1 else []:
        key = choose([t for t in names if t != held])
        out.append(f"| {held} | {key} | {grid[key][held]:.4f} | {best_leg[held]:.4f} | "
                   f"{grid[key][held] - best_leg[held]:+.4f} |")
    return out


if __name__ == "__main__":
    print("\n".join(main(sys.argv[1:] or DEFAULT_TASKS)))
