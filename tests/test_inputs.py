"""Input formats: saved web pages, CSV, JSONL metadata, and where source and dates come from."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import run, run_json
from index.reading.documents import read_documents
from index.errors import DocumentError

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"


def test_saved_news_pages_give_article_title_date_author_and_source():
    errors: list[DocumentError] = []
    docs = {doc.id: doc for doc in read_documents([PAGES], on_error=errors.append)}
    assert errors == []
    kompas = docs[str(PAGES / "kompas" / "belarus-minta-bantuan.html")]
    assert kompas.title == "Terus Didesak Mundur, Presiden Belarus Akan ke Rusia Minta Bantuan Putin"
    assert (kompas.date, kompas.source, kompas.author) == ("2020-09-11", "kompas.com", "Aditya Jaya Iswara")
    assert "Wanita berusia 38 tahun itu kini sedang berlindung di Lithuania" in kompas.text
    for junk in ("Beranda", "Terkini Lainnya", "Singapore Airlines", "Israel", "Baca juga", "ADVERTISEMENT",
                 "Bagikan artikel", "Login untuk", "Copyright", "Baca berita tanpa iklan"):
        assert junk not in kompas.full_text, junk
    wire = docs[str(PAGES / "wire" / "lukashenko-meets-putin.htm")]
    assert wire.title == "Belarusian President Lukashenko Meets Putin Asking For Support"
    assert (wire.date, wire.source, wire.author) == ("2020-09-14", "wire", "Maria Petrova")  # no URL: folder
    assert wire.text.startswith("SOCHI, Russia - Belarusian President Alexander Lukashenko arrived")
    assert "paratroopers" in wire.text
    for junk in ("Subscribe", "Sign in", "Read more", "Related Stories", "Singapore", "Israel", "Follow us"):
        assert junk not in wire.full_text, junk
    assert [(cut.text, cut.reason) for cut in wire.removed] == [
        ("Read more: Thousands march in Minsk for a fifth weekend", "teaser")]
    detik = docs[str(PAGES / "detik" / "putin-lukashenko-sochi.html")]  # no date in the page's metadata
    assert detik.title == "Lukashenko Tiba di Sochi, Minta Dukungan Putin di Tengah Protes"
    assert (detik.date, detik.source) == ("2020-09-14", "detik")
    assert detik.text.startswith("Sochi - Presiden Belarus Alexander Lukashenko tiba di Sochi")
    assert detik.text.endswith("mendukung sistem perbankannya.")
    for junk in ("Simak juga", "Lihat juga", "Gambas", "rdp/rdp", "Berita Terkait", "Singapore", "Masuk"):
        assert junk not in detik.full_text, junk


def test_a_page_without_an_article_is_named_and_skipped(tmp_path):
    (tmp_path / "empty.html").write_text("<html><head><title>Kosong</title></head>"
                                         "<body><script>var a = 1;</script></body></html>")
    errors: list[DocumentError] = []
    assert list(read_documents([tmp_path], on_error=errors.append)) == []
    assert [e.reason for e in errors] == ["no article text found in the page; skipped"]


def test_csv_with_header(tmp_path):
    path = tmp_path / "arsip.csv"
    path.write_text(
        "id,title,date,url,text\n"
        'a1,Putin bertemu Lukashenko,14/09/2020,https://www.kompas.com/x,"Putin bertemu Lukashenko di Sochi.\n'
        'Baca juga: Berita lain\nKeduanya membahas energi."\n'
        ",,,,\n"
        "a2,Tanpa isi,2020-09-15,,\n"
        ",Body only,not a date,,Lukashenko returned to Minsk on Tuesday.\n",
        encoding="utf-8")
    errors: list[DocumentError] = []
    docs = list(read_documents([path], on_error=errors.append))
    assert [(d.id, d.title, d.date, d.source, d.url) for d in docs] == [
        (f"{path}#a1", "Putin bertemu Lukashenko", "2020-09-14", "kompas.com", "https://www.kompas.com/x"),
        (f"{path}:7", "Body only", None, tmp_path.name.lower(), None),
    ]
    assert [(d.file, d.key, d.path) for d in docs] == [(str(path), "a1", f"{path}:2"), (str(path), None, f"{path}:7")]
    assert docs[0].text == "Putin bertemu Lukashenko di Sochi.\nKeduanya membahas energi."
    assert [str(e) for e in errors] == [f"{path}:6: the row's text is empty; row skipped",
                                        f"{path}:7: date 'not a date' not understood; ignored"]


def test_csv_without_text_column_is_skipped(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("title,body\nJudul,Isi\n", encoding="utf-8")
    errors: list[DocumentError] = []
    assert list(read_documents([path], on_error=errors.append)) == []
    assert [e.reason for e in errors] == ["CSV header has no 'text' column; skipped"]


def test_source_from_metadata_url_or_folder(tmp_path):
    (tmp_path / "detik").mkdir()
    (tmp_path / "detik" / "a.txt").write_text("Judul\nIsi berita pertama.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Judul dua\nIsi berita kedua.", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text("\n".join([
        json.dumps({"id": "j1", "text": "Isi.", "url": "https://news.detik.com/berita/1"}),
        json.dumps({"id": "j2", "text": "Isi.", "source": "Tempo", "url": "https://tempo.co/x"}),
    ]), encoding="utf-8")
    sources = {d.id.removeprefix(f"{tmp_path}/"): d.source for d in read_documents([tmp_path])}
    assert sources == {"detik/a.txt": "detik", "b.txt": tmp_path.name.lower(), "c.jsonl#j1": "news.detik.com",
                       "c.jsonl#j2": "tempo"}


def test_html_folder_indexes_and_undetectable_text_is_und(runner, tmp_path):
    (tmp_path / "pages").mkdir()
    for page in PAGES.rglob("*.htm*"):
        (tmp_path / "pages" / page.name).write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "pages" / "angka.txt").write_text("12345 !!! 678\n", encoding="utf-8")
    index = tmp_path / "ix"
    result = run(runner, "index", tmp_path / "pages", "--index", index)
    assert result.exit_code == 0, result.stderr
    assert "Indexed 4 documents (languages: en 1, id 2, und 1)" in result.stderr
    shown = run_json(runner, "show", tmp_path / "pages" / "angka.txt", "--index", index)
    assert (shown["lang"], shown["text"]) == ("und", "12345 !!! 678")
    hits = run_json(runner, "search", "Lukashenko minta bantuan Putin", "--index", index)
    assert {(Path(h["id"]).name, h["title"], h["date"], h["source"]) for h in hits
            if not h["id"].endswith("angka.txt")} == {
        ("belarus-minta-bantuan.html", "Terus Didesak Mundur, Presiden Belarus Akan ke Rusia Minta Bantuan Putin",
         "2020-09-11", "kompas.com"),
        ("lukashenko-meets-putin.htm", "Belarusian President Lukashenko Meets Putin Asking For Support",
         "2020-09-14", "pages"),
        ("putin-lukashenko-sochi.html", "Lukashenko Tiba di Sochi, Minta Dukungan Putin di Tengah Protes",
         "2020-09-14", "pages"),
    }


def test_an_english_quote_leaves_an_indonesian_article_indonesian():
    from index.reading.language import detect_language

    article = ("Presiden Belarus Alexander Lukashenko akan berbicara langsung dengan Presiden Rusia "
               "Vladimir Putin pada Senin mendatang di Sochi. Kunjungan ini dilakukan seiring gelombang "
               "demonstrasi yang menuntut pengunduran dirinya. \"We have to show with this march that he "
               "does not control the country,\" kata seorang pekerja logistik. Juru bicara Kremlin "
               "mengatakan tidak ada rencana untuk mengadakan konferensi pers bersama.")
    assert detect_language(article) == "id"


def test_csv_row_of_the_wrong_width_says_so(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("id,title,text\nb1,Judul,Isi berita pertama.\nb2,Judul kedua\n", encoding="utf-8")
    errors: list[DocumentError] = []
    assert [d.key for d in read_documents([path], on_error=errors.append)] == ["b1"]
    assert [str(e) for e in errors] == [f"{path}:3: row has 2 columns, the header 3; row skipped"]
