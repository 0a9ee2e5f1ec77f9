"""A real archive through the CLI: the commands of issue 11, their exact output and exit codes.

Each test works in its own folder (the current folder, so ids print relative to it) with tiny
articles and the bundled model.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import make_format_2, run, run_json
from index.storage import store
from index.reading.readers import READERS


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """The issue's archive: a/kompas/2020-09-14.txt and b/detik/2020-09-14.txt, in the current folder."""
    write(tmp_path / "a" / "kompas" / "2020-09-14.txt", "Banjir Jakarta\nHujan deras merendam Jakarta Utara.")
    write(tmp_path / "b" / "detik" / "2020-09-14.txt", "Kebakaran Riau\nAsap menutupi Pekanbaru.")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LINTAS_INDEX", str(tmp_path / "ix"))
    return tmp_path


KEPT_OUT = "(they stay out of later updates and rebuilds; lintas add ID brings one back)\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def lintas(runner, *args: str, code: int = 0) -> str:
    """stderr of a run that must end with ``code``, its timing replaced by T."""
    result = run(runner, *args)
    assert result.exit_code == code, result.stderr
    return re.sub(r"; \d+\.\d s → ", "; T s → ", result.stderr)


def summary(documents: str, changes: str, index_dir: Path, *listed: str) -> str:
    return f"Indexed {documents}: {changes}; T s → {index_dir}\n" + "".join(f"  {line}\n" for line in listed)


def live(index_dir: Path) -> str:
    return (index_dir / store.CURRENT).read_text()


def test_same_named_files_in_two_folders_are_both_kept(runner, here):
    ix = here / "ix"
    assert lintas(runner, "index", "a/kompas") == summary(
        "1 document (languages: id 1), 1 passage", "1 added, 0 changed, 0 removed, 0 unchanged", ix,
        "added: a/kompas/2020-09-14.txt")
    assert lintas(runner, "index", "b/detik") == summary(
        "2 documents (languages: id 2), 2 passages", "1 added, 0 changed, 0 removed, 1 unchanged", ix,
        "added: b/detik/2020-09-14.txt")
    hits = run_json(runner, "search", "banjir Jakarta", "-k", "1")
    assert [hit["id"] for hit in hits] == [str(here / "a" / "kompas" / "2020-09-14.txt")]
    assert lintas(runner, "index", "a/kompas", "b/detik", "--index", here / "ix2") == summary(
        "2 documents (languages: id 2), 2 passages", "2 added, 0 changed, 0 removed, 0 unchanged", here / "ix2",
        "added: a/kompas/2020-09-14.txt, b/detik/2020-09-14.txt")


def test_add_of_a_same_named_file_adds_it(runner, here):
    write(here / "good.txt", "Gempa Palu\nGempa bumi mengguncang Palu.")
    write(here / "other" / "good.txt", "Pasar Baru\nPasar Baru ramai pembeli.")
    lintas(runner, "add", "good.txt")
    assert lintas(runner, "add", "other/good.txt") == summary(
        "2 documents (languages: id 2), 2 passages", "1 added, 0 changed, 0 removed, 1 unchanged", here / "ix",
        "added: other/good.txt")
    assert run_json(runner, "show", "good.txt")["title"] == "Gempa Palu"
    assert run_json(runner, "show", "other/good.txt")["title"] == "Pasar Baru"


def test_info_lists_the_roots_and_index_without_paths_reads_them_not_seeds(runner, here, monkeypatch):
    lintas(runner, "index", "a")
    write(here / "single.txt", "Kopi Gayo\nPetani kopi di dataran tinggi Gayo sedang panen raya tahun ini.")
    lintas(runner, "add", "single.txt")
    info = run(runner, "info").stdout
    assert f"roots:\n  {here / 'a'}\n  {here / 'single.txt'}\ndocuments in id: 2\n" in info
    elsewhere = here / "elsewhere"
    write(elsewhere / "seeds" / "x.txt", "Bukan arsip\nIni tidak boleh masuk indeks.")
    write(here / "a" / "baru.txt", "Kereta cepat\nKereta cepat Bandung beroperasi.")
    monkeypatch.chdir(elsewhere)
    assert lintas(runner, "index") == summary(
        "3 documents (languages: id 3), 3 passages", "1 added, 0 changed, 0 removed, 2 unchanged", here / "ix",
        f"added: {here / 'a' / 'baru.txt'}")


def test_no_index_and_no_paths(runner, here, monkeypatch):
    result = run(runner, "index")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: no paths given, no index at {here / 'ix'} to read again, and no seeds/ "
                             f"folder here; nothing was indexed. Run lintas index PATHS (files or folders)\n")
    assert not (here / "ix").exists()
    write(here / "seeds" / "s.txt", "Banjir di Jakarta\nHujan deras membuat banjir di Jakarta Utara.")
    assert lintas(runner, "index") == summary(
        "1 document (languages: id 1), 1 passage", "1 added, 0 changed, 0 removed, 0 unchanged", here / "ix",
        "added: seeds/s.txt")


def test_a_recorded_root_that_is_gone(runner, here):
    lintas(runner, "index", "a", "b")
    before = live(here / "ix")
    (here / "b" / "detik" / "2020-09-14.txt").unlink()
    (here / "b" / "detik").rmdir()
    (here / "b").rmdir()
    assert lintas(runner, "index", code=1) == (
        f"Error: the index at {here / 'ix'} was built from {here / 'b'}, which no longer exists; nothing was "
        f"changed. Restore it, or make the index hold only what is still there: lintas index --rebuild "
        f"{here / 'a'}\n")
    assert live(here / "ix") == before
    assert lintas(runner, "index", "--rebuild", here / "a") == summary(
        "1 document (languages: id 1), 1 passage", "0 added, 0 changed, 1 removed, 1 unchanged", here / "ix",
        "removed: b/detik/2020-09-14.txt")
    assert lintas(runner, "index") == summary(
        "1 document (languages: id 1), 1 passage", "0 added, 0 changed, 0 removed, 1 unchanged", here / "ix")


def test_summary_names_the_first_changes_and_verbose_all(runner, here):
    for n in range(7):
        write(here / "c" / f"{n}.txt", f"Berita {n}\nKabar nomor {n} dari Medan.")
    assert lintas(runner, "index", "c") == summary(
        "7 documents (languages: id 7), 7 passages", "7 added, 0 changed, 0 removed, 0 unchanged", here / "ix",
        "added: c/0.txt, c/1.txt, c/2.txt, c/3.txt, c/4.txt and 2 more (--verbose lists them)")
    for n in range(7):
        (here / "c" / f"{n}.txt").unlink()
    assert lintas(runner, "index", "c", "--verbose") == summary(
        "0 documents (languages: none), 0 passages", "0 added, 0 changed, 7 removed, 0 unchanged", here / "ix",
        "removed: c/0.txt, c/1.txt, c/2.txt, c/3.txt, c/4.txt, c/5.txt, c/6.txt")


def test_remove_and_show_take_paths_lines_and_explicit_ids(runner, here):
    write(here / "feed.jsonl", '{"id": "k1", "text": "Satu berita."}\n{"id": "k2", "text": "Dua berita gempa."}\n'
                               '{"id": "k1", "text": "Tiga berita."}\n')
    write(here / "more.jsonl", '{"id": "k1", "text": "Empat berita."}\n')
    assert lintas(runner, "index", "a", "feed.jsonl", "more.jsonl") == (
        f"warning: feed.jsonl:3: id 'k1' already used at line 1 of this file; line skipped\n"
        + summary("4 documents (languages: id 4), 4 passages", "4 added, 0 changed, 0 removed, 0 unchanged; 1 skipped "
                  "(see warnings)", here / "ix",
                  "added: a/kompas/2020-09-14.txt, feed.jsonl#k1, feed.jsonl#k2, more.jsonl#k1"))
    assert lintas(runner, "show", "k1", code=1) == (
        "Error: 2 documents have id 'k1': feed.jsonl#k1, more.jsonl#k1; name one of them\n")
    assert run_json(runner, "show", "feed.jsonl#k1")["text"] == "Satu berita."
    assert run_json(runner, "show", "feed.jsonl:2")["key"] == "k2"
    assert run_json(runner, "show", "k2")["id"] == f"{here}/feed.jsonl#k2"
    assert run_json(runner, "show", here / "a" / "kompas" / "2020-09-14.txt")["key"] is None
    hits = run_json(runner, "search", "gempa", "--mode", "keyword")
    assert [(hit["id"], hit["key"], hit["path"]) for hit in hits] == [(f"{here}/feed.jsonl#k2", "k2", f"{here}/feed.jsonl:2")]
    exported = [json.loads(line) for line in run(runner, "export", "--no-vectors").stdout.splitlines()[1:]]
    assert sorted((doc["id"], doc["key"]) for doc in exported) == [
        (f"{here}/a/kompas/2020-09-14.txt", None), (f"{here}/feed.jsonl#k1", "k1"), (f"{here}/feed.jsonl#k2", "k2"),
        (f"{here}/more.jsonl#k1", "k1")]
    assert lintas(runner, "remove", "k1", code=1) == (
        "Error: 2 documents have id 'k1': feed.jsonl#k1, more.jsonl#k1; name one of them\n")
    assert lintas(runner, "remove", "more.jsonl#k1", "k2", "a/kompas/2020-09-14.txt") == (
        f"Removed 3 documents; 1 left → {here / 'ix'}\n"
        f"  removed: more.jsonl#k1, feed.jsonl#k2, a/kompas/2020-09-14.txt\n{KEPT_OUT}")
    info = run(runner, "info").stdout  # more.jsonl has no document left: no longer a root
    assert f"roots:\n  {here / 'a'}\n  {here / 'feed.jsonl'}\ndocuments" in info
    assert lintas(runner, "remove", "k1") == f"Removed 1 document; 0 left → {here / 'ix'}\n  removed: feed.jsonl#k1\n{KEPT_OUT}"
    assert f"roots:\n  {here / 'a'}\n" in run(runner, "info").stdout  # a folder stays a root


def test_a_file_given_by_name_of_a_type_not_read_or_missing_is_an_error(runner, here):
    lintas(runner, "index", "a")
    before = live(here / "ix")
    write(here / "x.pdf", "%PDF-1.4")
    write(here / "x.rtf", r"{\rtf1 x}")
    reads = ".txt, .md, .json, .jsonl, .csv, .html, .htm (and folders of them); nothing was indexed\n"
    for command in ("index", "add"):
        assert lintas(runner, command, "x.pdf", code=1) == f"Error: x.pdf: lintas does not read .pdf files; it reads {reads}"
        assert lintas(runner, command, "b", "x.rtf", code=1) == (
            f"Error: x.rtf: lintas does not read .rtf files; it reads {reads}")
    assert lintas(runner, "index", "archiv", code=1) == "Error: archiv: no such file or folder; nothing was indexed\n"
    assert lintas(runner, "add", "nope.txt", code=1) == "Error: nope.txt: no such file or folder; nothing was indexed\n"
    assert live(here / "ix") == before


def test_json_by_name_and_other_types_in_a_folder(runner, here):
    write(here / "x.json", json.dumps([{"title": "Satu", "text": "Berita satu."}, {"title": "no text"}]))
    for name in ("p.pdf", "q.pdf", "r.docx", ".git/HEAD", ".DS_Store"):
        write(here / "a" / name, "x")
    assert lintas(runner, "add", "x.json") == (
        "warning: x.json: element 2 is not an object with a 'text' string; element skipped\n"
        + summary("1 document (languages: id 1), 1 passage", "1 added, 0 changed, 0 removed, 0 unchanged; 1 skipped "
                  "(see warnings)", here / "ix", "added: x.json:1"))
    assert lintas(runner, "index", "a") == summary(  # x.json is not read again: its skipped element is recalled
        "2 documents (languages: id 2), 2 passages", "1 added, 0 changed, 0 removed, 1 unchanged; 1 skipped (below)",
        here / "ix", "added: a/kompas/2020-09-14.txt") + (
        "Still skipped: 1 input of files unchanged since an earlier run: x.json (1) (lintas info lists them; a "
        "changed file is read again)\nSkipped 3 files of other types: .pdf 2, .docx 1\n")


@pytest.mark.parametrize("command", [["index", "a"], ["index"], ["add", "a/kompas/2020-09-14.txt"],
                                     ["remove", "x"], ["search", "banjir"], ["show", "x"], ["export"], ["info"],
                                     ["eval", "task"]])
def test_an_index_location_that_is_a_file_is_a_clear_error(runner, here, command):
    write(here / "FILE", "not an index")
    for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
        write(here / "task" / name, "")
    assert lintas(runner, *command, "--index", "FILE", code=1) == (
        "Error: the index location FILE is a file, not a folder; give a folder with --index (lintas creates "
        "it) or set LINTAS_INDEX\n")
    assert (here / "FILE").read_text() == "not an index"


def test_an_older_index_says_its_format_and_rebuild_without_paths_works(runner, here):
    lintas(runner, "index", "a", "b")
    make_format_2(here / "ix")
    expected = (f"Error: index at {here / 'ix'} has format 2, this lintas reads {store.FORMATS_READ}; "
                f"run lintas index --rebuild\n")
    assert lintas(runner, "search", "banjir", code=1) == expected
    assert lintas(runner, "index", "a", code=1) == expected
    assert lintas(runner, "index", "--rebuild") == (
        f"Indexed 2 documents (languages: id 2), 2 passages: 2 added, 0 changed, 0 removed, 0 unchanged; T s → {here / 'ix'}\n"
        f"(rebuilt from an index of format 2: documents now have new ids, where each came from)\n"
        f"(that index did not record its folders, so the 2 files it named are now what it is built from: "
        f"run lintas index FOLDER once, and new files in that folder are found from then on)\n"
        f"  added: a/kompas/2020-09-14.txt, b/detik/2020-09-14.txt\n")
    assert run_json(runner, "search", "banjir Jakarta", "-k", "1")[0]["id"] == str(here / "a/kompas/2020-09-14.txt")


def test_help_lists_the_inputs_really_read(runner):
    for command in ("index", "add"):
        text = " ".join(run(runner, command, "--help").stdout.split())
        assert ".txt, .md, .html, .htm, .json, .jsonl, .csv" in text, command
        assert "folders" in text
    assert sorted(".txt, .md, .html, .htm, .json, .jsonl, .csv".split(", ")) == sorted(READERS)


def ids_in(runner, index_dir: Path) -> list[str]:
    return sorted(doc["id"] for doc in run_json(runner, "search", "berita", "--mode", "keyword", "-k", "50",
                                                  "--index", index_dir))


def feed_line(key: str, text: str) -> str:
    return json.dumps({"id": key, "title": f"Berita {key}", "text": text}) + "\n"


def test_a_removed_article_stays_removed_until_added_again(runner, here):
    """Issue 19, item 1: removals survive updates of the file and rebuilds; `add` brings one back."""
    feed = here / "archive" / "feeds" / "news.jsonl"
    write(feed, feed_line("k1", "Berita banjir di Jakarta.") + feed_line("k2", "Berita gempa di Palu."))
    lintas(runner, "index", "archive")
    k1, k2 = str(feed) + "#k1", str(feed) + "#k2"
    assert lintas(runner, "remove", "archive/feeds/news.jsonl#k2") == (
        f"Removed 1 document; 1 left → {here / 'ix'}\n  removed: archive/feeds/news.jsonl#k2\n{KEPT_OUT}")
    with open(feed, "a", encoding="utf-8") as out:  # the scraper appends a line: the file is read again
        out.write(feed_line("k3", "Berita kopi dari Gayo."))
    assert lintas(runner, "index") == summary(
        "2 documents (languages: id 2), 2 passages", "1 added, 0 changed, 0 removed, 1 unchanged", here / "ix",
        "added: archive/feeds/news.jsonl#k3") + (
        "Left out 1 document removed earlier with lintas remove (lintas add ID brings one back)\n"
        "  left out: archive/feeds/news.jsonl#k2\n")
    assert ids_in(runner, here / "ix") == [k1, str(feed) + "#k3"]
    lintas(runner, "index", "--rebuild")
    assert ids_in(runner, here / "ix") == [k1, str(feed) + "#k3"]
    info = run(runner, "info").stdout
    assert "removed: 1 (kept out of every update; lintas add ID brings one back)\n" in info
    assert lintas(runner, "add", "archive/feeds/news.jsonl#k2") == summary(
        "3 documents (languages: id 3), 3 passages", "1 added, 0 changed, 0 removed, 2 unchanged", here / "ix",
        "added: archive/feeds/news.jsonl#k2")
    assert ids_in(runner, here / "ix") == sorted([k1, k2, str(feed) + "#k3"])
    assert "removed: 0\n" in run(runner, "info").stdout


def test_removing_a_file_removes_its_documents_and_adding_it_brings_them_back(runner, here):
    """Issue 19, item 2: a JSON file's path names all its documents."""
    scraped = write(here / "archive" / "feeds" / "scraped.json",
                    json.dumps([{"id": "a1", "text": "Berita satu dari Medan."},
                                {"id": "a3", "text": "Berita tiga dari Makassar."}]))
    lintas(runner, "index", "archive")
    assert lintas(runner, "remove", "archive/feeds/scraped.json") == (
        f"Removed 2 documents; 0 left → {here / 'ix'}\n"
        f"  removed: archive/feeds/scraped.json#a1, archive/feeds/scraped.json#a3\n{KEPT_OUT}")
    assert lintas(runner, "remove", "archive/feeds/scraped.json", code=1).startswith(
        "Error: no document with id 'archive/feeds/scraped.json'")
    lintas(runner, "index", "archive")
    assert ids_in(runner, here / "ix") == []
    lintas(runner, "add", "archive/feeds/scraped.json")
    assert ids_in(runner, here / "ix") == [str(scraped) + "#a1", str(scraped) + "#a3"]


def test_skipped_lines_of_an_unchanged_file_still_count_for_strict(runner, here):
    """Issue 19, item 3: an update that does not read a file again still reports its skipped lines."""
    feed = write(here / "archive" / "news.jsonl", feed_line("k1", "Berita banjir.") + "{not json\n")
    other = write(here / "archive" / "other.txt", "Berita lain\nBerita tentang kopi.")
    assert lintas(runner, "index", "archive", "--strict", code=1).endswith(
        "Error: 1 input(s) skipped and --strict given; the index was not changed\n")
    lintas(runner, "index", "archive")
    other.write_text("Berita lain\nBerita tentang kopi Gayo.", encoding="utf-8")  # news.jsonl unchanged
    assert lintas(runner, "index", "--strict", code=1) == (
        "Error: 1 input(s) skipped (1 of them in files unchanged since an earlier run) and --strict given; "
        "the index was not changed\n")
    out = lintas(runner, "index")
    assert "; 1 skipped (below); " in out
    assert ("Still skipped: 1 input of files unchanged since an earlier run: archive/news.jsonl (1) (lintas info "
            "lists them; a changed file is read again)\n") in out
    info = run(runner, "info").stdout
    assert "skipped inputs: 1 (in files not changed since; each line below)\n" in info
    assert "  archive/news.jsonl:2: " in info
    feed.write_text(feed_line("k1", "Berita banjir."), encoding="utf-8")  # mended: read again, nothing skipped
    assert " skipped " not in lintas(runner, "index", "--strict").replace(str(here), "HERE")
    assert "skipped inputs: 0\n" in run(runner, "info").stdout
