"""Defects found in review of the reading and updating code: each test names its defect."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from fakes import FakeEmbedder
from index.storage import store
from index.storage.builder import build_index
from index.embedding.engine import VectorCache
from test_eval import task  # noqa: F401 (a fixture: a tiny BEIR task)


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


def test_an_explicit_id_that_spells_another_documents_id_is_named_and_skipped(tmp_path, embedder):
    col = tmp_path / "col"
    col.mkdir()
    (col / "feed.jsonl#x.txt").write_text("Gempa di Palu\n\nGempa bumi mengguncang Palu.", encoding="utf-8")
    (col / "feed.jsonl").write_text('{"id": "x.txt", "text": "Harga beras naik lagi."}\n', encoding="utf-8")
    report, problems = build([col], tmp_path / "index", embedder)
    taken = f"{col / 'feed.jsonl'}#x.txt"
    # the walk reads feed.jsonl first (sorted names): its line keeps the id, the file is skipped
    assert problems == [f"{col / 'feed.jsonl#x.txt'}: id {taken!r} is already the id of "
                        f"{col / 'feed.jsonl'}:1; skipped"]
    assert report.skipped == 1
    assert [rec["path"] for rec in records(tmp_path / "index").values()] == [f"{col / 'feed.jsonl'}:1"]


def test_a_url_without_a_valid_host_gives_no_source_host(tmp_path, embedder):
    col = tmp_path / "Berita"
    col.mkdir()
    (col / "feed.jsonl").write_text('{"id": "u", "url": "http://[bad/x", "text": "Harga beras naik lagi."}\n',
                                    encoding="utf-8")
    report, problems = build([col], tmp_path / "index", embedder)
    assert problems == []
    table = records(tmp_path / "index")
    assert {rec["path"]: (rec["url"], rec["source"]) for rec in table.values()} == {
        f"{col / 'feed.jsonl'}:1": ("http://[bad/x", "berita")}


def test_json_nested_too_deeply_is_named_and_skipped(tmp_path, embedder):
    col = tmp_path / "col"
    col.mkdir()
    (col / "deep.json").write_text("[" * 200_000, encoding="utf-8")
    (col / "feed.jsonl").write_text("[" * 200_000 + '\n{"id": "ok", "text": "Harga beras naik lagi."}\n',
                                    encoding="utf-8")
    report, problems = build([col], tmp_path / "index", embedder)
    assert problems == [f"{col / 'deep.json'}: JSON nested too deeply to read; skipped",
                        f"{col / 'feed.jsonl'}:1: JSON nested too deeply to read; line skipped"]
    assert report.skipped == 2
    assert list(records(tmp_path / "index")) == [f"{col / 'feed.jsonl'}#ok"]


def test_lone_surrogates_in_json_become_replacement_characters(tmp_path, embedder):
    col = tmp_path / "col"
    col.mkdir()
    (col / "feed.jsonl").write_text('{"id": "s\\udc00", "title": "Banjir \\ud800", '
                                    '"text": "Harga beras \\ud800 naik lagi."}\n', encoding="utf-8")
    report, problems = build([col], tmp_path / "index", embedder)
    assert problems == []
    (record,) = records(tmp_path / "index").values()
    assert (record["id"], record["title"]) == (f"{col / 'feed.jsonl'}#s\ufffd", "Banjir \ufffd")


def test_a_file_name_that_is_not_utf8_is_named_and_skipped(tmp_path, embedder):
    col = tmp_path / "col"
    col.mkdir()
    (col / "ok.txt").write_text("Banjir di Jakarta\n\nHujan deras.", encoding="utf-8")
    with open(os.fsencode(col) + b"/caf\xe9.txt", "wb") as out:
        out.write(b"Kafe baru dibuka di Bandung.")
    report, problems = build([col], tmp_path / "index", embedder)
    assert problems == [f"'{col}/caf\\udce9.txt': file name is not valid UTF-8; skipped"]
    assert report.skipped == 1
    assert list(records(tmp_path / "index")) == [str(col / "ok.txt")]


def test_files_under_a_folder_that_could_not_be_read_are_not_pruned(tmp_path, embedder, monkeypatch):
    col = tmp_path / "col"
    (col / "sub").mkdir(parents=True)
    (col / "a.txt").write_text("Banjir di Jakarta\n\nHujan deras.", encoding="utf-8")
    (col / "sub" / "b.txt").write_text("Gempa di Palu\n\nGempa bumi.", encoding="utf-8")
    build([col], tmp_path / "index", embedder)
    scandir = os.scandir

    def refusing(path="."):
        if os.fspath(path) == str(col / "sub"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    report, problems = build([col], tmp_path / "index", embedder)
    assert problems == [f"{col / 'sub'}: Permission denied; skipped"]
    assert report.removed_ids == []
    assert sorted(records(tmp_path / "index")) == [str(col / "a.txt"), str(col / "sub" / "b.txt")]


def test_a_file_reached_through_a_symlinked_folder_is_pruned_when_deleted(tmp_path, embedder):
    col, elsewhere = tmp_path / "col", tmp_path / "elsewhere"
    col.mkdir()
    elsewhere.mkdir()
    (col / "a.txt").write_text("Banjir di Jakarta\n\nHujan deras.", encoding="utf-8")
    (elsewhere / "b.txt").write_text("Gempa di Palu\n\nGempa bumi.", encoding="utf-8")
    (elsewhere / "c.txt").write_text("Harga beras naik\n\nLagi.", encoding="utf-8")
    (col / "link").symlink_to(elsewhere, target_is_directory=True)
    other = tmp_path / "other"  # another root: a run over col never removes its documents
    other.mkdir()
    (other / "d.txt").write_text("Pemilu di Surabaya\n\nWarga memilih.", encoding="utf-8")
    build([col, other], tmp_path / "index", embedder)
    (elsewhere / "b.txt").unlink()
    (other / "d.txt").unlink()
    report, problems = build([col], tmp_path / "index", embedder)
    assert problems == []
    assert report.removed_ids == [str(elsewhere / "b.txt")]
    assert sorted(records(tmp_path / "index")) == [str(col / "a.txt"), str(elsewhere / "c.txt"),
                                                  str(other / "d.txt")]


def test_lines_appended_while_a_file_is_read_are_indexed_next_run(tmp_path, embedder, monkeypatch):
    from index.reading import documents

    col = tmp_path / "col"
    col.mkdir()
    feed = col / "feed.jsonl"
    feed.write_text('{"id": "f1", "text": "Harga beras naik lagi."}\n', encoding="utf-8")
    read_jsonl = documents.READERS[".jsonl"]

    def read_while_a_scraper_appends(content, path, on_error):
        yield from read_jsonl(content, path, on_error)
        with open(path, "a", encoding="utf-8") as out:
            out.write('{"id": "f2", "text": "Rice exports fell in May."}\n')

    monkeypatch.setitem(documents.READERS, ".jsonl", read_while_a_scraper_appends)
    build([col], tmp_path / "index", embedder)
    assert list(records(tmp_path / "index")) == [f"{feed}#f1"]
    monkeypatch.undo()
    report, _ = build([col], tmp_path / "index", embedder)
    assert report.added_ids == [f"{feed}#f2"]
    assert sorted(records(tmp_path / "index")) == [f"{feed}#f1", f"{feed}#f2"]


@pytest.mark.parametrize("command", ["index", "add"])
def test_an_empty_path_is_a_usage_error(command, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from conftest import run

    (tmp_path / "a.txt").write_text("Banjir di Jakarta\n\nHujan deras.", encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # Path("") is this folder: it must not be indexed
    result = run(CliRunner(), command, "", "--index", tmp_path / "index")
    assert result.exit_code == 2
    assert "an empty path names no file or folder" in result.stderr
    assert not (tmp_path / "index").exists()


def test_eval_prints_its_metrics_then_names_a_run_file_it_cannot_write(task, tmp_path):
    from typer.testing import CliRunner

    from conftest import run

    missing = tmp_path / "no-such-folder" / "run.txt"
    result = run(CliRunner(), "eval", task, "--index", tmp_path / "ix", "--mode", "keyword", "--run", missing)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "tiny-task: 2 queries, 4 documents"
    assert result.stdout.splitlines()[2].split()[0] == "keyword"
    assert result.stderr.splitlines()[-1] == (f"Error: cannot write the run file {missing} (No such file or "
                                              f"directory); give --run a file in a folder that exists and can "
                                              f"be written")


def test_a_hidden_file_added_on_purpose_stays_a_root_and_is_not_pruned(tmp_path, embedder):
    arc = tmp_path / "arc"
    (arc / ".drafts").mkdir(parents=True)
    (arc / "a.txt").write_text("Banjir di Jakarta\n\nHujan deras.", encoding="utf-8")
    (arc / ".drafts" / "d.txt").write_text("Gempa di Palu\n\nGempa bumi.", encoding="utf-8")
    build([arc], tmp_path / "index", embedder)
    report, _ = build([arc / ".drafts" / "d.txt"], tmp_path / "index", embedder, prune=False)  # lintas add
    assert report.roots == [str(arc), str(arc / ".drafts" / "d.txt")]
    for paths in (None, [arc]):  # lintas index; lintas index arc
        report, problems = build(paths, tmp_path / "index", embedder)
        assert (problems, report.removed_ids) == ([], [])
        assert sorted(records(tmp_path / "index")) == [str(arc / ".drafts" / "d.txt"), str(arc / "a.txt")]
    (arc / ".drafts" / "d.txt").unlink()  # gone: the run over its own root removes it
    report, _ = build([arc / ".drafts"], tmp_path / "index", embedder)
    assert report.removed_ids == [str(arc / ".drafts" / "d.txt")]


def test_an_explicit_id_that_spells_an_unchanged_documents_id_is_named_and_skipped(tmp_path, embedder):
    col = tmp_path / "col"
    col.mkdir()
    (col / "feed.jsonl#x.txt").write_text("Gempa di Palu\n\nGempa bumi mengguncang Palu.", encoding="utf-8")
    build([col], tmp_path / "index", embedder)
    (col / "feed.jsonl").write_text('{"id": "x.txt", "text": "Harga beras naik lagi."}\n', encoding="utf-8")
    report, problems = build([col], tmp_path / "index", embedder)  # the .txt file is not read again
    taken = f"{col / 'feed.jsonl'}#x.txt"
    assert problems == [f"{col / 'feed.jsonl'}:1: id {taken!r} is already the id of {col / 'feed.jsonl#x.txt'}; "
                        f"skipped"]
    assert (report.skipped, report.added_ids, report.changed_ids) == (1, [], [])
    assert [rec["path"] for rec in records(tmp_path / "index").values()] == [str(col / "feed.jsonl#x.txt")]


def test_remove_on_a_missing_index_says_so_and_makes_nothing(tmp_path):
    from index.storage.builder import remove_documents
    from index.errors import IndexNotFound

    with pytest.raises(IndexNotFound, match="no index at"):
        remove_documents(tmp_path / "missing", ["x.txt"])
    assert not (tmp_path / "missing").exists()  # the writer lock's folder and LOCK file were made first
