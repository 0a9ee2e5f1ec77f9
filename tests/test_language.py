"""The query's language from the archive's own vocabulary, when its words leave it unclear."""
from __future__ import annotations

import json

import pytest

from fakes import FakeEmbedder
from index.storage.builder import build_index
from index.embedding.engine import VectorCache
from search import language
from search.engine import Mode, search
from search.reader import IndexReader

STORIES = [  # one story on each side, the other story in the other language
    {"id": "id-norton", "text": "Polisi menangkap empat orang karena percobaan pembunuhan di Midsomer Norton. "
                                "Serangan itu terjadi pada malam hari dan para tersangka ditahan."},
    {"id": "id-harington", "text": "Bintang Game of Thrones Kit Harington mengkritik maskulinitas beracun "
                                   "dalam wawancara dengan sebuah majalah."},
    {"id": "en-norton", "text": "Police arrested four people for attempted murder after the attack in Midsomer "
                                "Norton. The suspects were held overnight."},
    {"id": "en-harington", "text": "Game of Thrones star Kit Harington hits out at toxic masculinity in an "
                                   "interview with a magazine."},
]


@pytest.fixture
def reader(tmp_path):
    (tmp_path / "news.jsonl").write_text("\n".join(json.dumps(s) for s in STORIES), encoding="utf-8")
    embedder = FakeEmbedder()
    build_index([tmp_path / "news.jsonl"], tmp_path / "index", embedder,
                cache=VectorCache(embedder, tmp_path / "vectors.sqlite"))
    reader = IndexReader(tmp_path / "index")
    reader.__dict__["embedder"] = embedder  # the cached_property, overridden
    assert reader.language_counts == {"en": 2, "id": 2}
    return reader


@pytest.mark.parametrize("query, lang", [
    ("Harington maskulinitas beracun", "id"),  # both words only in the Indonesian story
    ("Norton attack arrests", "en"),  # "attack", "arrest" only in English; "Norton" in both
    ("Harington toxic masculinity", "en"),
    ("Harington Norton", None),  # names both versions carry: no vote
    ("Norton serangan attack", None),  # one vote each way
])
def test_words_only_one_languages_documents_have_vote(reader, monkeypatch, query, lang):
    monkeypatch.setattr(language, "MIN_DOCS", 2)
    assert language.language_in_index(reader, query) == lang
    assert language.query_language(reader, query) == lang  # the words alone leave these unclear


def test_an_index_short_of_either_language_says_nothing(reader):
    assert language.MIN_DOCS == 50
    assert language.language_in_index(reader, "Harington maskulinitas beracun") is None


def test_the_query_language_decides_the_fusion_groups(reader, monkeypatch):
    # Told by the index that "Harington toxic masculinity" is English, the hybrid scores the
    # English story with BM25 and the Indonesian one with the lead and name matches; left
    # unclear, every document gets all three (BM25 at the unclear query's weight).
    def parts(query):
        return {hit.key: [part.name for part in hit.score_parts] for hit in search(reader, query, k=4, mode=Mode.hybrid)}

    assert parts("Harington toxic masculinity")["en-harington"] == ["semantic", "keyword", "lead", "names"]
    monkeypatch.setattr(language, "MIN_DOCS", 2)
    assert parts("Harington toxic masculinity")["en-harington"] == ["semantic", "keyword"]
    assert parts("Harington toxic masculinity")["id-harington"] == ["semantic", "lead", "names"]
