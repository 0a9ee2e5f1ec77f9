"""What people expect of any CLI: --version, -h, shell completion, help that lists the inputs."""
from __future__ import annotations

from importlib.metadata import version

import pytest

from cli import app

COMMANDS = [command.name for command in app.registered_commands]


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args], prog_name="lintas", catch_exceptions=False)


def test_version_is_the_package_version(runner):
    result = run(runner, "--version")
    assert (result.exit_code, result.stdout) == (0, f"lintas {version('lintas')}\n")
    assert version("lintas") == "0.1.0"


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_h_is_help_on_every_command(runner, command):
    args = [command] if command else []
    short, long = run(runner, *args, "-h"), run(runner, *args, "--help")
    assert (short.exit_code, long.exit_code) == (0, 0)
    assert short.stdout == long.stdout
    assert short.stdout.startswith(f"Usage: lintas {command + ' ' if command else ''}[OPTIONS]")
    assert "  -h, --help " in short.stdout


def test_shell_completion_is_offered_and_completes(runner, monkeypatch):
    root = run(runner, "--help").stdout
    assert "--install-completion  Install completion for the current shell." in root
    assert "--show-completion" in root
    monkeypatch.setattr("typer.completion._get_shell_name", lambda: "bash")
    script = runner.invoke(app, ["--show-completion"], prog_name="lintas")
    assert script.exit_code == 0
    assert script.stdout.startswith("_lintas_completion() {")
    assert "complete -o default -F _lintas_completion lintas" in script.stdout

    def complete(words: str) -> list[str]:
        result = runner.invoke(app, [], prog_name="lintas", env={
            "_LINTAS_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)})
        assert result.exit_code == 0
        return result.stdout.split()

    assert complete("lintas se") == ["search", "serve"]
    assert complete("lintas search banjir --mode ") == ["hybrid", "keyword", "semantic"]
    assert complete("lintas search banjir --lang ") == ["id", "en"]
    assert complete("lintas eval task --mode h") == ["hybrid"]


def test_help_lists_what_each_command_takes(runner):
    def help_of(command: str) -> str:
        return " ".join(run(runner, command, "--help").stdout.split())  # the words, not the wrapping

    search = help_of("search")
    for text in ("Usage: lintas search [OPTIONS] {QUERY}", "at least one letter or digit",
                 "--mode <hybrid|keyword|semantic>", "--lang <id|en>",
                 "--since DATE Only articles dated on or after this day: YYYY-MM-DD, YYYY-MM or YYYY (its first day)",
                 "--until DATE", "--source SOURCE", "kompas.com; kompas matches it too",
                 "-k, --top-k <int range>", "--explain Also print each hit's score as the sum of its parts",
                 "the id that `lintas show` and `lintas remove` take"):
        assert text in search, text
    show = help_of("show")
    for text in ("Usage: lintas show [OPTIONS] {ID}", "the id: line of a lintas search hit, or --json's id",
                 "--raw", "--json"):
        assert text in show, text
    evaluation = help_of("eval")
    for text in ("Usage: lintas eval [OPTIONS] {TASK_DIR}", "corpus.jsonl (_id, title, text)",
                 "queries.jsonl (_id, text)", "qrels/test.tsv (tab-separated query-id, corpus-id, score)",
                 "--mode <all|hybrid|keyword|semantic>", "--run FILE", "FILE.MODE", "--index DIR"):
        assert text in evaluation, text
    export = help_of("export")
    for text in ("--format <jsonl>", "--vectors / --no-vectors", "a manifest line",
                 "one line per document: id, title, lang, path, date, source, url"):
        assert text in export, text


def test_a_mode_or_language_outside_the_choices_is_a_usage_error(runner, tmp_path):
    for option, value, choices in (("--mode", "fast", "'hybrid', 'keyword', 'semantic'"), ("--lang", "de", "'id', 'en'")):
        result = run(runner, "search", "banjir", option, value, "--index", tmp_path / "none")
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr.splitlines()[-1] == (
            f"Error: Invalid value for '{option}': Value error, '{value}' is not one of {choices}.")
