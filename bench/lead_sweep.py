"""How the lead match was shaped: which opening, which weight, which documents.

    .venv/bin/python bench/lead_sweep.py [TASK...]

Over the cached legs of bench/fusion_sweep.py (no model call), the shipped fusion without the
lead match is compared with it added under variants: the opening read as the first N words
of title + text (N = 30, 60, 90, 120; "all" = the whole article), the weight, and whether
documents in the query's language earn it too. The share is computed here from the corpus
as the engine does from its `lead_exact` field (idf from the whole articles, exact words).
Writes into bench/RESULTS.md (between the lead markers) and prints, per task and variant,
nDCG@10 and how many queries got better / worse than without the lead match.
"""
from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fusion_sweep import BENCH, DEV_SUBSETS, dev_subset, load_legs  # noqa: E402
from index.analysis import terms  # noqa: E402
from search import metrics  # noqa: E402
from search.fusion import language_weighted_fusion  # noqa: E402

OPENINGS = (30, 60, 90, 120, None)  # words; None: the whole article
WEIGHTS = (0.005, 0.01, 0.02, 0.05)
START, END = "<!-- lead:start -->", "<!-- lead:end -->"
DEFAULT_TASKS = ["flores-en-id", "ntrex-id-en", "tatoeba-en-id", "ntrex-en-id-first750", "ntrex-mixed-first750"]


def word_sets(folder: Path, opening: int | None) -> dict[str, set[str]]:
    out = {}
    with open(folder / "corpus.jsonl", encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            words = f"{doc.get('title') or ''}\n{doc['text']}".split()
            out[doc["_id"]] = set(terms("text_exact", " ".join(words[:opening] if opening else words)))
    return out


def main(names: list[str]) -> list[str]:
    out: list[str] = []
    print_ = out.append
    folders = {p.name: p for p in BENCH.iterdir() if (p / "corpus.jsonl").exists()}
    folders.update({f"{name}-first{keep}": dev_subset(BENCH / name, keep) for name, keep in DEV_SUBSETS})
    print_("| task | opening | documents | " + " | ".join(f"w={w}" for w in WEIGHTS) + " |")
    print_("|---|---|---|" + "---|" * len(WEIGHTS))
    for name in names:
        task, legs = load_legs(folders[name])
        whole = word_sets(folders[name], None)
        df = Counter(t for words in whole.values() for t in words)
        total = len(whole)
        base = {q: dict(language_weighted_fusion(legs[q]["cosine"], legs[q]["bm25"], legs[q]["doc_lang"],
                                                 legs[q]["query_lang"])) for q in task.queries}
        before = {q: metrics.ndcg_at(list(base[q]), task.qrels[q], 10) for q in task.queries}
        for opening in OPENINGS:
            opened = whole if opening is None else word_sets(folders[name], opening)
            share = {}
            for q, text in task.queries.items():
                idf = {t: math.log(total / df[t]) for t in set(terms("text_exact", text)) if df[t]}
                weight = sum(idf.values()) or 1.0
                share[q] = {d: sum(v for t, v in idf.items() if t in opened[d]) / weight for d in base[q]}
            for everyone in (False, True):
                cells = []
                for w in WEIGHTS:
                    better = worse = 0
                    mean = 0.0
                    for q in task.queries:
                        leg = legs[q]
                        earns = {d: everyone or leg["query_lang"] is None or leg["doc_lang"].get(d) != leg["query_lang"]
                                 for d in base[q]}
                        ranked = sorted(base[q], key=lambda d: -(base[q][d] + (w * share[q][d] if earns[d] else 0.0)))
                        now = metrics.ndcg_at(ranked, task.qrels[q], 10)
                        mean += now / len(task.queries)
                        better += now > before[q] + 1e-9
                        worse += now < before[q] - 1e-9
                    cells.append(f"{mean:.4f} (+{better}/−{worse})")
                who = "all" if everyone else "other language"
                print_(f"| {name} | {opening or 'all'} | {who} | " + " | ".join(cells) + " |")
        print_(f"| {name} | without | | {sum(before.values()) / len(before):.4f} |" + " |" * (len(WEIGHTS) - 1))
        print(f"{name} done", file=sys.stderr)
    return out


if __name__ == "__main__":
    from quality import RESULTS, write_section

    lines = main(sys.argv[1:] or DEFAULT_TASKS)
    command = " ".join([".venv/bin/python bench/lead_sweep.py", *sys.argv[1:]])
    section = "\n".join([START, f"Made by `{command}` (nDCG@10, and queries better / worse than without the "
                          "lead match; \"all\" documents differs from \"other language\" only on the mixed tasks):",
                          "", *lines, END])
    write_section(RESULTS, section, START, END)
    print(section)
