"""Reading, language tags, analysis and passages, without the model."""
from __future__ import annotations

import json

import pytest

from conftest import EN_SEED, ID_SEEDS, SEEDS
from index.analysis import terms
from index.documents import read_documents
from index.errors import DocumentError
from index.language import detect_language, detect_query_language
from index.passages import MAX_WORDS, passage_spans


def test_seeds_read_with_ids_titles_and_languages():
    docs = list(read_documents([SEEDS]))
    assert [d.id for d in docs] == sorted(ID_SEEDS | {EN_SEED})
    assert docs[3].title.startswith("Pushing For Resignation Through Larger Demonstrations")
    assert {d.id: detect_language(d.full_text) for d in docs} == {EN_SEED: "en", **dict.fromkeys(ID_SEEDS, "id")}


def test_language_tags_are_deterministic():
    text = "Presiden Rusia bertemu dengan pemimpin Belarus di Sochi"
    assert len({detect_language(text) for _ in range(20)}) == 1


def test_undetectable_text_is_und():
    assert detect_language("12345 !!! 678") == "und"


@pytest.mark.parametrize("query, lang", [
    ("Lukashenko asks Putin for support", "en"),
    ("protes di Minsk", "id"),
    ("Presiden Belarus minta bantuan Putin", "id"),
    ("Putin Lukashenko", None),
    # Headlines from the bench (ntrex-id-en) that the stopword vote alone called English:
    ("A.S. seharusnya menggandakan pendanaan A.I.", "id"),  # "A" of A.S. is no English "a"
    ("Bintang Game of Thrones Kit Harington mengkritik maskulinitas beracun", "id"),
    ("Elite League: Dundee Stars 5-3 Belfast Giants", None),
])
def test_query_language(query, lang):
    assert detect_query_language(query) == lang


def test_analysis_per_language():
    assert terms("text_id", "Pengunjuk rasa membanjiri jalan-jalan Minsk") == ["unjuk", "rasa", "banjir", "jalan", "jalan", "minsk"]
    assert terms("text_en", "The protesters were demonstrating in Minsk") == ["protest", "demonstr", "minsk"]
    assert terms("text_exact", "Setidaknya 100.000 pengunjuk rasa di Minsk") == ["setidaknya", "100.000", "pengunjuk", "rasa", "minsk"]


def test_jsonl_reading_and_bad_lines(tmp_path):
    path = tmp_path / "news.jsonl"
    lines = [json.dumps({"id": "a1", "title": "Judul", "text": "Isi berita.", "date": "2020-09-14"}),
             "{broken", json.dumps({"title": "no text"}), json.dumps({"text": "Body only."})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors: list[DocumentError] = []
    docs = list(read_documents([path], on_error=errors.append))
    assert [(d.id, d.title, d.date) for d in docs] == [(f"{path}#a1", "Judul", "2020-09-14"),
                                                       (f"{path}:4", "Body only.", None)]
    assert [(e.line, e.reason.split(" ")[0]) for e in errors] == [(2, "invalid"), (3, "no")]
    assert str(errors[0]).startswith(f"{path}:2: ")


def test_passages_cover_a_long_document_whole():
    text = " ".join(f"Kalimat nomor {i} tentang protes di Minsk." for i in range(200))
    spans = passage_spans(text)
    assert len(spans) > 1
    assert all(len(text[s:e].split()) <= MAX_WORDS for s, e in spans)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert "".join(text[s:e] for s, e in spans).replace(" ", "") == text.replace(" ", "")


@pytest.mark.parametrize("field", ["text_id", "text_en", "text_exact"])
def test_term_spans_equal_the_whoosh_analyzers(field):
    from index.analysis import FIELDS, term_spans

    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    texts.append("A 9 x di The 100.000 orang-orang 11/09/2020 İstanbul ÉLYSÉE straße Ⅻ ½ n't")
    for text in texts:
        whoosh = [(t.startchar, t.endchar, t.text) for t in FIELDS[field]()(text, chars=True)]
        assert term_spans(field, text) == whoosh
