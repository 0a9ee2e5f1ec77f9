"""The outlet a dateline names becomes the source when no metadata or URL names one (issue 19, item 10)."""
from __future__ import annotations

import pytest

from index.reading.outlets import dateline_outlet


@pytest.mark.parametrize("text, outlet", [
    ("Judul\nMOSKWA, KOMPAS.com - Kremlin pada Jumat mengatakan", "kompas.com"),
    ("Kompas.com - 11/09/2020, 18:43 WIB\nIsi", "kompas.com"),
    ("Merdeka.com -\nAksi bullying kembali marak", "merdeka.com"),  # the dash ends the line
    ("Jakarta (ANTARA News) - Presiden Joko Widodo", "antaranews.com"),
    ("Kuala Lumpur, (AntaraKL) - Kelompok band", "antaranews.com"),  # a bureau of a known outlet
    ("JAKARTA (ANTARA) - Harga beras naik", "antaranews.com"),
    ("Jakarta, CNN Indonesia -- Menteri", "cnnindonesia.com"),
    ("LONDON (Reuters) - Oil prices rose", "reuters.com"),
    ("Jakarta, Liputan6.com - Banjir", "liputan6.com"),
    ("JUARA.NET, KUALA LUMPUR - Tim", "juara.net"),
    ("Jakarta, detikNews - Presiden", "detik.com"),
    ("(Klikanggaran)--Alexander Lukashenko telah tiba", "klikanggaran"),
    ("JAKARTA (Pos Kota) – Presiden Joko Widodo", "poskotanews.com"),
])
def test_a_dateline_names_its_outlet(text, outlet):
    assert dateline_outlet(text) == outlet


@pytest.mark.parametrize("text", [
    "INGGRIS - Manchester United menang",  # a country, not an outlet
    "JAKARTA - Belarusian President Alexander Lukashenko arrived",  # a place only
    "SOCHI, Russia - Belarusian President",
    "Penulis\n\nSumber AFP\n\nIsi berita",  # an agency credited, not a dateline
    "Bayi bernama Sukiyati (43) - lahir di kapal",  # a number in parentheses
    "JAKARTA (13/9) - Harga beras naik",
    "Presiden mengatakan. Reuters - kemudian",  # a sentence before the dash
    "Harga kopi Gayo naik tajam tahun ini, kata petani.",
])
def test_no_outlet_is_made_up(text):
    assert dateline_outlet(text) is None
