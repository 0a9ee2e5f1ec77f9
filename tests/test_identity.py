"""A document's identity is where it came from; the index records what it was built from.

Library tests with the fake embedder (ids and roots, not ranking). They run inside the
archive folder, so ids read as people see them (index.reading.ids.display_id).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import make_format_2
from fakes import FakeEmbedder
from index.storage import store
from index.storage.builder import add_documents, build_index, remove_documents
from index.reading.documents import read_documents
from index.embedding.engine import VectorCache
from index.errors import (AmbiguousId, DocumentError, DocumentNotFound, IndexMismatch, InputError, RootsError,
                          UnknownDocuments)
from index.reading.ids import DocumentIds, display_id
from search.reader import IndexReader


@pytest.fixture
def archive(tmp_path, monkeypatch) -> Path:
    """The issue's archive: two news folders with a file of the same name each."""
    root = tmp_path / "archive"
    write(root / "a" / "kompas" / "2020-09-14.txt", "Banjir Jakarta\nHujan deras merendam Jakarta Utara.")
    write(root / "b" / "detik" / "2020-09-14.txt", "Kebakaran Riau\nAsap menutupi Pekanbaru.")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def build(paths, index_dir: Path, embedder: FakeEmbedder, **options):
    cache = VectorCache(embedder, Path(os.environ["LINTAS_CACHE"]) / f"fake-{id(embedder)}.sqlite")
    return build_index(None if paths is None else [Path(p) for p in paths], index_dir, embedder,
                       cache=cache, **options)


def names(index_dir: Path) -> list[str]:
    return sorted(display_id(doc.id) for doc in IndexReader(index_dir).docs)


def roots(index_dir: Path) -> list[str]:
    return store.read_manifest(store.current_generation(index_dir)).roots


def shown(ids: list[str]) -> list[str]:
    return [display_id(doc_id) for doc_id in ids]


# --- ids


def test_same_named_files_in_two_folders_are_two_documents(archive, tmp_path, embedder):
    index_dir = tmp_path / "ix"
    first = build(["a/kompas"], index_dir, embedder)
    second = build(["b/detik"], index_dir, embedder)
    assert shown(first.added_ids) == ["a/kompas/2020-09-14.txt"]
    assert (shown(second.added_ids), second.changed, second.removed, second.unchanged) == (
        ["b/detik/2020-09-14.txt"], 0, 0, 1)
    assert names(index_dir) == ["a/kompas/2020-09-14.txt", "b/detik/2020-09-14.txt"]
    assert [doc.id for doc in IndexReader(index_dir).docs][0] == str(archive / "a" / "kompas" / "2020-09-14.txt")


def test_one_run_over_two_folders_with_the_same_names_keeps_both(archive, tmp_path, embedder):
    report = build(["a", "b"], tmp_path / "ix", embedder)
    assert (shown(report.added_ids), report.problems) == (["a/kompas/2020-09-14.txt", "b/detik/2020-09-14.txt"], [])


def test_add_never_replaces_a_document_from_another_file(archive, tmp_path, embedder):
    index_dir = tmp_path / "ix"
    write(archive / "good.txt", "Gempa Palu\nGempa bumi mengguncang Palu.")
    write(archive / "other" / "good.txt", "Pasar Baru\nPasar Baru ramai pembeli.")
    build(["good.txt"], index_dir, embedder)
    report = add_documents([Path("other/good.txt")], index_dir, embedder)
    assert (shown(report.added_ids), report.changed, report.removed) == (["other/good.txt"], 0, 0)
    assert names(index_dir) == ["good.txt", "other/good.txt"]


def test_explicit_ids_are_scoped_to_their_file(archive, tmp_path, embedder):
    write(archive / "feed.jsonl", '{"id": "k1", "text": "Satu."}\n{"text": "Dua."}\n')
    write(archive / "more.jsonl", '{"id": "k1", "text": "Tiga."}\n')
    report = build(["feed.jsonl", "more.jsonl"], tmp_path / "ix", embedder)
    assert (shown(report.added_ids), report.problems) == (["feed.jsonl#k1", "feed.jsonl:2", "more.jsonl#k1"], [])
    docs = {display_id(doc.id): (doc.file, doc.key) for doc in IndexReader(tmp_path / "ix").docs}
    assert docs["feed.jsonl#k1"] == (str(archive / "feed.jsonl"), "k1")
    assert docs["feed.jsonl:2"] == (str(archive / "feed.jsonl"), None)


@pytest.mark.parametrize("name, content, message", [
    ("feed.jsonl", '{"id": "k1", "text": "Satu."}\n{"id": "k2", "text": "Dua."}\n{"id": "k1", "text": "Tiga."}\n',
     "feed.jsonl:3: id 'k1' already used at line 1 of this file; line skipped"),
    ("feed.csv", 'id,text\nk1,Satu.\nk2,Dua.\nk1,Tiga.\n',
     "feed.csv:4: id 'k1' already used at line 2 of this file; row skipped"),
    ("feed.json", '[{"id": "k1", "text": "Satu."}, {"id": "k2", "text": "Dua."}, {"id": "k1", "text": "Tiga."}]',
     "feed.json:3: id 'k1' already used at element 1 of this file; element skipped"),
])
def test_the_same_explicit_id_twice_in_one_file_keeps_the_first_and_says_so(archive, name, content, message):
    write(archive / name, content)
    problems: list[DocumentError] = []
    docs = list(read_documents([Path(name)], on_error=problems.append))
    assert [(doc.key, doc.text) for doc in docs] == [("k1", "Satu."), ("k2", "Dua.")]
    assert [str(problem) for problem in problems] == [message]


def test_ids_name_files_and_lines_resolved(archive):
    write(archive / "feed.jsonl", '{"id": "k1", "text": "Satu."}\n\n{"text": "Dua."}\n')
    (archive / "link").symlink_to(archive / "a")
    docs = list(read_documents([Path("feed.jsonl"), Path("link")]))
    assert [(doc.id, doc.path, doc.file, doc.key) for doc in docs] == [
        (f"{archive}/feed.jsonl#k1", f"{archive}/feed.jsonl:1", f"{archive}/feed.jsonl", "k1"),
        (f"{archive}/feed.jsonl:3", f"{archive}/feed.jsonl:3", f"{archive}/feed.jsonl", None),
        (f"{archive}/a/kompas/2020-09-14.txt",) * 3 + (None,),  # the file behind the link
    ]


def test_display_id_is_relative_below_the_folder_else_absolute(archive):
    assert display_id(f"{archive}/a/kompas/x.txt") == "a/kompas/x.txt"
    assert display_id(f"{archive}/feed.jsonl#k1", archive / "a") == f"{archive}/feed.jsonl#k1"
    assert display_id(f"{archive}2/x.txt") == f"{archive}2/x.txt"  # a sibling folder, not below


# --- naming a document (show, remove)


@pytest.fixture
def table(archive) -> DocumentIds:
    feed, more, kompas = archive / "feed.jsonl", archive / "more.jsonl", archive / "a" / "kompas" / "2020-09-14.txt"
    return DocumentIds([
        (f"{feed}#k1", str(feed), "k1", f"{feed}:1"), (f"{feed}:2", str(feed), None, f"{feed}:2"),
        (f"{feed}#k9", str(feed), "k9", f"{feed}:3"), (f"{more}#k1", str(more), "k1", f"{more}:1"),
        (str(kompas), str(kompas), None, str(kompas)),
    ])


@pytest.mark.parametrize("typed, wanted", [
    ("{archive}/feed.jsonl#k1", "feed.jsonl#k1"),  # the exact id
    ("a/kompas/2020-09-14.txt", "a/kompas/2020-09-14.txt"),  # a path relative to the current folder
    ("./a/../a/kompas/2020-09-14.txt", "a/kompas/2020-09-14.txt"),
    ("{archive}/a/kompas/2020-09-14.txt", "a/kompas/2020-09-14.txt"),
    ("feed.jsonl#k1", "feed.jsonl#k1"),  # a path with #ID
    ("feed.jsonl:2", "feed.jsonl:2"),  # a path with :LINE
    ("feed.jsonl:3", "feed.jsonl#k9"),  # :LINE of a line with an explicit id
    ("k9", "feed.jsonl#k9"),  # an explicit id only one file uses
])
def test_a_document_is_named_by_id_path_line_or_explicit_id(table, archive, typed, wanted):
    assert display_id(table.resolve(typed.format(archive=archive))) == wanted


def test_a_path_is_resolved_against_the_given_folder(table, archive):
    assert display_id(table.resolve("kompas/2020-09-14.txt", archive / "a")) == "a/kompas/2020-09-14.txt"


def test_an_explicit_id_of_two_files_is_ambiguous_and_an_unknown_one_not_found(table):
    with pytest.raises(AmbiguousId) as ambiguous:
        table.resolve("k1")
    assert str(ambiguous.value) == "2 documents have id 'k1': feed.jsonl#k1, more.jsonl#k1; name one of them"
    for typed in ("k2", "feed.jsonl:4", "feed.jsonl#k2", "nope.txt", "2020-09-14"):
        with pytest.raises(DocumentNotFound):
            table.resolve(typed)


def test_remove_takes_paths_and_explicit_ids_and_refuses_ambiguous_ones(archive, tmp_path, embedder):
    index_dir = tmp_path / "ix"
    write(archive / "feed.jsonl", '{"id": "k1", "text": "Satu."}\n{"id": "k2", "text": "Dua."}\n')
    write(archive / "more.jsonl", '{"id": "k1", "text": "Tiga."}\n')
    build(["a", "feed.jsonl", "more.jsonl"], index_dir, embedder)
    generation = store.current_generation(index_dir)
    with pytest.raises(AmbiguousId):
        remove_documents(index_dir, ["k1"])
    with pytest.raises(UnknownDocuments, match="no document with id 'k3'"):
        remove_documents(index_dir, ["k2", "k3"])
    assert store.current_generation(index_dir) == generation
    report = remove_documents(index_dir, ["k2", "more.jsonl#k1", f"{archive}/a/kompas/2020-09-14.txt"])
    assert shown(report.removed_ids) == ["feed.jsonl#k2", "more.jsonl#k1", "a/kompas/2020-09-14.txt"]
    assert names(index_dir) == ["feed.jsonl#k1"]
    # more.jsonl, a root given by name, has no document left: it is no longer a root; a/ stays
    assert roots(index_dir) == [str(archive / "a"), str(archive / "feed.jsonl")]


# --- roots


def test_the_index_records_its_roots_and_a_run_without_paths_reads_them_again(archive, tmp_path, embedder,
                                                                               monkeypatch):
    index_dir = tmp_path / "ix"
    write(archive / "single.txt", "Kopi Gayo\nPetani kopi Gayo panen raya.")
    build(["a/kompas"], index_dir, embedder)
    build(["b"], index_dir, embedder)
    add_documents([Path("single.txt")], index_dir, embedder)
    assert roots(index_dir) == [str(archive / "a" / "kompas"), str(archive / "b"), str(archive / "single.txt")]
    write(archive / "a" / "kompas" / "2020-09-15.txt", "Banjir susulan\nBanjir lagi di Jakarta.")
    write(archive / "single.txt", "Kopi Gayo\nHarga kopi Gayo naik.")
    (archive / "b" / "detik" / "2020-09-14.txt").unlink()
    monkeypatch.chdir(tmp_path)  # wherever it runs from: the roots, not seeds/ of the current folder
    report = build(None, index_dir, embedder)
    monkeypatch.chdir(archive)
    assert (shown(report.added_ids), shown(report.changed_ids), shown(report.removed_ids), report.unchanged) == (
        ["a/kompas/2020-09-15.txt"], ["single.txt"], ["b/detik/2020-09-14.txt"], 1)
    assert roots(index_dir) == [str(archive / "a" / "kompas"), str(archive / "b"), str(archive / "single.txt")]


def test_a_root_inside_another_is_not_recorded_twice(archive, tmp_path, embedder):
    index_dir = tmp_path / "ix"
    build(["a/kompas"], index_dir, embedder)
    build(["a"], index_dir, embedder)
    assert roots(index_dir) == [str(archive / "a")]
    report = build(["a/kompas"], index_dir, embedder)
    assert (roots(index_dir), report.unchanged, report.added) == ([str(archive / "a")], 1, 0)


def test_a_run_over_one_folder_leaves_the_documents_of_another_alone(archive, tmp_path, embedder):
    index_dir = tmp_path / "ix"
    build(["a", "b"], index_dir, embedder)
    (archive / "b" / "detik" / "2020-09-14.txt").rename(archive / "moved.txt")  # b's file gone (unmounted, say)
    report = build(["a"], index_dir, embedder)
    assert (report.removed, names(index_dir)) == (0, ["a/kompas/2020-09-14.txt", "b/detik/2020-09-14.txt"])


def test_a_recorded_root_that_is_gone_stops_a_run_without_paths(archive, tmp_path, embedder):
    index_dir = tmp_path / "ix"
    build(["a", "b"], index_dir, embedder)
    generation = store.current_generation(index_dir)
    (archive / "b" / "detik" / "2020-09-14.txt").unlink()
    (archive / "b" / "detik").rmdir()
    (archive / "b").rmdir()
    for rebuild in (False, True):
        with pytest.raises(RootsError) as error:
            build(None, index_dir, embedder, rebuild=rebuild)
        assert str(error.value) == (
            f"the index at {index_dir} was built from {archive / 'b'}, which no longer exists; nothing was "
            f"changed. Restore it, or make the index hold only what is still there: "
            f"lintas index --rebuild {archive / 'a'}")
        assert store.current_generation(index_dir) == generation


def test_rebuild_with_paths_makes_them_the_roots_and_reports_what_it_drops(archive, tmp_path, embedder):
    index_dir = tmp_path / "ix"
    write(archive / "a" / "tempo" / "x.txt", "Harga beras\nHarga beras naik lagi.")
    build(["a", "b"], index_dir, embedder)
    write(archive / "a" / "kompas" / "2020-09-14.txt", "Banjir Jakarta\nAir mulai surut.")
    report = build(["a/kompas"], index_dir, embedder, rebuild=True)
    assert (shown(report.added_ids), shown(report.changed_ids), shown(report.removed_ids), report.unchanged) == (
        [], ["a/kompas/2020-09-14.txt"], ["a/tempo/x.txt", "b/detik/2020-09-14.txt"], 0)
    assert roots(index_dir) == [str(archive / "a" / "kompas")]
    again = build(None, index_dir, embedder, rebuild=True)  # without paths: the recorded roots
    assert (again.added, again.changed, again.removed, again.unchanged, again.documents) == (0, 0, 0, 1, 1)


def test_no_index_and_no_paths_is_an_error(tmp_path, embedder):
    with pytest.raises(RootsError, match=f"no index at {tmp_path / 'ix'} and no paths given; run lintas index PATHS"):
        build(None, tmp_path / "ix", embedder)


def test_an_older_format_says_so_and_rebuild_reads_the_files_it_names_embedding_nothing(archive, tmp_path, embedder):
    index_dir = tmp_path / "ix"
    write(archive / "feed.jsonl", '{"id": "k1", "text": "Satu berita."}\n')
    build(["a", "b", "feed.jsonl"], index_dir, embedder)
    make_format_2(index_dir)
    with pytest.raises(IndexMismatch, match=f"index at {index_dir} has format 2, this lintas reads "
                                            f"{store.FORMATS_READ}; run lintas index --rebuild"):
        build(["a"], index_dir, embedder)
    with pytest.raises(IndexMismatch, match="has format 2"):
        IndexReader(index_dir)
    (archive / "b" / "detik" / "2020-09-14.txt").unlink()
    embedded = embedder.passages_embedded
    problems: list[DocumentError] = []
    report = build(None, index_dir, embedder, rebuild=True, on_error=problems.append)
    assert embedder.passages_embedded == embedded  # every text's vector came from the cache
    assert report.upgraded_from == 2
    assert (shown(report.added_ids), report.removed_ids) == (["a/kompas/2020-09-14.txt", "feed.jsonl#k1"],
                                                             ["detik/2020-09-14"])  # an id of the old format
    assert [str(p) for p in problems] == [f"{archive}/b/detik/2020-09-14.txt: named by the index, but no longer "
                                          f"there; left out"]
    assert names(index_dir) == ["a/kompas/2020-09-14.txt", "feed.jsonl#k1"]
    assert roots(index_dir) == [str(archive / "a" / "kompas" / "2020-09-14.txt"), str(archive / "feed.jsonl")]


# --- inputs


def test_a_path_given_by_name_must_exist_and_be_of_a_type_read(archive, tmp_path, embedder):
    index_dir = tmp_path / "ix"
    build(["a"], index_dir, embedder)
    generation = store.current_generation(index_dir)
    write(archive / "x.pdf", "%PDF-1.4")
    write(archive / "README", "notes")
    cases = {"archiv": "archiv: no such file or folder; nothing was indexed",
             "x.pdf": "x.pdf: lintas does not read .pdf files; it reads .txt, .md, .json, .jsonl, .csv, .html, "
                      ".htm (and folders of them); nothing was indexed",
             "README": "README: lintas does not read files without a suffix; it reads .txt, .md, .json, .jsonl, "
                       ".csv, .html, .htm (and folders of them); nothing was indexed"}
    for path, message in cases.items():
        for run in (build, add_documents):
            with pytest.raises(InputError) as error:
                run(["b", path] if run is build else [Path(path)], index_dir, embedder)
            assert str(error.value) == message
    assert store.current_generation(index_dir) == generation


def test_files_of_other_types_in_a_folder_are_counted_hidden_ones_are_not_read(archive, tmp_path, embedder):
    for name in ("x.pdf", "y.PDF", "z.docx", "NOTES", ".hidden.txt", ".git/HEAD", ".git/notes.txt", "sub/.cache/c.md"):
        write(archive / "a" / name, "Judul\nIsi.")
    report = build(["a"], tmp_path / "ix", embedder)
    assert report.other_types == {".docx": 1, ".pdf": 2, "no suffix": 1}
    assert names(tmp_path / "ix") == ["a/kompas/2020-09-14.txt"]


def test_json_holds_one_article_or_an_array_of_them(archive):
    feeds = archive / "feeds"
    write(feeds / "one.json", json.dumps({"id": "j1", "title": "Satu", "text": "Berita satu.", "date": "2020-09-14",
                                          "url": "https://www.kompas.com/a", "author": "Ani"}))
    write(feeds / "plain.json", json.dumps({"text": "Berita tanpa id."}))
    write(feeds / "many.json", json.dumps([{"title": "Dua", "text": "Berita dua."}, {"title": "no text"}, 7,
                                           {"id": "j3", "text": "Berita tiga.", "source": "Tempo"}]))
    write(feeds / "bad.json", '[{"text": "a"}\n, oops]')
    write(feeds / "number.json", "42")
    problems: list[DocumentError] = []
    docs = list(read_documents([Path("feeds")], on_error=problems.append))
    assert [(display_id(d.id), d.title, d.date, d.source, d.author) for d in docs] == [
        ("feeds/many.json:1", "Dua", None, "feeds", None),
        ("feeds/many.json#j3", "Berita tiga.", None, "tempo", None),
        ("feeds/one.json#j1", "Satu", "2020-09-14", "kompas.com", "Ani"),
        ("feeds/plain.json", "Berita tanpa id.", None, "feeds", None),
    ]
    assert [str(p) for p in problems] == [
        "feeds/bad.json: invalid JSON (Expecting value: line 2 column 3); skipped",
        "feeds/many.json: element 2 is not an object with a 'text' string; element skipped",
        "feeds/many.json: element 3 is not an object with a 'text' string; element skipped",
        "feeds/number.json: not an article object or an array of them; skipped",
    ]
