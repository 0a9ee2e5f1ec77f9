"""Story groups: the rule's parts, the grouping walk, and end to end with the bundled model."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import EN_SEED, ID_SEEDS, SEEDS, SUPPORT_QUERY_TOP, run, run_json
from index.reading.ids import display_id
from index.storage import stories
from index.storage.stories import (StoryFacts, StoryRule, days_apart, link_documents, number_agreement, numbers_in,
                                   story_groups)

STORIES = Path(__file__).resolve().parent / "fixtures" / "stories"
FLOODS = STORIES / "floods.jsonl"
PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
RULE = StoryRule(min_alignment=0.84, same_language_lift=0.12, min_number_agreement=0.8,
                 no_numbers_margin=0.01, max_days=3)


def test_numbers_ignore_how_thousands_and_decimals_are_written():
    assert numbers_in("12,500 fled; 1.850 houses; 2,5 m; 7.5-magnitude; 2021") == {"12500", "1850", "25", "75", "2021"}
    assert numbers_in("Lebih dari 12.500 orang") == numbers_in("More than 12,500 people")
    assert number_agreement(frozenset({"1", "2"}), frozenset({"2", "3", "4"})) == 0.5  # 1 of the smaller 2
    assert number_agreement(frozenset({"25", "26"}), frozenset({"25", "26", "5", "2020"})) == 1.0  # a shortened copy
    assert number_agreement(frozenset(), frozenset()) is None
    assert number_agreement(frozenset({"7"}), frozenset()) == 0.0


def test_days_apart():
    assert days_apart("2021-01-17", "2021-01-20") == 3
    assert days_apart("2021-01-17", None) is None
    assert days_apart("2021-01", "2021-01-17") is None  # not a day: no evidence


@pytest.mark.parametrize("aligned, same_language, numbers, apart, expected", [
    (0.84, False, ({"15", "2"}, {"15", "2"}), None, True),     # a translation
    (0.83, False, ({"15", "2"}, {"15", "2"}), None, False),    # not aligned enough
    (0.86, False, ({"15", "2"}, {"15", "3"}), None, False),    # other figures: agreement 1/2
    (0.86, False, ({"1", "2", "3"}, {"1", "2", "3", "4", "5"}), None, True),  # a shorter rewrite: 3/3
    (0.86, False, ({"1", "2", "3", "9"}, {"1", "2", "3", "4", "5"}), None, False),  # 3/4
    (0.95, True, ({"15"}, {"15"}), None, False),               # one language: 0.96 needed (a copy)
    (0.96, True, ({"15"}, {"15"}), None, True),
    (0.84, False, (set(), set()), None, False),                # no numbers: 0.85 needed
    (0.85, False, (set(), set()), None, True),
    (0.99, True, ({"15"}, {"15"}), 4, False),                  # four days apart
    (0.99, True, ({"15"}, {"15"}), 3, True),
])
def test_rule(aligned, same_language, numbers, apart, expected):
    numbers = (frozenset(numbers[0]), frozenset(numbers[1]))
    assert RULE.same(aligned, same_language, numbers, apart) is expected


@pytest.mark.parametrize("aligned, words, expected", [
    (0.90, 7, False),    # a line of seven words: 0.85 + 0.06 needed without numbers
    (0.91, 7, True),
    (0.91, 3, True),
    (0.85, 8, True),     # eight words: the bar of an article
    (0.85, None, True),  # not known: taken as long
])
def test_short_documents_need_a_closer_alignment(aligned, words, expected):
    assert stories.DEFAULT_RULE.same(aligned, False, (frozenset(), frozenset()), None, words) is expected


def test_a_copy_of_a_short_line_is_one_story():
    # in one language and short, the bar would be 0.96 + 0.06 + 0.01: above what a copy reaches
    assert stories.DEFAULT_RULE.same(0.995, True, (frozenset(), frozenset()), None, 3)
    assert not stories.DEFAULT_RULE.same(0.985, True, (frozenset(), frozenset()), None, 3)


def test_only_an_indonesian_and_an_english_document_meet_the_cross_language_bar():
    assert not stories.one_language("id", "en") and not stories.one_language("en", "id")
    assert stories.one_language("id", "id")
    assert stories.one_language("id", "tl")  # langdetect's guess on a short Indonesian line
    assert stories.one_language("en", "und")


def test_strongest_links_first_and_a_story_never_grows_by_a_chain():
    # a~b 0.95, d~e 0.92, b~c 0.90 (not a~c): c stays alone; f~g~h all linked: one story
    links = [{1: 0.95}, {0: 0.95, 2: 0.90}, {1: 0.90}, {4: 0.92}, {3: 0.92},
             {6: 0.93, 7: 0.91}, {5: 0.93, 7: 0.94}, {5: 0.91, 6: 0.94}]
    assert story_groups(links) == [0, 0, 2, 3, 3, 6, 6, 6]
    # the strongest link (b~c) makes the story first; a, linked to c only, is not linked to the
    # story's first document b, so it stays alone, whatever order the documents are in
    assert story_groups([{2: 0.90}, {2: 0.97}, {0: 0.90, 1: 0.97}]) == [0, 1, 1]
    assert story_groups([{1: 0.90}, {0: 0.90, 2: 0.97}, {1: 0.97}]) == [1, 1, 1]  # a~b: b is the first


@pytest.fixture
def floods_index(runner, tmp_path) -> Path:
    index_dir = tmp_path / "floods"
    assert run(runner, "index", STORIES, "--index", index_dir).exit_code == 0
    return index_dir


def test_an_article_and_its_translation_are_one_story(runner, floods_index):
    hits = run_json(runner, "search", "floods in Kalimantan", "--index", floods_index)
    # grouped (the default), a story's documents come together, in the order the terminal shows
    assert [(hit["rank"], hit["key"], hit["group"]) for hit in hits] == [
        (1, "wire-en", 1), (2, "kompas-id", 1), (3, "flood-aid-en", 2), (4, "jakarta-flood-id", 3)]
    assert hits[0]["id"] == f"{FLOODS}#wire-en"
    ungrouped = run_json(runner, "search", "floods in Kalimantan", "--no-group", "--index", floods_index)
    assert [(hit["rank"], hit["key"]) for hit in ungrouped] == [  # the fused order: the translation third
        (1, "wire-en"), (2, "flood-aid-en"), (3, "kompas-id"), (4, "jakarta-flood-id")]
    assert ungrouped[2]["score"] < ungrouped[1]["score"] == hits[2]["score"]
    assert all(hit["group"] is None for hit in ungrouped)


def test_k_counts_stories_when_grouping(runner, floods_index):
    one = run_json(runner, "search", "floods in Kalimantan", "-k", "1", "--index", floods_index)
    assert [(hit["key"], hit["group"]) for hit in one] == [("wire-en", 1), ("kompas-id", 1)]
    assert [hit["key"] for hit in run_json(runner, "search", "floods in Kalimantan", "-k", "1", "--no-group",
                                           "--index", floods_index)] == ["wire-en"]


def test_text_view_shows_the_best_hit_then_the_rest_of_its_story(runner, floods_index):
    result = run(runner, "search", "floods in Kalimantan", "--index", floods_index)
    entries = [entry.splitlines() for entry in result.stdout.split("\n\n")]
    assert [entry[0] for entry in entries] == [
        " 1. Floods force 12,500 from their homes in South Kalimantan",
        " 2. Aid reaches flood victims in Kalimantan as waters recede",
        " 3. Banjir rendam 200 RT di Jakarta, 1.300 warga mengungsi"]
    assert entries[0][2] == f"    id: {display_id(f'{FLOODS}#wire-en')}"
    assert entries[0][-1] == "    also: [id] Banjir paksa 12.500 warga Kalimantan Selatan mengungsi"
    assert sum(line.startswith("    also:") for line in result.stdout.splitlines()) == 1
    plain = run(runner, "search", "floods in Kalimantan", "--no-group", "--index", floods_index).stdout
    assert "also:" not in plain and " 4. Banjir rendam 200 RT di Jakarta, 1.300 warga mengungsi" in plain


def test_show_lists_the_other_documents_of_the_story(runner, floods_index):
    result = run(runner, "show", "kompas-id", "--index", floods_index)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-2:] == [
        "Same story (1 other article):",
        f"  [en] Floods force 12,500 from their homes in South Kalimantan  ({display_id(f'{FLOODS}#wire-en')}, "
        "2021-01-17, wire)"]
    shown = run_json(runner, "show", "wire-en", "--index", floods_index)
    assert [(m["id"], m["lang"]) for m in shown["story"]] == [(f"{FLOODS}#kompas-id", "id")]
    assert 0.85 <= shown["story"][0]["similarity"] < 1
    alone = run(runner, "show", "flood-aid-en", "--index", floods_index)
    assert alone.stdout.splitlines()[-1] == "Same story: no other article in the index."


def test_different_articles_on_one_topic_stay_apart(runner, seeds_index):
    # The seeds are five articles about Lukashenko and Putin from August 2020 to February 2021:
    # one topic, but no two of them are the same article, so each is its own story.
    hits = run_json(runner, "search", "Lukashenko asks Putin for support", "--index", seeds_index)
    assert sorted(hit["group"] for hit in hits) == [1, 2, 3, 4, 5]
    assert {hit["id"] for hit in hits[:2]} == SUPPORT_QUERY_TOP and {hit["id"] for hit in hits} == ID_SEEDS | {EN_SEED}


def test_the_same_kompas_article_from_two_inputs_is_one_story(runner, tmp_path):
    # seeds/004 is the text of the Kompas page saved in fixtures/pages/kompas (same article).
    index_dir = tmp_path / "both"
    assert run(runner, "index", SEEDS / "004_111cb5bf34ac05bb.txt", PAGES / "kompas",
               "--index", index_dir).exit_code == 0
    hits = run_json(runner, "search", "Presiden Belarus minta bantuan Putin", "--index", index_dir)
    assert [hit["group"] for hit in hits] == [1, 1]


def test_story_groups_are_the_index_s_whatever_the_query(runner, tmp_path):
    """Issue 19, item 9: an article, a near-copy of it (added later) and its translation are one
    story for every wording of the query, in `show` too; a removal leaves the others together."""
    import json

    index_dir = tmp_path / "index"
    assert run(runner, "index", STORIES, "--index", index_dir).exit_code == 0
    kompas = json.loads(FLOODS.read_text(encoding="utf-8").splitlines()[1])
    assert kompas["id"] == "kompas-id"
    # another outlet's shortened copy: its title and first two sentences, 4 of the story's 9 figures
    # (the Jaccard of the figures that grouped stories before, 0.44, kept it apart)
    copy = tmp_path / "copy.jsonl"
    sentences = kompas["text"].split(". ")
    copy.write_text(json.dumps({**kompas, "id": "copy-id", "source": "antaranews.com",
                                "text": ". ".join(sentences[:2]) + "."}) + "\n", encoding="utf-8")
    assert run(runner, "add", copy, "--index", index_dir).exit_code == 0
    story = {f"{FLOODS}#wire-en", f"{FLOODS}#kompas-id", f"{copy}#copy-id"}
    for query in ("floods in Kalimantan", "how many people fled the Kalimantan floods",
                  "banjir Kalimantan Selatan warga mengungsi", "Raditya Jati"):
        hits = run_json(runner, "search", query, "--weak", "--index", index_dir)
        groups = {hit["group"] for hit in hits if hit["id"] in story}
        assert len(groups) == 1, query
        assert {hit["id"] for hit in hits if hit["group"] in groups} == story, query
    for member in story:
        shown = run_json(runner, "show", member, "--index", index_dir)
        assert {other["id"] for other in shown["story"]} == story - {member}
    assert run(runner, "remove", f"{FLOODS}#wire-en", "--index", index_dir).exit_code == 0
    shown = run_json(runner, "show", f"{copy}#copy-id", "--index", index_dir)
    assert [other["id"] for other in shown["story"]] == [f"{FLOODS}#kompas-id"]


def test_an_index_from_before_story_links_gets_them_on_its_next_update(runner, tmp_path):
    import json

    from index.storage import store

    index_dir = tmp_path / "index"
    assert run(runner, "index", STORIES, "--index", index_dir).exit_code == 0
    docs = store.current_generation(index_dir) / store.DOCS
    records = [json.loads(line) for line in docs.read_text(encoding="utf-8").splitlines()]
    docs.write_text("".join(json.dumps({k: v for k, v in rec.items() if k not in ("story", "numbers")}) + "\n"
                            for rec in records), encoding="utf-8")
    shutil.rmtree(docs.parent / "table")  # nor did it keep the table's columns (issue 21)
    hits = run_json(runner, "search", "floods in Kalimantan", "--index", index_dir)
    assert len({hit["group"] for hit in hits}) == len(hits)  # every hit alone until the update
    update = run(runner, "index", "--index", index_dir)
    assert "(the index now keeps its story links, decided once for every document" in update.stderr
    hits = run_json(runner, "search", "floods in Kalimantan", "--index", index_dir)
    assert [(hit["key"], hit["group"]) for hit in hits][:3] == [("wire-en", 1), ("kompas-id", 1), ("flood-aid-en", 2)]
    assert "now keeps its story links" not in run(runner, "index", "--index", index_dir).stderr  # said once


def test_an_index_whose_links_predate_the_stricter_rule_has_them_checked_again_once(runner, tmp_path):
    import json

    from index.storage import store

    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(FLOODS, folder / "floods.jsonl")
    (folder / "lines.jsonl").write_text(
        json.dumps({"id": "hungry-en", "text": "I am very hungry."}) + "\n"
        + json.dumps({"id": "thirsty-id", "text": "Saya sangat haus."}) + "\n"
        + json.dumps({"id": "coffee-id", "text": "Anda ingin segelas kopi lagi?"}) + "\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    assert run(runner, "index", folder, "--index", index_dir).exit_code == 0
    docs = store.current_generation(index_dir) / store.DOCS
    records = [json.loads(line) for line in docs.read_text(encoding="utf-8").splitlines()]
    assert {rec["key"]: rec["words"] for rec in records}["thirsty-id"] == 3
    linked = {rec["key"]: rec["story"] for rec in records}
    assert linked["wire-en"] and not linked["hungry-en"] and not linked["thirsty-id"]
    # as the older rule could have left them: the two lines linked, and no word counts kept
    ids = {rec["key"]: rec["id"] for rec in records}
    for rec in records:
        del rec["words"]
        if rec["key"] == "coffee-id":
            assert rec["lang"] == "id"
            rec["lang"] = "tl"  # langdetect's own tag, before LANGUAGE_VERSION 2
        if rec["key"] in ("hungry-en", "thirsty-id"):
            other = "thirsty-id" if rec["key"] == "hungry-en" else "hungry-en"
            rec["story"] = {ids[other]: 0.88}  # the older bar: 0.85
    docs.write_text("".join(json.dumps(rec) + "\n" for rec in records), encoding="utf-8")
    shutil.rmtree(docs.parent / "table")  # nor had it the table, made from the records
    hits = run_json(runner, "search", "I am hungry", "--index", index_dir)
    assert {hit["key"] for hit in hits if hit["group"] == hits[0]["group"]} == {"hungry-en", "thirsty-id"}

    update = run(runner, "index", "--index", index_dir)
    assert "story links were checked again by this version's stricter rule" in update.stderr
    assert "0 added, 1 changed" in update.stderr and "lines.jsonl#coffee-id" in update.stderr  # tagged again
    records = [json.loads(line) for line in (store.current_generation(index_dir) / store.DOCS).read_text(
        encoding="utf-8").splitlines()]
    assert {rec["key"]: rec["story"] for rec in records} == {**linked}  # the lines' link gone, the rest kept
    assert {rec["key"]: rec["lang"] for rec in records}["coffee-id"] == "id"
    assert {rec["key"]: rec["words"] for rec in records}["thirsty-id"] == 3
    groups = {hit["key"]: hit["group"] for hit in run_json(runner, "search", "I am hungry", "--index", index_dir)}
    assert groups["hungry-en"] != groups["thirsty-id"]
    again = run(runner, "index", "--index", index_dir)
    assert "checked again" not in again.stderr and "0 added, 0 changed, 0 removed" in again.stderr


def test_dated_documents_are_aligned_only_with_their_week_and_link_as_with_all(monkeypatch):
    """Issue 21: linking compares a dated document only with documents dated within max_days
    and the undated ones; the links are those of comparing every pair."""
    rng = np.random.default_rng(5)
    counts, facts, vectors = [], [], []
    for story in range(40):
        base = rng.standard_normal(384)
        day = f"2021-{1 + story % 12:02d}-{1 + (story * 7) % 27:02d}" if story % 5 else None
        for version, lang in enumerate(("en", "id", "id")[: 2 + story % 2]):
            passages = base + 0.35 * rng.standard_normal((2 + version, 384))
            vectors.append(passages / np.linalg.norm(passages, axis=1, keepdims=True))
            counts.append(len(passages))
            when = day if version == 0 or story % 3 else (None if day is None else "2021-12-30")
            facts.append(StoryFacts(lang, when, frozenset({str(story)})))
    vectors = np.concatenate(vectors).astype(np.float32)
    linking = range(len(counts))
    monkeypatch.setattr(stories, "BATCH_PASSAGES", 8)  # batches of a few days, as a big archive's are
    windows = []
    real_some = stories._aligned_with_some
    monkeypatch.setattr(stories, "_aligned_with_some", lambda batch, near, *a: windows.append(len(near)) or real_some(batch, near, *a))
    windowed = link_documents(vectors, counts, facts, linking)
    assert windows and max(windows) < len(counts)  # dated batches met only some documents
    compared = []
    real_aligned = stories._aligned_with_all
    monkeypatch.setattr(stories, "_aligned_with_all", lambda batch, *a: compared.append(len(batch)) or real_aligned(batch, *a))
    monkeypatch.setattr(stories, "_days", lambda facts: np.full(len(facts), stories.UNDATED, dtype=np.int64))
    every_pair = link_documents(vectors, counts, facts, linking)
    assert compared  # the reference really compared every pair
    assert sum(len(others) for others in windowed.values()) > 40  # stories were linked, in both directions
    assert windowed.keys() == every_pair.keys()
    for position, others in every_pair.items():
        assert windowed[position].keys() == others.keys()
        assert all(abs(windowed[position][o] - value) <= 1e-4 for o, value in others.items())
