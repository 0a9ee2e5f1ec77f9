"""The README's example outputs are what the commands print: each example is run here.

An example is a fenced block whose first line is ``$ lintas ...`` (commands joined by ``&&``);
the lines after it are the last command's stdout, up to a line ``...`` that stands for the rest.
Commands run from the repository's root, on a fresh index of their own (of seeds/ when the
block does not index), at COLUMNS=100. Scores and cosines differ from one CPU to another (SIMD
kernels round differently), and a standardized score divides a cosine's difference by the
spread of the best candidates' cosines, which magnifies it: the same `--explain` gave semantic
0.6620 on an Intel Xeon with AMX and 0.6484 on an AMD EPYC. So numbers are compared to within
0.003 or 3 % of their size, whichever is more; every other character must be equal.

    LINTAS_README_UPDATE=1 pytest tests/test_readme.py   # write the outputs of today into README.md
"""
from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS, run

README = ROOT / "README.md"
BLOCK = re.compile(r"^```\n(\$ lintas [^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
NUMBER = re.compile(r"\d+\.\d+")
TOLERANCE = 0.003
RELATIVE = 0.03
WIDTH = 100


def examples() -> list[tuple[str, str]]:
    return [(match.group(1), match.group(2)) for match in BLOCK.finditer(README.read_text(encoding="utf-8"))]


def output_of(runner, command_line: str, index_dir: Path) -> str:
    commands = [shlex.split(part) for part in command_line.removeprefix("$ ").split(" && ")]
    if not any(command[1] == "index" for command in commands):
        result = run(runner, "index", SEEDS, "--index", index_dir)
        assert result.exit_code == 0, result.stderr
    out = ""
    for command in commands:
        assert command[0] == "lintas", command_line
        result = run(runner, *command[1:], "--index", index_dir)
        assert result.exit_code == 0, (command_line, result.stderr)
        out = result.stdout
    return out


def same(expected: str, actual: str) -> bool:
    """Equal but for numbers within TOLERANCE of each other."""
    if NUMBER.sub("#", expected) != NUMBER.sub("#", actual):
        return False
    return all(abs(float(a) - float(b)) <= max(TOLERANCE, RELATIVE * abs(float(a)))
               for a, b in zip(NUMBER.findall(expected), NUMBER.findall(actual)))


def shown(expected: str, actual: str) -> tuple[str, str]:
    """(what the README shows, the same part of the actual output): up to a "..." line."""
    lines = expected.splitlines()
    if "..." in lines:
        cut = lines.index("...")
        return "\n".join(lines[:cut]), "\n".join(actual.splitlines()[:cut])
    return expected.rstrip("\n"), actual.rstrip("\n")


@pytest.mark.parametrize("command_line, expected", examples(), ids=[command for command, _ in examples()])
def test_readme_example_is_what_the_command_prints(runner, monkeypatch, tmp_path, command_line, expected):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    actual = output_of(runner, command_line, tmp_path / "index")
    wanted, got = shown(expected, actual)
    if os.environ.get("LINTAS_README_UPDATE") and not same(wanted, got):
        text = README.read_text(encoding="utf-8")
        more = "\n...\n" if "..." in expected.splitlines() else "\n"
        README.write_text(text.replace(f"{command_line}\n{expected}", f"{command_line}\n{got}{more}", 1),
                          encoding="utf-8")
        return
    assert same(wanted, got), f"README example {command_line!r} prints now:\n{got}"


def test_the_readme_has_examples_to_check():
    commands = [command for command, _ in examples()]
    assert any(" search " in command for command in commands) and any("--explain" in command for command in commands)
