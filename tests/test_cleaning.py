"""The boilerplate cleaner and date finder, on the seeds and on small made-up articles."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import EN_SEED, SEEDS, seed_id
from index.reading.cleaning import HEADLINE_WORDS, clean_article, rebuild_raw
from index.reading.dates import find_date, parse_date
from index.reading.documents import read_documents

DOCS = {doc.id: doc for doc in read_documents([SEEDS])}


def raw(seed: str) -> str:
    return Path(seed).read_text(encoding="utf-8")  # a seed's id is its file


def test_seed_000_loses_its_teasers_and_keeps_the_story():
    text = DOCS[seed_id("000_0dfaffacd213fe91")].text
    for junk in ("Baca juga: Ketika Jakarta Harus PSBB Lagi",
                 "Baca juga: Ribuan warga Israel memprotes Perdana Menteri Benjamin Netanyahu di Yerusalem",
                 "Baca juga: BPK Didesak Audit Anggaran Covid-19 di Kota Tebing Tinggi"):
        assert junk not in text
    assert "Israel" not in text and "Baca juga" not in text
    assert "Pertemuan antara kedua pemimpin menandai pembicaraan tatap muka pertama mereka" in text
    assert "Pada hari Senin, dewan hak asasi PBB setuju untuk menjadi tuan rumah debat mendesak" in text
    assert text.rstrip().endswith("menjadi \"jembatan melawan Rusia\".")


def test_seed_004_loses_the_kompas_wall_and_keeps_the_story():
    doc = DOCS[seed_id("004_111cb5bf34ac05bb")]
    for junk in ("Terkini Lainnya", "Baca berita tanpa iklan", "Singapore Airlines", "Israel",
                 "Bagikan artikel ini", "Login untuk memaksimalkan", "Close Ads", "Video rekomendasi",
                 "Halaman:", "Baca juga", "Misteri Area 51", "Global\n", "Komentar", "\nOke"):
        assert junk not in doc.text, junk
    assert "MOSKWA, KOMPAS.com - Kremlin pada Jumat (11/9/2020) mengatakan" in doc.text
    assert "Wanita berusia 38 tahun itu kini sedang berlindung di Lithuani usai terus mendapat tekanan." in doc.text
    assert doc.text.rstrip().endswith("kadang-kadang mempermainkannya untuk melawan Uni Eropa.")
    assert doc.title == "Terus Didesak Mundur, Presiden Belarus Akan ke Rusia Minta Bantuan Putin"
    assert doc.author == "Aditya Jaya Iswara"
    assert doc.date == "2020-09-11"
    reasons = {cut.text: cut.reason for cut in doc.removed}
    assert reasons["Terkini Lainnya"] == "related"
    assert reasons["Baca berita tanpa iklan. Gabung Kompas.com+"] == "prompt"
    assert reasons["Baca juga: Pilpres Belarus Ricuh, Capres sampai Kabur ke Negara Tetangga"] == "teaser"


def test_seed_002_loses_its_spam_byline_and_gets_its_headline():
    doc = DOCS[seed_id("002_a5b2618d017f9403")]
    assert "Bandar Togel" not in doc.text and "Breaking News" not in doc.text
    assert doc.author is None  # a byline after the story is not the article's author
    assert doc.title == "Putin, Lukashenka Menyimpulkan Pembicaraan Saat Barat Meningkatkan Tekanan"
    assert "Dengan pelaporan oleh dpa dan TASS" in doc.text
    assert doc.date == "2021-02-22"  # "22 Februari", after the "September 2020" it mentions


def test_clean_seeds_are_untouched():
    for seed in (seed_id("001_cf8019bd0f87cf4f"), EN_SEED):
        assert DOCS[seed].text == raw(seed).strip()
        assert DOCS[seed].date is None  # no year anywhere in either text: undated, not guessed


def test_no_long_line_of_any_seed_is_cut_but_a_copyright_notice():
    long_cuts = []
    for seed, doc in DOCS.items():
        long_lines = [line for line in raw(seed).splitlines() if len(line.split()) > HEADLINE_WORDS]
        assert long_lines, seed
        long_cuts += [line for line in long_lines if line not in doc.text]
    assert [line[:30] for line in long_cuts] == ["Hak Cipta (c) 2018. RFE / RL, "]


@pytest.mark.parametrize("seed", sorted(DOCS))
def test_raw_text_is_rebuilt_from_cleaned_text_and_record(seed):
    text = raw(seed)
    cleaned = clean_article(text)
    rebuilt = rebuild_raw(cleaned.text, [(c.line, c.text, c.reason) for c in cleaned.removed])
    assert "\n".join(line for line, _ in rebuilt) == text
    assert [line for line, reason in rebuilt if reason is None] == cleaned.text.split("\n")


def test_english_boilerplate():
    article = "\n".join([
        "Subscribe now for unlimited access",
        "Belarus leader flies to Sochi",
        "By: Maria Petrova",
        "ADVERTISEMENT",
        "Lukashenko landed in Sochi on Monday to ask Putin for help.",
        "READ MORE: Thousands march in Minsk",
        "Share this article",
        "The two leaders talked for hours about energy and debt.",
        "Most Popular",
        "Singapore Airlines flight hits turbulence",
        "Israel faces isolation in Europe",
        "© 2020 World News Wire. All rights reserved.",
    ])
    cleaned = clean_article(article)
    assert cleaned.text == ("Belarus leader flies to Sochi\n"
                            "Lukashenko landed in Sochi on Monday to ask Putin for help.\n"
                            "The two leaders talked for hours about energy and debt.")
    assert cleaned.author == "Maria Petrova"
    assert [c.reason for c in cleaned.removed] == ["prompt", "byline", "furniture", "teaser", "prompt",
                                                   "related", "related", "related", "copyright"]


@pytest.mark.parametrize("junk, reason", [
    ("Baca Juga: Putin Sambut Lukashenko di Sochi", "teaser"),
    ("BACA JUGA: Putin Sambut Lukashenko di Sochi", "teaser"),
    ("Simak juga 'Ribuan Warga Belarus Turun ke Jalan':", "teaser"),
    ("Lihat juga: Oposisi Belarus Sobek Paspor", "teaser"),
    ("Baca selengkapnya di sini", "teaser"),
    ("ADVERTISEMENT", "furniture"), ("SCROLL TO CONTINUE WITH CONTENT", "furniture"),
    ("Halaman:", "furniture"), ("Halaman 2 dari 3", "furniture"), ("1 2 3 Selanjutnya", "furniture"),
    ("Video rekomendasi", "furniture"), ("[Gambas:Video 20detik]", "furniture"), ("(rdp/rdp)", "furniture"),
    ("Tags: belarus, putin", "furniture"),
    ("Dapatkan update berita pilihan setiap hari dari Kompas.com", "prompt"),
    ("Ikuti kami di Google News", "prompt"), ("Download the app for breaking news alerts", "prompt"),
    ("Editor : Egidius Patnistik", "byline"), ("Copyright © 2020 Kompas.com", "copyright"),
])
def test_indonesian_and_english_junk_lines(junk, reason):
    story = "Presiden Belarus Alexander Lukashenko tiba di Sochi untuk bertemu Putin."
    cleaned = clean_article(f"{story}\n{junk}\n{story}")
    assert cleaned.text == f"{story}\n{story}"
    assert [(cut.text, cut.reason) for cut in cleaned.removed] == [(junk, reason)]


def test_story_sentences_that_look_like_boilerplate_stay():
    article = "\n".join([
        "Warga diminta membaca juga aturan baru sebelum mudik.",
        "Most popular among voters was the promise to subscribe to a new pension plan, officials said.",
        "Related headlines",
        "The ministry said the plan will start next year and cover every province.",
    ])
    assert clean_article(article).text == article


def test_a_bare_label_is_a_byline_only_under_a_name():
    listicle = "\n".join([
        "Bekerja di bidang sosial membuatmu berinteraksi dengan banyak orang.",
        "Penulis",
        "Profesi selanjutnya yang sering membuat orang stres adalah menjadi penulis.",
    ])
    assert clean_article(listicle).text == listicle  # a subheading in a list of jobs (IndoSum)
    cleaned = clean_article("Judul Berita\nAditya Jaya Iswara\n\nPenulis\nIsi berita yang panjang di sini.")
    assert cleaned.author == "Aditya Jaya Iswara"
    assert cleaned.text == "Judul Berita\n\nIsi berita yang panjang di sini."


def test_doubled_headline_list_without_a_heading_goes():
    story = "Putin dan Lukashenko bertemu di Sochi untuk membahas integrasi kedua negara."
    wall = ["Rusia Duduki Lagi Desa di Ukraina", "Rusia Duduki Lagi Desa di Ukraina", "Global",
            "Ekuador Perang Lawan Geng Narkoba", "Ekuador Perang Lawan Geng Narkoba", "Global"]
    cleaned = clean_article("\n".join([story, *wall]))
    assert cleaned.text == story


@pytest.mark.parametrize("value, iso", [
    ("2020-09-14", "2020-09-14"), ("2020-09-14T10:00:00Z", "2020-09-14"), ("14/9/2020", "2020-09-14"),
    ("Mon, 14 Sep 2020 10:00:00 +0700", "2020-09-14"), ("September 14, 2020", "2020-09-14"),
    ("14 Agustus 2020", "2020-08-14"), ("31/02/2020", None), ("soon", None),
])
def test_parse_metadata_dates(value, iso):
    assert parse_date(value) == iso


@pytest.mark.parametrize("text, iso", [
    ("Judul\nKompas.com - 11/09/2020, 18:43 WIB\nIsi berita.", "2020-09-11"),
    ("Judul\nIsi.\nLain.\nLain.\nLain.\nLain.\nLain.\nKremlin pada Senin (14/9/2020) mengatakan.", "2020-09-14"),
    ("Title\nSOCHI, 13 September 2020 - Putin met Lukashenko.", "2020-09-13"),
    ("Judul\nJAKARTA, 13 September - Protes berlanjut.\nSejak pemilu Agustus 2020.", "2020-09-13"),
    ("Judul\nPada 22 Februari mereka bertemu.\nSejak pemilu Agustus 2020.", "2021-02-22"),
    ("Title\nProtesters marched on Sunday 13 September.", None),
    ("Title\nNo date at all.", None),
])
def test_find_date_in_datelines(text, iso):
    assert find_date(text) == iso


LINES = ["Baca juga: Putin di Sochi", "", "  ", "Global", "Terkini Lainnya", "Judul Berita Lain",
         "Presiden Lukashenko tiba di Sochi untuk bertemu Putin pada hari Senin.", "Penulis", "Budi Santoso",
         "ADVERTISEMENT", "Author : Bandar Togel", "Hak Cipta (c) 2018.", "Oke"]


@given(st.lists(st.one_of(st.sampled_from(LINES), st.text(max_size=40).map(lambda t: t.replace("\n", " "))),
                max_size=30))
def test_any_text_is_rebuilt_exactly_and_story_lines_stay(lines):
    text = "\n".join(lines)
    cleaned = clean_article(text)
    rebuilt = rebuild_raw(cleaned.text, [(c.line, c.text, c.reason) for c in cleaned.removed])
    assert "\n".join(line for line, _ in rebuilt) == text
    story = "Presiden Lukashenko tiba di Sochi untuk bertemu Putin pada hari Senin."
    assert cleaned.text.count(story) == lines.count(story)
