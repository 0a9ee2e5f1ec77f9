"""A corrupted or truncated index file: a clear error naming it and the way out, never a traceback."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SEEDS, run
from index import store


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
    failures = [run(runner, "search", "Lukashenko Putin", "--index", seeds_index, "--mode", mode)
                for mode in ("hybrid", "keyword", "semantic")]
    failures.append(run(runner, "index", SEEDS, "--index", seeds_index))
    failed = [result for result in failures if result.exit_code != 0]
    assert failed, "the damage went unnoticed everywhere"
    for result in failed:
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: index file {path.parent if 'whoosh' in case else path}")
        assert result.stderr.rstrip().endswith("run lintas index --rebuild")
    rebuilt = run(runner, "index", SEEDS, "--index", seeds_index, "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert run(runner, "search", "Lukashenko Putin", "--index", seeds_index).exit_code == 0


def test_current_pointing_nowhere(runner, seeds_index):
    (seeds_index / store.CURRENT).write_text("gen-999999\n")
    result = run(runner, "search", "Putin", "--index", seeds_index)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: index file {seeds_index / store.CURRENT} is unreadable (names a missing "
                             f"generation 'gen-999999'); run lintas index --rebuild\n")
