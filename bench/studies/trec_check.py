"""Cross-check `lintas eval` against trec_eval (through pytrec_eval, not a Lintas dependency).

    .venv/bin/lintas eval TASK_DIR --run /tmp/run.txt --json     # writes /tmp/run.txt.MODE
    python -m venv /tmp/trec && /tmp/trec/bin/pip install pytrec-eval-terrier
    /tmp/trec/bin/python bench/studies/trec_check.py TASK_DIR /tmp/run.txt.hybrid

Prints trec_eval's mean ndcg_cut_10, recall_1, recall_10 and recall_100 for the run, to compare
with the figures `lintas eval --json` printed for the same mode.
"""
import sys

import pytrec_eval

task, run_path = sys.argv[1], sys.argv[2]
qrels: dict[str, dict[str, int]] = {}
with open(f"{task}/qrels/test.tsv", encoding="utf-8") as lines:
    next(lines)
    for line in lines:
        query_id, doc_id, score = line.rstrip("\n").split("\t")
        qrels.setdefault(query_id, {})[doc_id] = int(score)
run: dict[str, dict[str, float]] = {}
with open(run_path, encoding="utf-8") as lines:
    for line in lines:
        query_id, _, doc_id, _rank, score, _tag = line.split()
        run.setdefault(query_id, {})[doc_id] = float(score)
for query_id in qrels:
    run.setdefault(query_id, {})
measures = {"ndcg_cut_10", "recall_1", "recall_10", "recall_100"}
results = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
for measure in sorted(measures):
    values = [scores[measure] for scores in results.values()]
    print(f"{measure}: {sum(values) / len(values):.4f}")
