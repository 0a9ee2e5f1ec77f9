"""Defects found in review of the reading and updating code: each test names its defect."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from fakes import FakeEmbedder
from index import store
from index.builder import build_index
from index.embedding import VectorCache


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


def build(paths, index_dir, embedder, **options):
    cache = VectorCache(embedder, Path(os.environ["LINTAS_CACHE"]) / f"{id(embedder)}.sqlite")
    problems = []
    report = build_index(paths, index_dir, embedder, cache=cache, on_error=problems.append, **options)
    return report, [str(p) for p in problems]


def records(index_dir: Path) -> dict[str, dict]:
    folder = store.current_generation(index_dir)
    return {rec["id"]: rec for rec in store.read_records(folder, store.read_manifest(folder))}


def test_line_separators_inside_records_survive_the_document_table(tmp_path, embedder):
    col = tmp_path / "col"
    col.mkdir()
    (col / "a\u2028b.txt").write_text("Banjir di Jakarta\n\nHujan deras.", encoding="utf-8")
    (col / "feed.jsonl").write_text('{"id": "p", "title": "Putin\\u0085bertemu\\u2029Jokowi", '
                                    '"text": "Putin bertemu Jokowi di Bogor."}\n', encoding="utf-8")
    build([col], tmp_path / "index", embedder)
    table = records(tmp_path / "index")
    assert sorted(table) == [str(col / "a\u2028b.txt"), f"{col / 'feed.jsonl'}#p"]
    assert table[f"{col / 'feed.jsonl'}#p"]["title"] == "Putin\u0085bertemu\u2029Jokowi"
