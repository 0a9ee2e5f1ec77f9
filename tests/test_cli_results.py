"""What `lintas search` shows per hit, --explain's sum, snippets other than the title, and
queries that cannot match (through the CLI, on the seeds index and on a fake-embedder index)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import EN_SEED, run, run_json, seed_id
from fakes import FakeEmbedder
from index.storage.builder import build_index
from index.embedding.engine import VectorCache
from index.reading.ids import display_id
from search.snippets import make_snippet

WIDTH = 80


@pytest.fixture(autouse=True)
def _eighty_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", str(WIDTH))  # rich sizes its output by $COLUMNS off a terminal


def test_a_hit_shows_title_language_date_source_score_id_and_snippet(runner, seeds_index):
    [hit] = run_json(runner, "search", "paratroopers", "--mode", "keyword", "--index", seeds_index)
    result = run(runner, "search", "paratroopers", "--mode", "keyword", "--index", seeds_index)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        " 1. Pushing For Resignation Through Larger Demonstrations, Belarusian President",
        "    Lukashenko Meets Putin Asking For Support",
        f"    lang en · undated · seeds · score {hit['score']:.4f}",  # keyword mode: no confidence
        f"    id: {display_id(EN_SEED)}",  # seeds/003_….txt: relative to the current folder
        "    Russia will soon send paratroopers to Belarus for military exercises with",
        '    the "Slavic brothers"',
    ]


def test_hits_are_laid_out_for_80_columns_and_the_id_is_what_show_takes(runner, seeds_index):
    result = run(runner, "search", "Putin Sochi", "--index", seeds_index)
    hits = run_json(runner, "search", "Putin Sochi", "--index", seeds_index)
    lines = result.stdout.splitlines()
    assert all(len(line) <= WIDTH for line in lines if not line.startswith("    id: "))
    heads = [line for line in lines if re.match(r"^ ?\d+\. ", line)]
    assert [int(line.split(".")[0]) for line in heads] == [hit["rank"] for hit in hits]
    metas = [line.strip() for line in lines if line.startswith("    lang ")]
    assert metas == [f"lang {h['lang']} · {h['date'] or 'undated'} · {h['source']} · score {h['score']:.4f}"
                     f" · confidence {h['confidence']:.2f}" for h in hits]
    ids = [line.removeprefix("    id: ") for line in lines if line.startswith("    id: ")]
    assert ids == [display_id(hit["id"]) for hit in hits]
    for doc_id, hit in zip(ids, hits):
        shown = run(runner, "show", doc_id, "--index", seeds_index)
        assert shown.exit_code == 0 and shown.stdout.splitlines()[0] == hit["title"]
    # A title longer than two lines is cut with … (its place among the first two depends on
    # cosines 0.001 apart, so it is found by its id line).
    at = lines.index(f"    id: {display_id(seed_id('000_0dfaffacd213fe91'))}")
    assert [lines[at - 3][4:], lines[at - 2]] == [
        "(Klikanggaran)--Alexander Lukashenko telah tiba di Rusia untuk berbicara",
        "    dengan Presiden Vladimir Putin, data pelacakan penerbangan menunjukkan itu …"]


def test_snippets_do_not_repeat_the_title(runner, seeds_index):
    # Before: 4 of these 5 snippets were the title (or its first part) word for word.
    hits = run_json(runner, "search", "Putin Sochi", "--index", seeds_index)
    assert len(hits) == 5
    for hit in hits:
        assert hit["snippet"].removesuffix("…") not in hit["title"], hit["id"]
    by_id = {hit["id"]: hit["snippet"] for hit in hits}
    assert by_id[EN_SEED] == ("JAKARTA - Belarusian President Alexander Lukashenko arrived in Russia to "
                              "meet Russian President Vladimir Putin.")


TERMS = {"keyword": ["putin"], "text_exact": ["putin"]}


def test_snippet_passes_over_the_title_line_and_its_sentences():
    text = "Putin tiba di Sochi. Lukashenko menunggu\nPutin tiba di Sochi pada Senin untuk bertemu Lukashenko."
    title = "Putin tiba di Sochi. Lukashenko menunggu"
    snippet, spans = make_snippet(text, (0, len(text)), "id", TERMS, title)
    assert snippet == "Putin tiba di Sochi pada Senin untuk bertemu Lukashenko."
    assert [snippet[a:b] for a, b in spans] == ["Putin"]
    # A Markdown heading is the title with its marks.
    text = "# Putin di Sochi\n\nPutin di Sochi\n\nWarga Sochi menyambut Putin."
    assert make_snippet(text, (0, len(text)), "id", TERMS, "Putin di Sochi")[0] == "Warga Sochi menyambut Putin."


def test_snippet_of_a_title_only_passage_comes_from_the_next_one_and_a_title_only_document_is_its_title():
    text = "Putin tiba di Sochi\n\nPesawatnya mendarat pagi hari. Putin disambut gubernur."
    first, second = (0, 19), (21, len(text))
    assert text[slice(*first)] == "Putin tiba di Sochi"
    snippet, _ = make_snippet(text, first, "id", TERMS, "Putin tiba di Sochi", fallback=second)
    assert snippet == "Putin disambut gubernur."
    assert make_snippet(text[:19], first, "id", TERMS, "Putin tiba di Sochi")[0] == "Putin tiba di Sochi"
    # A truncated title (" …") still counts as the title.
    long_title = "Putin tiba di Sochi …"
    assert make_snippet(text, first, "id", TERMS, long_title, fallback=second)[0] == "Putin disambut gubernur."


TERM = re.compile(r"(?:^|([+−]) )(\w+) (?:([\d.]+)×)?(-?[\d.]+)")


def explained(stdout: str) -> list[tuple[float, list[tuple[str, float, float]]]]:
    """Each hit's printed "score S = a + w×b − c" (continuation lines joined): S and the terms."""
    lines = stdout.splitlines()
    sums = []
    for i, line in enumerate(lines):
        if line.startswith("    score "):
            whole = line.strip()
            for more in lines[i + 1:]:
                if not more.startswith("      "):
                    break
                whole += " " + more.strip()
            score, rhs = whole.removeprefix("score ").split(" = ")
            terms = [(name, (-1.0 if sign == "−" else 1.0) * float(weight or 1), float(value))
                     for sign, name, weight, value in TERM.findall(rhs)]
            sums.append((float(score), terms))
    return sums


def check_sums(runner, index: Path, *args: str) -> list[dict]:
    hits = run_json(runner, "search", *args, "--index", index)
    result = run(runner, "search", *args, "--explain", "--weak", "--index", index)  # every hit, weak too
    assert result.exit_code == 0, result.stderr
    printed = explained(result.stdout)
    assert len(printed) == len(hits) > 0
    for (score, terms), hit in zip(printed, hits):
        assert score == round(hit["score"], 4)
        assert [(n, w) for n, w, _ in terms] == [(p["name"], p["weight"]) for p in hit["score_parts"]]
        # The printed terms add up to the printed score, to the rounding of what is printed:
        # each number at most half its last digit off, so within 0.5e-4 per term and the score.
        total = sum(weight * value for _, weight, value in terms)
        assert abs(total - score) <= 0.5e-4 * (len(terms) + 1) + 1e-9, (hit["id"], score, terms)
        # And the JSON's parts add up to the JSON's score.
        assert sum(p["weight"] * p["value"] for p in hit["score_parts"]) == pytest.approx(hit["score"], abs=1e-5)
    return hits


def test_explain_adds_up_for_every_hit_on_the_seeds(runner, seeds_index):
    for args in (["Putin Sochi"], ["Lukashenko asks Putin for support"], ["paratroopers", "--mode", "keyword"],
                 ["Presiden Belarus", "--mode", "semantic"]):
        check_sums(runner, seeds_index, *args)
    hits = check_sums(runner, seeds_index, "Lukashenko asks Putin for support")
    assert {hit["lang"] for hit in hits} == {"en", "id"}
    for hit in hits:  # BM25 for the English article, as the query; lead and name matches for the Indonesian ones
        assert [p["name"] for p in hit["score_parts"]] == (["semantic", "keyword"] if hit["lang"] == "en"
                                                           else ["semantic", "lead", "names"])


ENGLISH = ["Floods hit Jakarta after heavy rain overnight.", "The river burst its banks in the north of the city.",
           "Thousands of residents left their homes as the water rose.", "Rescue teams used boats to reach families.",
           "The governor said the drains could not cope with the rain.", "Schools were closed for two days."]
INDONESIAN = ["Banjir melanda Jakarta setelah hujan deras semalam.", "Sungai meluap di bagian utara kota itu.",
              "Ribuan warga meninggalkan rumah mereka saat air naik.", "Tim penyelamat memakai perahu untuk menolong.",
              "Gubernur mengatakan saluran air tidak mampu menampung hujan.", "Sekolah ditutup selama dua hari."]


@pytest.fixture
def fake_index(tmp_path, monkeypatch) -> Path:
    """Six English and six Indonesian articles embedded by the fake embedder: enough of each
    language among the candidates for each language group to be measured on its own."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, sentence in enumerate(ENGLISH):
        (corpus / f"en{i}.txt").write_text(f"Jakarta flood report {i}\n\n{sentence} {ENGLISH[i - 1]}")
    for i, sentence in enumerate(INDONESIAN):
        (corpus / f"id{i}.txt").write_text(f"Laporan banjir Jakarta {i}\n\n{sentence} {INDONESIAN[i - 1]}")
    embedder = FakeEmbedder()
    build_index([corpus], tmp_path / "index", embedder, cache=VectorCache(embedder, tmp_path / "cache.sqlite"))
    monkeypatch.setattr("search.reader.load_embedder", lambda model: FakeEmbedder(model))
    return tmp_path / "index"


def test_explain_adds_up_with_language_groups(runner, fake_index):
    query = "floods in Jakarta after the rain"  # English: the Indonesian articles get lead and name matches
    hits = check_sums(runner, fake_index, query)
    names = {hit["lang"]: tuple(p["name"] for p in hit["score_parts"]) for hit in hits}
    assert names == {"en": ("semantic", "keyword"), "id": ("semantic", "lead", "names")}
    result = run(runner, "search", query, "--explain", "--weak", "-k", "4", "--index", fake_index)
    lines = result.stdout.splitlines()
    # A weight of 1 is not printed; a weight under 1 prints 4 decimals, one of 1-10 (2.5) 5: the
    # score's last digit. A long sum wraps onto lines indented two more spaces.
    sums = []
    for line in lines:
        if line.startswith("    score "):
            sums.append(line)
        elif sums and line.startswith("      ") and not sums[-1].endswith("]"):
            sums[-1] += " " + line.strip()
        elif sums:
            sums[-1] += "]"
    assert [line.rstrip("]") for line in sums] == [
        f"    score {hit['score']:.4f} = semantic {hit['score_parts'][0]['value']:.4f} " + " ".join(
            f"+ {part['name']} "
            + (f"{part['value']:.4f}" if part["weight"] == 1 else
               f"{part['weight']:g}×{part['value']:.{4 if part['weight'] < 1 else 5}f}")
            for part in hit["score_parts"][1:])
        for hit in hits[:4]]
    assert [line for line in lines if line.startswith("    keyword leg ")] == [
        f"    keyword leg #{hit['keyword_rank']} (BM25 {hit['keyword_score']:.3f}), "
        f"semantic leg #{hit['semantic_rank']} (cosine {hit['semantic_score']:.3f})" for hit in hits[:4]]


@pytest.mark.parametrize("query", ['?!.,;:"()', "...", "— – …", "🙂🌧️"])
def test_a_query_without_letters_or_digits_finds_nothing_and_says_why(runner, fake_index, query):
    result = run(runner, "search", query, "--index", fake_index)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "No results: the query has no letters or digits.\n"
    result = run(runner, "search", query, "--json", "--index", fake_index)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, "[]\n", "No results: the query has no letters or digits.\n")


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "\x00\x1b"])
def test_an_empty_query_is_a_usage_error(runner, fake_index, query):
    result = run(runner, "search", query, "--index", fake_index)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == "Error: Invalid value for QUERY: is empty; give the words to look for"
