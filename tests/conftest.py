"""Shared fixtures: the real seeds corpus indexed once per test session with the bundled model."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from index.storage import store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def seed_id(name: str) -> str:
    """A seed article's id: its file's resolved path (index.reading.ids)."""
    return str(SEEDS / f"{name}.txt")


EN_SEED = seed_id("003_f79bf9490dbe2041")
# "Lukashenko asks Putin for support" is answered first by these two: the English seed (its title
# is the query) and the Indonesian seed of the phone call in which he asked Moscow for help,
# side by side since the language balance (issue 24) takes the query's language out of the cosine.
SUPPORT_QUERY_TOP = {EN_SEED, seed_id("001_cf8019bd0f87cf4f")}
ID_SEEDS = {seed_id(name) for name in ("000_0dfaffacd213fe91", "001_cf8019bd0f87cf4f", "002_a5b2618d017f9403",
                                       "004_111cb5bf34ac05bb")}


@pytest.fixture(scope="session", autouse=True)
def _isolated_dirs(tmp_path_factory):
    """No test touches the user's real index or cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("LINTAS_CACHE", str(tmp_path_factory.mktemp("cache")))
    mp.setenv("LINTAS_INDEX", str(tmp_path_factory.mktemp("default-index") / "index"))
    mp.setenv("HF_HUB_OFFLINE", "1")
    yield
    mp.undo()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def run_json(runner: CliRunner, *args: str) -> list[dict]:
    result = run(runner, *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def _seeds_index_master(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("seeds") / "index"
    result = run(CliRunner(), "index", SEEDS, "--index", index_dir)
    assert result.exit_code == 0, result.stderr
    return index_dir


@pytest.fixture
def seeds_index(_seeds_index_master, tmp_path) -> Path:
    """A private copy of the seeds index, free to change."""
    copy = tmp_path / "index"
    shutil.copytree(_seeds_index_master, copy)
    return copy


def make_format_2(index_dir: Path) -> None:
    """Turn an index into what Lintas wrote before ids were sources: format 2, ids below the
    folder given without suffix, no key, no roots."""
    generation = store.current_generation(index_dir)
    manifest = json.loads((generation / store.MANIFEST).read_text())
    manifest["format_version"] = 2
    del manifest["roots"]
    (generation / store.MANIFEST).write_text(json.dumps(manifest))
    records = [json.loads(line) for line in (generation / store.DOCS).read_text().splitlines()]
    for record in records:
        record["id"] = record.pop("key") or "/".join(Path(record["file"]).with_suffix("").parts[-2:])
    (generation / store.DOCS).write_text("".join(json.dumps(r) + "\n" for r in records))
    shutil.rmtree(generation / "table")  # the document table's columns came later still (issue 21)
