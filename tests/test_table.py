"""The document table's columns (index.storage.table): opening an index parses no record, and
an index written before the table gets the same table on its first open."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from conftest import SEEDS, run, run_json
from test_stories import STORIES
from index.storage import store, table
from index.storage.stories import story_groups
from search import reader as reader_module
from search.reader import Balance, IndexReader


def whole(index_dir):
    """Every fact a search reads of the table, worked out from the parsed records as before it."""
    folder = store.current_generation(index_dir)
    records = store.read_records(folder, store.read_manifest(folder))
    place = {rec["id"]: i for i, rec in enumerate(records)}
    links = [{place[o]: v for o, v in (rec.get("story") or {}).items() if o in place} for rec in records]
    return {"ids": [rec["id"] for rec in records], "langs": [rec["lang"] for rec in records],
            "dates": [rec.get("date") or "" for rec in records], "sources": [rec.get("source") or "" for rec in records],
            "counts": [len(rec["passages"]) for rec in records], "stories": story_groups(links)}


def read(reader: IndexReader) -> dict:
    return {"ids": [doc.id for doc in reader.docs], "langs": reader.langs.tolist(), "dates": reader.dates.tolist(),
            "sources": reader.sources.tolist(), "counts": np.diff(np.append(reader.passage_starts,
                                                                              len(reader.vectors))).tolist(),
            "stories": reader.stories.tolist()}


@pytest.fixture
def stories_index(runner, tmp_path):
    """Articles in both languages, some of them one story (tests/fixtures/stories), some dated."""
    index_dir = tmp_path / "stories"
    assert run(runner, "index", STORIES, SEEDS, "--index", index_dir).exit_code == 0
    return index_dir


def test_opening_parses_no_record_and_reads_what_the_records_say(stories_index, monkeypatch):
    expected = whole(stories_index)
    assert len(set(expected["stories"])) < len(expected["stories"])  # stories of two and more
    assert len(set(expected["dates"])) > 2 and len(set(expected["sources"])) > 2
    monkeypatch.setattr(store, "read_records", lambda *a: pytest.fail("the whole table was parsed"))
    parsed = []
    reader = IndexReader(stories_index)
    original = reader.docs._parse
    reader.docs._record.cache_clear()
    reader.docs.__dict__["_record"] = lambda place: parsed.append(place) or original(place)
    assert reader.position(expected["ids"][3]) == 3
    assert parsed == []  # found by the id's hash and the line's first bytes
    assert reader.docs[3].id == expected["ids"][3] and parsed == [3]
    assert read(reader) == expected


def test_an_index_written_before_the_table_gets_it_on_first_open(stories_index, runner):
    query = ["search", "floods in Kalimantan", "--index", stories_index]
    before = run_json(runner, *query), run_json(runner, *query, "--sort", "date", "--source", "kompas.com")
    folder = store.current_generation(stories_index)
    shutil.rmtree(folder / table.TABLE)
    reader = IndexReader(stories_index)
    assert (folder / table.TABLE / table.META).is_file()
    assert read(reader) == whole(stories_index)
    assert (run_json(runner, *query), run_json(runner, *query, "--sort", "date", "--source", "kompas.com")) == before
    assert any(hit["group"] == before[0][0]["group"] for hit in before[0][1:])  # a story grouped


def test_a_read_only_old_index_keeps_its_table_in_memory(seeds_index, runner, monkeypatch):
    folder = store.current_generation(seeds_index)
    shutil.rmtree(folder / table.TABLE)

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(table, "write_table", refused)
    reader = IndexReader(seeds_index)
    assert not (folder / table.TABLE).exists()
    assert read(reader) == whole(seeds_index)
    assert run(runner, "search", "Lukashenko Putin", "--index", seeds_index).exit_code == 0


@pytest.mark.parametrize("head", [reader_module.ID_HEAD, 16])  # 16: every id is longer than the head read
def test_ids_that_share_a_hash_are_told_apart_by_the_record(seeds_index, monkeypatch, head):
    folder = store.current_generation(seeds_index)
    shutil.rmtree(folder / table.TABLE)
    monkeypatch.setattr(table, "id_hash", lambda doc_id: 7)  # every id collides
    monkeypatch.setattr(reader_module, "ID_HEAD", head)
    reader = IndexReader(seeds_index)
    ids = whole(seeds_index)["ids"]
    assert [reader.doc_id(place) for place in range(len(ids))] == ids
    fresh = IndexReader(seeds_index)  # nothing remembered yet
    assert [fresh.position(doc_id) for doc_id in ids] == list(range(len(ids)))
    with pytest.raises(KeyError):
        fresh.position(str(SEEDS / "not-there.txt"))


def test_every_update_writes_the_table_of_its_generation(seeds_index, runner, tmp_path):
    extra = tmp_path / "kopi.txt"
    extra.write_text("Kopi Gayo\n\nPetani kopi Gayo panen raya di Aceh Tengah.", encoding="utf-8")
    assert run(runner, "add", extra, "--index", seeds_index).exit_code == 0
    reader = IndexReader(seeds_index)
    assert table.read_table(reader.folder, reader.manifest.documents) is not None
    assert read(reader) == whole(seeds_index)
    assert reader.docs[reader.position(str(extra))].title == "Kopi Gayo"
    assert run(runner, "remove", str(extra), "--index", seeds_index).exit_code == 0
    assert read(IndexReader(seeds_index)) == whole(seeds_index)


def test_the_build_keeps_each_passage_s_component_along_the_language_direction(stories_index):
    reader = IndexReader(stories_index)
    assert reader.table.along is not None and reader.balance is not None  # both languages, enough of each
    assert reader.table.common is not None and reader.balance.common is not None
    computed = Balance.of(reader.vectors, reader.balance.direction, reader.balance.common)
    for name in ("along", "scale", "along_common", "common_scale"):
        np.testing.assert_allclose(getattr(reader.balance, name), getattr(computed, name), rtol=1e-5, atol=1e-6)
    shutil.rmtree(reader.folder / table.TABLE)  # an index from before: the table made on open has none
    again = IndexReader(stories_index)
    assert again.table.along is None and again.table.common is None
    np.testing.assert_allclose(again.balance.along, computed.along, atol=1e-6)
    np.testing.assert_allclose(again.balance.along_common, computed.along_common, atol=1e-6)
