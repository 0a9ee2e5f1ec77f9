"""Naming a document with hostile text: a name of thousands of ':', a NUL, a bare id two files
use; each is answered (not found, or which ones) without a crash or a quadratic walk."""
from __future__ import annotations

import os

import pytest
from starlette.testclient import TestClient

from conftest import run
from index.errors import DocumentNotFound
from index.reading.ids import DocumentIds
from search.serving.server import create_app

MANY_COLONS = "/".join(["x:"] * 3000)  # 5,999 characters, 3,000 places a path could end


@pytest.fixture
def feed(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text('{"id": "k1", "text": "Satu."}\n', encoding="utf-8")
    return path


@pytest.fixture
def realpath_calls(monkeypatch) -> list[str]:
    """Every path os.path.realpath resolves while the test runs."""
    calls, realpath = [], os.path.realpath
    monkeypatch.setattr(os.path, "realpath", lambda path, **options: calls.append(path) or realpath(path, **options))
    return calls


def test_a_name_of_many_colons_resolves_no_path_that_is_not_a_file(feed, tmp_path, realpath_calls):
    long_key = "k" * 5000  # an explicit id past PATH_MAX still names its document
    table = DocumentIds([(f"{feed}#k1", str(feed), "k1", f"{feed}:1"),
                         (f"{feed}#{long_key}", str(feed), long_key, f"{feed}:2")])
    for name in (MANY_COLONS, "feed.jsonl" + ":x" * 3000):
        with pytest.raises(DocumentNotFound):
            table.resolve(name, tmp_path)
    assert realpath_calls == [str(feed)]  # feed.jsonl, the one prefix that is a file
    realpath_calls.clear()
    assert table.resolve("feed.jsonl#k1", tmp_path) == f"{feed}#k1"
    assert table.resolve(f"feed.jsonl#{long_key}", tmp_path) == f"{feed}#{long_key}"
    assert realpath_calls == [str(feed), str(feed)]


def test_an_indexed_file_gone_from_disk_is_still_named_by_its_path(feed, tmp_path):
    table = DocumentIds([(f"{feed}#k1", str(feed), "k1", f"{feed}:1")])
    feed.unlink()
    assert table.resolve("feed.jsonl:1", tmp_path) == f"{feed}#k1"


@pytest.mark.parametrize("name", ["\x00", "feed.jsonl\x00", "feed.jsonl#k1\x00", "\x00:1"])
def test_a_name_with_a_nul_is_not_found(feed, tmp_path, name):
    table = DocumentIds([(f"{feed}#k1", str(feed), "k1", f"{feed}:1")])
    with pytest.raises(DocumentNotFound) as missing:
        table.resolve(name, tmp_path)
    assert missing.value.doc_id == name


@pytest.fixture
def client(seeds_index) -> TestClient:
    return TestClient(create_app(seeds_index), raise_server_exceptions=False)


@pytest.mark.parametrize("name, shown", [("%00", "\x00"), ("a%00b", "a\x00b"), (MANY_COLONS, MANY_COLONS)])
def test_hostile_names_are_404_on_the_api_and_the_page(client, name, shown):
    answer = client.get(f"/api/doc/{name}")
    assert (answer.status_code, answer.json()) == (
        404, {"error": f"no document {shown!r} in the index; lintas search shows document ids"})
    page = client.get(f"/doc/{name}")
    assert page.status_code == 404 and "lintas search shows document ids" in page.text


def test_a_bare_id_two_files_use_is_409_naming_both(runner, seeds_index, tmp_path, monkeypatch):
    for name, text in (("a.jsonl", "Kopi Gayo dari Aceh."), ("b.jsonl", "Teh dari Jawa Barat.")):
        (tmp_path / name).write_text(f'{{"id": "k1", "text": "{text}"}}\n', encoding="utf-8")
    assert run(runner, "add", tmp_path / "a.jsonl", tmp_path / "b.jsonl", "--index", seeds_index).exit_code == 0
    monkeypatch.chdir(tmp_path)  # ids are shown relative to the current folder
    client = TestClient(create_app(seeds_index), raise_server_exceptions=False)
    message = "2 documents have id 'k1': a.jsonl#k1, b.jsonl#k1; name one of them"
    answer = client.get("/api/doc/k1")
    assert (answer.status_code, answer.json()) == (409, {"error": message})
    page = client.get("/doc/k1")
    assert page.status_code == 409 and message.replace("'", "&#39;") in page.text
    assert client.get("/api/doc/b.jsonl%23k1").json()["text"] == "Teh dari Jawa Barat."
