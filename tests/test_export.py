"""lintas export: the whole index as JSON lines, vectors included, for another engine."""
from __future__ import annotations

import json

import numpy as np

from conftest import EN_SEED, ID_SEEDS, run, run_json
from search.reader import IndexReader


def test_export_jsonl_carries_documents_text_and_vectors(runner, seeds_index):
    result = run(runner, "export", "--format", "jsonl", "--index", seeds_index)
    assert result.exit_code == 0, result.stderr
    header, *docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert header["manifest"]["model"] == "intfloat/multilingual-e5-small"
    assert header["manifest"]["documents"] == 5
    assert {d["id"] for d in docs} == {EN_SEED, *ID_SEEDS}
    reader = IndexReader(seeds_index)
    exported = np.array([p["vector"] for d in docs for p in d["passages"]], dtype=np.float32)
    assert exported.shape == reader.vectors.shape
    assert np.abs(exported - reader.vectors).max() < 1e-6
    for doc in docs:
        assert all(doc["text"][p["start"]:p["end"]].strip() for p in doc["passages"])
    # The exported vectors alone rank like lintas's own vector leg.
    query = "paratroopers military exercises"
    owner = [d["id"] for d in docs for _ in d["passages"]]
    best = owner[int(np.argmax(exported @ reader.embedder.embed_query(query)))]
    hits = run_json(runner, "search", query, "--mode", "semantic", "--index", seeds_index)
    assert best == hits[0]["id"]


def test_export_without_vectors(runner, seeds_index):
    result = run(runner, "export", "--no-vectors", "--index", seeds_index)
    docs = [json.loads(line) for line in result.stdout.splitlines()[1:]]
    assert len(docs) == 5 and all("vector" not in p for d in docs for p in d["passages"])


def test_export_without_an_index_fails_cleanly(runner, tmp_path):
    result = run(runner, "export", "--index", tmp_path / "none")
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")
