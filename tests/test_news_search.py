"""Searching the way news searchers do: quoted phrases, exclusions, newest first, counts, more like
this, pages; through the CLI, the API and the page, which must agree."""
from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import pytest
from starlette.testclient import TestClient

from conftest import EN_SEED, ID_SEEDS, SEEDS, run, run_json
from search.serving.server import create_app
from search.syntax import Parsed, only_exclusions, parse, tokens

ALL_SEEDS = ID_SEEDS | {EN_SEED}


def seed_words(doc_id: str) -> tuple[str, ...]:
    """The seed file's words as a phrase is matched, read here without the engine."""
    return tuple(w.lower() for w in re.findall(r"\w+", Path(doc_id).read_text(encoding="utf-8")))


def holds(doc_id: str, phrase: str) -> bool:
    wanted = tuple(w.lower() for w in re.findall(r"\w+", phrase))
    words = seed_words(doc_id)
    return any(words[i:i + len(wanted)] == wanted for i in range(len(words)))


# --- the syntax ---------------------------------------------------------------------------

def words_of(parsed: Parsed) -> tuple:
    return parsed.words, tuple(phrase.words for phrase in parsed.phrases), parsed.excluded


def test_phrases_and_exclusions_are_read_from_the_query():
    assert words_of(parse('"Vladimir Putin" -Lukashenko')) == ("Vladimir Putin", (("vladimir", "putin"),), (("lukashenko",),))
    assert words_of(parse('banjir -"Jawa Barat" Jakarta')) == ("banjir Jakarta", (), (("jawa", "barat"),))
    assert words_of(parse("“Joko Widodo” visit")) == ("Joko Widodo visit", (("joko", "widodo"),), ())


def test_a_phrase_knows_its_language_and_what_crosses_languages_in_it():
    phrase = parse('Welsh AMs worried about "looking like muppets"').phrases[0]
    assert phrase.lang == "en" and phrase.names == ()
    phrase = parse('"Presiden Joko Widodo meresmikan" bendungan').phrases[0]
    assert phrase.lang == "id" and phrase.names == ("presiden", "joko", "widodo")
    assert parse('"the floods of 2020" Jakarta').phrases[0].names == ("2020",)  # "the" is no name
    assert parse('"Joko Widodo"').phrases[0].lang is None  # a name alone: every article, word for word


def test_a_hyphen_inside_a_word_or_alone_excludes_nothing():
    assert words_of(parse("COVID-19 Jawa-Barat")) == ("COVID-19 Jawa-Barat", (), ())
    assert words_of(parse("floods - Jakarta")) == ("floods - Jakarta", (), ())


def test_an_unbalanced_quote_is_read_as_plain_words():
    assert words_of(parse('"Black Sea talks')) == ('"Black Sea talks', (), ())  # searched as typed, as before
    assert words_of(parse('"Black Sea" talks "Sochi')) == ("Black Sea talks Sochi", (("black", "sea"),), ())
    assert words_of(parse('""')) == ('""', (), ())  # no letter or digit: nothing to search (engine.unsearchable)


def test_a_query_of_exclusions_only_has_a_reason():
    assert only_exclusions(parse("-Putin -Lukashenko")).startswith("only says what to leave out")
    assert only_exclusions(parse("Putin -Lukashenko")) is None
    assert only_exclusions(parse('"Putin"')) is None
    assert tokens("Vladimir PUTIN,") == ("vladimir", "putin")


# --- through the CLI on the seeds -------------------------------------------------------------

def test_the_issue_query_leaves_out_every_seed_naming_lukashenko(runner, seeds_index):
    # The issue's example: every seed names Lukashenko but 002, which spells him Lukashenka.
    expected = {doc for doc in ALL_SEEDS if holds(doc, "Vladimir Putin") and not holds(doc, "Lukashenko")}
    assert expected == {str(SEEDS / "002_a5b2618d017f9403.txt")}
    for mode in ("keyword", "hybrid", "semantic"):
        hits = run_json(runner, "search", '"Vladimir Putin" -Lukashenko', "--mode", mode, "--index", seeds_index)
        assert {hit["id"] for hit in hits} == expected, mode
        assert all(hit["confident"] for hit in hits)


def test_a_quoted_name_crosses_languages_and_word_order_counts(runner, seeds_index):
    hits = run_json(runner, "search", '"Vladimir Putin"', "--no-group", "--index", seeds_index)
    expected = {doc for doc in ALL_SEEDS if holds(doc, "Vladimir Putin")}
    assert {hit["id"] for hit in hits} == expected
    assert {hit["lang"] for hit in hits} == {"id", "en"}
    assert run_json(runner, "search", '"Putin Vladimir"', "--index", seeds_index) == []


def test_a_quoted_english_phrase_of_common_words_leaves_indonesian_articles_to_meaning(runner, tmp_path):
    # A headline pasted with its quotes: the English article holds the phrase, its Indonesian
    # version cannot, and must still be found; an unrelated Indonesian article must not be.
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "welsh-en.txt").write_text(
        "Welsh assembly members worried about looking like muppets\n\nThere is consternation among some "
        "assembly members at a suggestion their title should change, because they fear looking like muppets "
        "when the Welsh assembly becomes the parliament of Wales.", encoding="utf-8")
    (folder / "welsh-id.txt").write_text(
        "Anggota majelis Wales khawatir terlihat seperti boneka\n\nAda kegelisahan di antara beberapa anggota "
        "majelis atas usulan agar gelar mereka diubah, karena mereka takut terlihat seperti boneka ketika majelis "
        "Wales menjadi parlemen.", encoding="utf-8")
    (folder / "kopi-id.txt").write_text(
        "Harga kopi Gayo naik\n\nPetani kopi di Takengon menjual biji kopi dengan harga lebih tinggi tahun ini "
        "karena panen yang kecil.", encoding="utf-8")
    index_dir = tmp_path / "index"
    assert run(runner, "index", folder, "--index", index_dir).exit_code == 0
    hits = run_json(runner, "search", 'Welsh members worried about "looking like muppets"', "--no-group",
                    "--index", index_dir)
    names = {Path(hit["id"]).name: hit for hit in hits}
    assert [name for name in names if names[name]["confident"]] == ["welsh-en.txt", "welsh-id.txt"]
    assert "kopi-id.txt" not in names or not names["kopi-id.txt"]["confident"]  # a weak match, if listed
    # a phrase in Indonesian binds the Indonesian articles word for word, the English one by its names
    hits = run_json(runner, "search", '"majelis Wales" yang khawatir di parlemen', "--no-group", "--index", index_dir)
    assert {Path(hit["id"]).name for hit in hits} == {"welsh-id.txt", "welsh-en.txt"}
    hits = run_json(runner, "search", '"Wales majelis" yang khawatir di parlemen', "--no-group", "--index", index_dir)
    assert {Path(hit["id"]).name for hit in hits} == {"welsh-en.txt"}
    # a phrase of a name alone binds every article word for word
    hits = run_json(runner, "search", '"Welsh assembly"', "--no-group", "--index", index_dir)
    assert {Path(hit["id"]).name for hit in hits} == {"welsh-en.txt"}


def test_an_excluded_phrase_leaves_out_only_the_articles_holding_it(runner, seeds_index):
    hits = run_json(runner, "search", 'Putin -"Black Sea"', "--no-group", "--mode", "keyword", "--index", seeds_index)
    expected = {doc for doc in ALL_SEEDS if not holds(doc, "Black Sea") and holds(doc, "Putin")}
    assert {hit["id"] for hit in hits} == expected and EN_SEED not in expected


def test_exclusions_alone_are_a_usage_error_and_a_lone_quote_is_no_traceback(runner, seeds_index):
    result = run(runner, "search", "--index", seeds_index, "--", "-Putin -Lukashenko")
    assert result.exit_code == 2
    assert "only says what to leave out" in result.stderr
    result = run(runner, "search", '"Black Sea talks', "--index", seeds_index)
    assert result.exit_code == 0 and "Traceback" not in result.output


def test_help_says_what_a_quoted_english_phrase_does_to_indonesian_articles(runner):
    result = run(runner, "search", "--help")
    text = " ".join(result.stdout.split())
    assert '"a phrase" in quotes must be in the article' in text
    assert "A quoted English phrase of common words" in text and "does nothing to Indonesian articles" in text


def test_sort_by_date_lists_every_hit_above_the_floor_newest_first(runner, seeds_index):
    hits = run_json(runner, "search", "Putin Lukashenko", "--sort", "date", "--no-group", "-k", "20",
                    "--index", seeds_index)
    assert hits and all(hit["confident"] for hit in hits)
    dates = [hit["date"] for hit in hits]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True) and len(set(dated)) > 1
    assert dates == dated + [None] * (len(dates) - len(dated))  # undated last
    every = run_json(runner, "search", "Putin Lukashenko", "--no-group", "-k", "20", "--index", seeds_index)
    assert {hit["id"] for hit in hits} == {hit["id"] for hit in every if hit["confident"]}


def test_facets_count_the_hits_above_the_floor(runner, seeds_index):
    result = run_json(runner, "search", "Putin Lukashenko", "--facets", "--sort", "date", "--no-group", "-k", "50",
                      "--index", seeds_index)
    hits, facets = result["hits"], result["facets"]
    assert result["total"] == len(hits)
    assert facets["lang"] == _counted(hit["lang"] for hit in hits)
    assert facets["source"] == _counted(hit["source"] or "no source" for hit in hits)
    assert facets["year"] == _counted((hit["date"] or "undated")[:4] if hit["date"] else "undated" for hit in hits)
    shown = run(runner, "search", "Putin Lukashenko", "--facets", "--index", seeds_index).stdout
    assert shown.startswith(f"{len(hits)} hits above the relevance floor\n  language: ")
    assert "  year: " in shown and "  source: " in shown


def _counted(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


@pytest.mark.parametrize("extra", [[], ["--sort", "date"], ["--mode", "keyword"], ["--group"]])
def test_pages_never_repeat_or_skip_a_hit(runner, seeds_index, extra):
    grouping = [] if "--group" in extra else ["--no-group"]
    whole = run_json(runner, "search", "Lukashenko Putin", "-k", "6", *grouping, *extra, "--index", seeds_index)
    pages = [run_json(runner, "search", "Lukashenko Putin", "-k", "2", "--offset", str(offset), *grouping, *extra,
                      "--index", seeds_index) for offset in (0, 2, 4)]
    assert [hit["id"] for page in pages for hit in page] == [hit["id"] for hit in whole]
    assert len({hit["id"] for hit in whole}) == len(whole) == 5
    result = run(runner, "search", "Lukashenko Putin", "-k", "2", *grouping, *extra, "--index", seeds_index)
    assert "(more: --offset 2 shows the next" in result.stderr


def test_a_page_past_the_end_says_so(runner, seeds_index):
    result = run(runner, "search", "Lukashenko Putin", "--offset", "100", "--index", seeds_index)
    assert result.exit_code == 0 and result.stdout == ""
    assert "No more results: this query's list ends before --offset 100." in result.stderr
    page = TestClient(create_app(seeds_index)).get("/", params={"q": "Lukashenko Putin", "offset": 100}).text
    assert "No more results: the list ends before this page." in page and 'rel="prev"' in page


def test_similar_lists_other_articles_and_the_story_apart(runner, seeds_index, tmp_path):
    found = run_json(runner, "similar", EN_SEED, "--index", seeds_index)
    ids = [hit["id"] for hit in found["hits"]]
    assert set(ids) == ID_SEEDS  # every other seed, none twice, not itself
    scores = [hit["score"] for hit in found["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert run(runner, "similar", "nope.txt", "--index", seeds_index).exit_code == 1
    shown = run(runner, "similar", EN_SEED, "-k", "1", "--index", seeds_index)
    assert shown.stdout.startswith("Same story: no other article in the index.\n\nLike it:\n 1. ")
    assert "(more: --offset 1 shows the next articles)" in shown.stderr


def test_similar_sets_the_story_apart(runner, tmp_path):
    index_dir = tmp_path / "index"
    fixtures = Path(__file__).parent / "fixtures" / "stories"
    assert run(runner, "index", fixtures, "--index", index_dir).exit_code == 0
    documents = {hit["id"] for hit in run_json(runner, "search", "banjir Kalimantan", "-k", "50", "--no-group",
                                               "--weak", "--index", index_dir)}
    for doc in sorted(documents):
        shown = json.loads(run(runner, "show", doc, "--json", "--index", index_dir).stdout)
        if shown["story"]:
            break
    else:
        pytest.fail("the story fixtures have no story")
    found = run_json(runner, "similar", doc, "-k", "50", "--index", index_dir)
    story = {member["id"] for member in found["story"]}
    assert story == {member["id"] for member in shown["story"]}
    assert not story & {hit["id"] for hit in found["hits"]}
    assert doc not in {hit["id"] for hit in found["hits"]}


# --- the CLI, the API and the page agree ------------------------------------------------------

AGREEMENT = [("hybrid", '"Vladimir Putin" -Lukashenko', "relevance"), ("hybrid", "Putin -Sochi", "relevance"),
             ("hybrid", "Putin Lukashenko", "date"), ("keyword", '"Alexander Lukashenko"', "date"),
             ("semantic", 'Belarus protests -"Black Sea"', "relevance")]


@pytest.mark.parametrize("mode, query, sort", AGREEMENT)
def test_the_cli_the_api_and_the_page_give_the_same_answers(runner, seeds_index, mode, query, sort):
    cli = [hit["id"] for hit in run_json(runner, "search", query, "--mode", mode, "--sort", sort,
                                         "--index", seeds_index) if hit["confident"]]
    client = TestClient(create_app(seeds_index))
    api = [hit["id"] for hit in client.get("/api/search", params={"q": query, "mode": mode, "sort": sort}).json()
           if hit["confident"]]
    page = client.get("/", params={"q": query, "mode": mode, "sort": sort}).text
    results = page.split('<ol class="results"', 1)[1].split("</ol>", 1)[0] if '<ol class="results"' in page else ""
    shown = [unquote(unescape(link)) for link in re.findall(r'<a class="title" href="/doc/([^"?]+)', results)]
    best_of_story = [doc for doc in cli if doc in shown]
    assert best_of_story == shown  # the page shows each story's best hit, in the same order
    assert api == cli
    assert set(cli) >= set(shown) and (cli == []) == (shown == [])


def test_the_api_takes_sort_offset_and_facets(seeds_index):
    client = TestClient(create_app(seeds_index))
    first = client.get("/api/search", params={"q": "Lukashenko Putin", "k": 2, "group": "false"})
    second = client.get("/api/search", params={"q": "Lukashenko Putin", "k": 2, "offset": 2, "group": "false"})
    whole = client.get("/api/search", params={"q": "Lukashenko Putin", "k": 4, "group": "false"}).json()
    assert [h["id"] for h in first.json() + second.json()] == [h["id"] for h in whole]
    assert first.headers["X-More-Hits"] == "true"
    counted = client.get("/api/search", params={"q": "Lukashenko Putin", "facets": "true"}).json()
    assert set(counted) == {"hits", "total", "facets"} and set(counted["facets"]) == {"lang", "source", "year"}
    for params, message in (({"q": "x", "sort": "newest"}, "'sort' must be relevance or date"),
                            ({"q": "x", "offset": "-1"}, "'offset' must be a whole number"),
                            ({"q": "-Putin"}, "only says what to leave out")):
        answer = client.get("/api/search", params=params)
        assert answer.status_code == 400 and message in answer.json()["error"]
    similar = client.get("/api/similar/" + EN_SEED.replace("/", "%2F"), params={"k": 2})
    assert similar.status_code == 200 and len(similar.json()["hits"]) == 2
    assert client.get("/api/similar/nope.txt").status_code == 404


def test_the_page_links_facets_pages_and_more_like_this(seeds_index):
    client = TestClient(create_app(seeds_index))
    page = unescape(client.get("/", params={"q": "Lukashenko Putin", "k": 2}).text)
    assert '<a href="/?q=Lukashenko+Putin&k=2&lang=id">id</a>' in page
    assert "since=2020&until=2020" in page
    assert 'class="next" rel="next" href="/?q=Lukashenko+Putin&k=2&offset=2"' in page
    article = client.get("/doc/" + EN_SEED.replace("/", "%2F")).text
    assert 'class="similar" href="/similar/' in article
    similar = client.get("/similar/" + EN_SEED.replace("/", "%2F")).text
    assert "On the same subject" in similar and similar.count('<li class="story">') == 4
