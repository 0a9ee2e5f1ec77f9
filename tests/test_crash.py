"""SIGKILL a real `lintas index` at several moments: the previous index stays whole and
searchable, and the next `lintas index` succeeds. Uses the bundled model on tiny documents.

Each run is stopped at a named checkpoint of the real code path (index/storage/checkpoints.py: the
test-only LINTAS_TEST_STOP_AT makes the process announce the moment and wait for the kill).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run, run_json
from index.storage import store

CHECKPOINTS = ["read", "embedded", "vectors", "keyword", "staged", "renamed", "switched"]
STATE_A = {
    "banjir.txt": "Banjir di Jakarta\n\nHujan deras membuat banjir di Jakarta Utara.",
    "gempa.txt": "Gempa di Palu\n\nGempa bumi mengguncang Palu pada pagi hari.",
    "rice.txt": "Rice exports fell\n\nRice exports fell in May as prices rose.",
}
STATE_B = {
    "banjir.txt": "Banjir di Jakarta\n\nAir setinggi pinggang merendam Kemayoran.",  # changed
    "rice.txt": STATE_A["rice.txt"],  # gempa.txt gone
    "kopi.txt": "Kopi Gayo\n\nPetani kopi Gayo panen raya tahun ini.",  # new
}


def lintas() -> list[str]:
    script = Path(sys.executable).parent / "lintas"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from cli import app; app()"]


def write_corpus(folder: Path, state: dict[str, str]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, text in state.items():
        (folder / name).write_text(text, encoding="utf-8")


def start_and_stop_at(checkpoint: str, corpus: Path, index_dir: Path) -> subprocess.Popen:
    """A real `lintas index` subprocess, waiting at ``checkpoint`` (it has announced it)."""
    env = {**os.environ, "LINTAS_TEST_STOP_AT": checkpoint}
    # Ctrl-C's default action restored for the child: a test run started in the background by a
    # shell without job control inherits SIGINT ignored, and the interrupt would never arrive.
    proc = subprocess.Popen([*lintas(), "index", str(corpus), "--index", str(index_dir)], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            cwd=Path(__file__).resolve().parent.parent,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in proc.stderr:
        if line.strip() == f"lintas-test-checkpoint {checkpoint}":
            return proc
    proc.wait()
    pytest.fail(f"lintas index ended (code {proc.returncode}) without reaching {checkpoint}")


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def answers(runner, index_dir: Path) -> dict[str, list[str]]:
    """What the index answers, in every mode: its whole searchable state, as far as tests see."""
    return {f"{mode} {query}": [hit["id"] for hit in run_json(runner, "search", query, "--mode", mode,
                                                                 "--index", index_dir)]
            for mode in ("keyword", "semantic", "hybrid") for query in ("banjir Jakarta", "Palu", "Gayo kopi")}


def test_sigkill_at_any_moment_keeps_the_index(runner, tmp_path):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    expected = {}
    for name, state in (("A", STATE_A), ("B", STATE_B)):  # what each state answers, built cleanly
        write_corpus(corpus, state)
        assert run(runner, "index", corpus, "--index", tmp_path / f"clean-{name}").exit_code == 0
        expected[name] = answers(runner, tmp_path / f"clean-{name}")
    assert expected["A"] != expected["B"]
    write_corpus(corpus, STATE_A)
    assert run(runner, "index", corpus, "--index", index_dir).exit_code == 0
    live, target = "A", "B"
    for checkpoint in CHECKPOINTS:
        write_corpus(corpus, STATE_B if target == "B" else STATE_A)
        kill(start_and_stop_at(checkpoint, corpus, index_dir))
        switched = checkpoint == "switched"  # killed after the switch: the new index is live
        assert answers(runner, index_dir) == expected[target if switched else live], checkpoint
        result = run(runner, "index", corpus, "--index", index_dir)
        assert result.exit_code == 0, result.stderr
        assert answers(runner, index_dir) == expected[target], checkpoint
        assert not list(index_dir.glob("tmp-*")) and len(list(index_dir.glob("gen-*"))) <= 2
        live, target = target, live


def test_a_second_writer_is_refused_while_searches_go_on(runner, tmp_path):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus, STATE_A)
    assert run(runner, "index", corpus, "--index", index_dir).exit_code == 0
    before = answers(runner, index_dir)
    write_corpus(corpus, STATE_B)
    writer = start_and_stop_at("embedded", corpus, index_dir)
    try:
        second = run(runner, "index", corpus, "--index", index_dir)
        assert second.exit_code == 1
        assert second.stderr == (f"Error: another lintas index is running (pid {writer.pid}) on {index_dir}; "
                                 f"wait for it to finish\n")
        assert run(runner, "remove", "gempa", "--index", index_dir).exit_code == 1
        assert answers(runner, index_dir) == before
    finally:
        kill(writer)
    assert run(runner, "index", corpus, "--index", index_dir).exit_code == 0
    assert store.read_manifest(store.current_generation(index_dir)).documents == 3


@pytest.mark.parametrize("moment, said", [
    ("read", "Interrupted: the index is unchanged."),
    ("embedded", "Interrupted: the index is unchanged; the 2 passages embedded so far are kept in the cache, "
                 "and the next lintas index does not embed them again."),
    ("switched", "Interrupted: after the new index was written: it is complete and searchable; the 2 passages "
                 "embedded so far are kept in the cache, and the next lintas index does not embed them again."),
])
def test_ctrl_c_says_what_became_of_the_index(runner, tmp_path, moment, said):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus, STATE_A)
    assert run(runner, "index", corpus, "--index", index_dir).exit_code == 0
    before = answers(runner, index_dir)
    # one changed, one new: 2 passages to embed (words of this case's own: the cache is the session's)
    write_corpus(corpus, {**STATE_B, "kopi.txt": f"{STATE_B['kopi.txt']} ({moment})",
                          "banjir.txt": f"{STATE_B['banjir.txt']} ({moment})"})
    proc = start_and_stop_at(moment, corpus, index_dir)
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == 130
    assert rest.strip().splitlines()[-1] == said
    assert "Traceback" not in rest
    if moment != "switched":
        assert answers(runner, index_dir) == before
