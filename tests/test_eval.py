"""`lintas eval` end to end on a tiny BEIR task, with the bundled model."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import run
from index.reading.documents import read_documents
from search.serving import metrics

CORPUS = [
    {"_id": "en-volcano", "title": "Volcano erupts on Bali",
     "text": "Mount Agung erupted on Tuesday, sending a column of ash over the airport in Denpasar."},
    {"_id": "id-volcano", "title": "Gunung Agung meletus",
     "text": "Gunung Agung di Bali meletus pada hari Selasa, abunya menutupi bandara di Denpasar."},
    {"_id": "en-football", "title": "Persija wins the cup final",
     "text": "Persija Jakarta won the cup final on Sunday after a penalty shoot-out."},
    {"_id": "id-football", "title": "Persija juara final piala",
     "text": "Persija Jakarta memenangkan final piala pada hari Minggu lewat adu penalti."},
]
QUERIES = [{"_id": "q1", "text": "volcano eruption on Bali"}, {"_id": "q2", "text": "sepak bola final piala"},
           {"_id": "q-unjudged", "text": "no judgement for this one"}]
QRELS = "query-id\tcorpus-id\tscore\nq1\tid-volcano\t1\nq2\ten-football\t1\n"
KEYS = ["task", "mode", "ndcg@10", "mrr@10", "recall@1", "recall@10", "recall@100", "queries", "docs"]


@pytest.fixture
def task(tmp_path):
    folder = tmp_path / "tiny-task"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in CORPUS), encoding="utf-8")
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUERIES), encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text(QRELS, encoding="utf-8")
    return folder


def test_beir_corpus_keeps_its_ids(task):
    docs = list(read_documents([task / "corpus.jsonl"]))
    assert [doc.key for doc in docs] == [d["_id"] for d in CORPUS]
    assert [doc.id for doc in docs] == [f"{task / 'corpus.jsonl'}#{d['_id']}" for d in CORPUS]


def test_eval_json_one_object_per_mode_and_trec_run(task, tmp_path):
    result = run_cli_eval(task, tmp_path, "--json", "--run", tmp_path / "run.txt")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["mode"] for row in rows] == ["hybrid", "keyword", "semantic"]
    for row in rows:
        assert list(row) == KEYS
        assert (row["task"], row["queries"], row["docs"]) == ("tiny-task", 2, 4)
        assert row["recall@100"] == 1.0 or row["mode"] == "keyword"  # 4 documents, all returned
    for row in rows:  # the printed figures are the metrics of the written run
        ranked = _read_run(tmp_path / f"run.txt.{row['mode']}")
        assert {doc for docs in ranked.values() for doc in docs} <= {d["_id"] for d in CORPUS}  # named as in qrels
        qrels = {"q1": {"id-volcano": 1}, "q2": {"en-football": 1}}
        ndcg = sum(metrics.ndcg_at(ranked.get(q, []), qrels[q], 10) for q in qrels) / 2
        assert row["ndcg@10"] == round(ndcg, 4)
    assert "run written to" in result.stderr


def test_eval_single_mode_text_table(task, tmp_path):
    result = run_cli_eval(task, tmp_path, "--mode", "semantic", "--run", tmp_path / "sem.txt")
    lines = result.stdout.splitlines()
    assert lines[0] == "tiny-task: 2 queries, 4 documents"
    assert lines[1].split() == ["mode", "nDCG@10", "MRR@10", "R@1", "R@10", "R@100"]
    assert lines[2].split()[0] == "semantic" and len(lines) == 3
    first = (tmp_path / "sem.txt").read_text().splitlines()[0].split()
    assert first[1:4:2] == ["Q0", "1"] and first[-1] == "lintas-semantic"


def test_a_run_lists_each_story_together_and_its_scores_keep_falling():
    from types import SimpleNamespace

    import numpy as np

    from search.serving.evaluation import as_listed

    docs = ["a", "b", "c", "d"]  # a and c: one story (a translation ranked third)
    reader = SimpleNamespace(stories=np.array([0, 1, 0, 3]), position=docs.index)
    listed = as_listed(reader, [("a", 3.0), ("b", 2.8), ("c", 2.5), ("d", 2.5)])
    assert [doc for doc, _ in listed] == ["a", "c", "b", "d"]  # as `lintas search` shows them
    scores = [score for _, score in listed]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4  # trec_eval keeps this order
    assert scores[:2] == [3.0, 2.5] and scores[2] == pytest.approx(2.5 - 1e-6)
    assert as_listed(reader, [("a", 3.0), ("b", 2.8)], depth=1) == [("a", 3.0)]


def test_eval_of_a_folder_without_qrels_is_a_clear_error(task, tmp_path):
    (task / "qrels" / "test.tsv").unlink()
    result = run(CliRunner(), "eval", task, "--index", tmp_path / "ix")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "qrels/test.tsv: missing" in result.stderr


def run_cli_eval(task, tmp_path, *args):
    result = run(CliRunner(), "eval", task, "--index", tmp_path / "ix", *args)
    assert result.exit_code == 0, result.stderr
    return result


def _read_run(path):
    ranked: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        query_id, _, doc_id, *_ = line.split()
        ranked.setdefault(query_id, []).append(doc_id)
    return ranked
