"""The relevance floor (issue 24): where a hit stops being a confident answer, measured.

    .venv/bin/python bench/studies/relevance_floor.py [--no-write]

Answerable: every query of the shared bench and the dev tasks (bench/dev_tasks.py), ranked by
the hybrid from the same cached legs as bench/fusion_sweep.py, in the order `lintas search` lists
it and `lintas eval` scores it (each story's documents together: evaluation.as_listed). Unanswerable: the questions of
one task run against another task's archive, chosen so that none has its answer there (other
subjects, other sources, other kinds of text). A hit is confident when its confidence
(search.confidence: from its evidence, the document's language-balanced cosine, a little more
when it holds the query's names, a little less when it is in the query's language and lacks
its words) is at least one half.

Printed and written into bench/RESULTS.md: per task, recall@10 of every hit and of confident
hits only (the issue: at most 0.01 lost); per pair, the share of unanswerable queries with no
confident hit in their top 10 (the issue: at least 80 %); and the cosine distributions the
floor was set from.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dev_tasks  # noqa: E402
from legs import BENCH, listing, load_legs, task_folders  # noqa: E402
from search import confidence as floor  # noqa: E402
from search.engine import Mode, clean_query, gather_legs, hit_evidence, rank, words_held  # noqa: E402
from search.serving.evaluation import as_listed, open_task_index, read_task  # noqa: E402
from search.fusion import standardized_fusion  # noqa: E402

START, END = "<!-- floor:start -->", "<!-- floor:end -->"
QUERIES_PER_PAIR = 300
# (questions of, archive of): no question has its answer in that archive
PAIRS = (
    ("facqa-news-id", "tydiqa-goldp-id"),  # news factoids (Kompas) against Wikipedia passages
    ("tydiqa-goldp-id", "facqa-news-id"),  # encyclopedia questions against news passages
    ("flores-en-id", "tatoeba-en-id"),  # news and travel sentences against everyday phrases
    ("tatoeba-en-id", "flores-en-id"),
    ("ntrex-en-id", "tatoeba-bilingual"),  # 2019 English headlines against everyday phrases, both languages
    ("facqa-news-id", "flores-bilingual"),  # Indonesian factoids against 2016-era Wikinews sentences
    ("tydiqa-goldp-id", "ntrex-bilingual"),
)


def hybrid_top(leg: dict, listed, k: int = 10) -> list[tuple[str, float]]:
    """The hybrid's top ``k`` of one query's legs as ``listed`` orders a ranking: (doc, its evidence)."""
    fused = standardized_fusion(leg["cosine"], leg["bm25"], leg["doc_lang"], leg["query_lang"], lead=leg["lead"],
                                names=leg["names"])
    return [(doc, floor.evidence(leg["evidence"][doc], leg["names"].get(doc), leg["words"].get(doc)))
            for doc, _ in listed([(item.doc, item.score) for item in fused])[:k]]


def answerable(folders: list[Path]) -> dict[str, tuple[list[float], list[float], int]]:
    """{task: (evidence of the relevant documents in the hybrid's top 10, every top-10 evidence,
    number of relevant documents)}."""
    out = {}
    for folder in folders:
        task, legs = load_legs(folder)
        listed = listing(task)
        found, every, wanted = [], [], 0
        for query, relevant in task.qrels.items():
            if query not in task.queries:
                continue
            top = hybrid_top(legs[query], listed)
            found += [cosine for doc, cosine in top if doc in relevant]
            every += [cosine for _, cosine in top]
            wanted += len(relevant)
        out[task.name] = (found, every, wanted)
        print(f"answerable: {task.name}", file=sys.stderr)
    return out


def unanswerable(folders: dict[str, Path]) -> dict[str, list[float]]:
    """{"questions → archive": the best evidence among each question's hybrid top 10}."""
    out = {}
    for questions, archive in PAIRS:
        reader = open_task_index(read_task(folders[archive]), None)
        texts = list(read_task(folders[questions]).queries.values())[:QUERIES_PER_PAIR]
        best = []
        for text in texts:
            legs = gather_legs(reader, clean_query(text), 50, Mode.hybrid)
            top = [doc for doc, _ in as_listed(reader, rank(legs, Mode.hybrid))[:10]]
            words = words_held(reader, legs, top)
            best.append(max((floor.evidence(hit_evidence(reader, legs, doc), legs.names.get(doc), words.get(doc))
                             for doc in top), default=-1.0))
        out[f"{questions} → {archive}"] = best
        print(f"unanswerable: {questions} → {archive}", file=sys.stderr)
    return out


def main(bench: Path, only: list[str]) -> list[str]:
    folders = task_folders(bench) + dev_tasks.build()
    answers = answerable(folders)
    strays = unanswerable({p.name: p for p in folders})
    lines = [f"Floor: a hit is confident from evidence {floor.FLOOR:.3f}: its balanced cosine, "
             f"+ {floor.NAME_EVIDENCE:g} when it holds at least {floor.NAMES_HELD:g} of the query's names by rarity, "
             f"− {floor.WORDS_EVIDENCE:g} × ({floor.WORDS_HELD:g} − the share of the query's words it holds, by rarity) "
             f"when it is in the query's language and holds less than {floor.WORDS_HELD:g} of them "
             f"(confidence = 1 / (1 + exp(−{floor.SLOPE:g} × (evidence − {floor.FLOOR:.3f})))).", "",
             "| task | recall@10, every hit | confident hits only | lost |", "|---|---|---|---|"]
    for name, (found, _, wanted) in answers.items():
        every = len(found) / wanted
        confident = sum(floor.confident(c) for c in found) / wanted
        lines.append(f"| {name} | {every:.4f} | {confident:.4f} | {every - confident:.4f} |")
    lines += ["", "| questions → archive (none answered there) | queries | no confident hit |", "|---|---|---|"]
    shares = []
    for pair, best in strays.items():
        share = sum(not floor.confident(c) for c in best) / len(best)
        shares.append(share)
        lines.append(f"| {pair} | {len(best)} | {share:.1%} |")
    lines.append(f"| all pairs | {sum(len(b) for b in strays.values())} | {np.mean(shares):.1%} (mean of pairs) |")
    relevant = np.concatenate([np.array(found) for found, _, _ in answers.values()])
    stray = np.concatenate([np.array(best) for best in strays.values()])
    lines += ["", "The floor's trade-off: for each candidate floor, the share of unanswerable questions (mean "
              "of the pairs) with no hit at or above it, and the recall@10 lost on the worst answerable task.", "",
              "| floor | no confident hit (unanswerable) | worst recall@10 lost | task |", "|---|---|---|---|"]
    for candidate in np.arange(0.70, 0.86, 0.01):
        share = np.mean([np.mean(np.array(best) < candidate) for best in strays.values()])
        lost = {name: sum(c < candidate for c in found) / wanted for name, (found, _, wanted) in answers.items()}
        worst = max(lost, key=lost.get)
        lines.append(f"| {candidate:.2f} | {share:.1%} | {lost[worst]:.4f} | {worst} |")
    lines += ["", "Evidence quantiles (5 / 25 / 50 / 75 / 95 %): relevant documents in the top 10 "
              + " / ".join(f"{q:.3f}" for q in np.quantile(relevant, [.05, .25, .5, .75, .95]))
              + "; the best hit of an unanswerable question "
              + " / ".join(f"{q:.3f}" for q in np.quantile(stray, [.05, .25, .5, .75, .95])) + "."]
    return lines


if __name__ == "__main__":
    from quality import run_section

    run_section("studies/relevance_floor.py", main, (START, END), "hybrid top 10 per query; legs as fusion_sweep.py's", BENCH)
