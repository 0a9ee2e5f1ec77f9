"""A corrupted or truncated index file: a clear error naming it and the way out, never a traceback."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import EN_SEED, ID_SEEDS, SEEDS, SUPPORT_QUERY_TOP, run, run_json
from index.storage import store
from search.reader import IndexReader


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 4, len(data), 7):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def whoosh_file(folder: Path, suffix: str) -> Path:
    return max((folder / store.WHOOSH).glob(f"*{suffix}"), key=lambda p: p.stat().st_size)


CASES = {
    "manifest truncated": (lambda g: g / store.MANIFEST, truncate),
    "docs truncated": (lambda g: g / store.DOCS, truncate),
    "docs garbled": (lambda g: g / store.DOCS, garble),
    "vectors truncated": (lambda g: next(g.glob("vec-*.npy")), truncate),
    "whoosh toc truncated": (lambda g: whoosh_file(g, ".toc"), truncate),
    "whoosh segment truncated": (lambda g: whoosh_file(g, ".seg"), truncate),
    "whoosh segment garbled": (lambda g: whoosh_file(g, ".seg"), garble),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_corrupt_file_is_named_and_rebuild_recovers(runner, seeds_index, case):
    pick, damage = CASES[case]
    path = pick(store.current_generation(seeds_index))
    damage(path)
    named = path.parent if "whoosh" in case else path
    searches = [run(runner, "search", "Lukashenko Putin", "--index", seeds_index, "--mode", mode)
                for mode in ("hybrid", "keyword", "semantic")]
    updates = [run(runner, "index", SEEDS, "--index", seeds_index), run(runner, "index", "--index", seeds_index)]
    assert [result.exit_code for result in updates] == [1, 1]  # an update checks what it relies on first
    for result in updates + [result for result in searches if result.exit_code != 0]:
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: index file {named} is unreadable (")
        assert result.stderr.endswith("); run lintas index --rebuild\n")
    assert_rebuild_restores_the_seeds(runner, seeds_index)


def assert_rebuild_restores_the_seeds(runner, index_dir: Path, *args) -> None:
    """The advised `lintas index --rebuild`, without paths, brings every seed back."""
    rebuilt = run(runner, "index", "--rebuild", *args, "--index", index_dir)
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert "Indexed 5 documents (languages: en 1, id 4)" in rebuilt.stderr
    assert {doc.id for doc in IndexReader(index_dir).docs} == ID_SEEDS | {EN_SEED}
    hits = run_json(runner, "search", "Lukashenko asks Putin for support", "--index", index_dir)
    assert {hit["id"] for hit in hits[:2]} == SUPPORT_QUERY_TOP


def test_rebuild_of_a_damaged_index_reads_the_roots_of_the_previous_generation(runner, seeds_index, tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "kopi.txt").write_text("Kopi Gayo\n\nPetani kopi Gayo panen raya.", encoding="utf-8")
    assert run(runner, "index", extra, "--index", seeds_index).exit_code == 0
    generation = store.current_generation(seeds_index)
    truncate(generation / store.MANIFEST)
    truncate(generation / store.DOCS)
    rebuilt = run(runner, "index", "--rebuild", "--index", seeds_index)
    assert rebuilt.exit_code == 0, rebuilt.stderr
    # the previous generation's manifest names only seeds/: kopi.txt came with the damaged one
    assert {doc.id for doc in IndexReader(seeds_index).docs} == ID_SEEDS | {EN_SEED}
    assert store.read_manifest(store.current_generation(seeds_index)).roots == [str(SEEDS)]


def test_rebuild_without_anything_telling_the_roots_asks_for_paths(runner, seeds_index):
    generation = store.current_generation(seeds_index)
    truncate(generation / store.MANIFEST)
    (generation / store.DOCS).write_text("garbage\n")
    result = run(runner, "index", "--rebuild", "--index", seeds_index)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: the index at {seeds_index} does not say what it was built from; give "
                             f"the files and folders to index: lintas index --rebuild PATHS\n")
    assert_rebuild_restores_the_seeds(runner, seeds_index, SEEDS)


def test_current_pointing_nowhere(runner, seeds_index):
    (seeds_index / store.CURRENT).write_text("gen-999999\n")
    result = run(runner, "search", "Putin", "--index", seeds_index)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: index file {seeds_index / store.CURRENT} is unreadable (names a missing "
                             f"generation 'gen-999999'); run lintas index --rebuild\n")
