"""Hostile or odd queries never crash a search: listed cases, then a hypothesis fuzz of the query path."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run
from fakes import FakeEmbedder
from index.storage.builder import build_index
from index.embedding.engine import VectorCache
from search.engine import Mode, search
from search.reader import IndexReader

HOSTILE = [
    "", " ", "\n\t", "the of and to", "yang dan di ke dari", "AND (", '"unclosed', "title:", "*", "?",
    "OR OR NOT", "text_id:banjir", "id:*", "(((((", ")", "banjir^5", "banjir~2", "[a TO z]", "{}", "\\",
    "a" * 10_000, "banjir " * 2_000, "🌧️🇮🇩 banjir 🙂", "\x00\x01\x1b[31mbanjir\x7f", "\u202ebanjir\u200b",
    "ٱلْعَرَبِيَّة", "日本語の検索", "Ｊａｋａｒｔａ", "İSTANBUL ß ﬁ", "\ud7ff\ue000\ufffd", "-1", "0", "NaN",
]

CORPUS = {
    "banjir.txt": "Banjir di Jakarta\n\nHujan deras membuat banjir di Jakarta Utara. Warga mengungsi.",
    "gempa.txt": "Gempa di Sulawesi\n\nGempa bumi mengguncang Palu pada pagi hari.",
    "election.txt": "Election in Surabaya\n\nVoters in Surabaya chose a new mayor on Sunday.",
    "rice.txt": "Rice exports fell\n\nRice exports fell in May as prices rose across Asia.",
}


@pytest.fixture(scope="module")
def reader(tmp_path_factory) -> IndexReader:
    root = tmp_path_factory.mktemp("queries")
    for name, text in CORPUS.items():
        (root / "corpus").mkdir(exist_ok=True)
        (root / "corpus" / name).write_text(text, encoding="utf-8")
    embedder = FakeEmbedder()
    build_index([root / "corpus"], root / "index", embedder, cache=VectorCache(embedder, root / "cache.sqlite"))
    opened = IndexReader(root / "index")
    opened.__dict__["embedder"] = embedder  # the cached_property, overridden
    return opened


def check(reader: IndexReader, query: str, mode: Mode, lang: str | None, k: int = 5) -> None:
    hits = search(reader, query, k=k, mode=mode, lang=lang)
    assert [hit.rank for hit in hits] == list(range(1, len(hits) + 1))
    assert len({hit.id for hit in hits}) == len(hits) <= k
    assert {hit.id for hit in hits} <= {doc.id for doc in reader.docs}
    assert all(lang is None or hit.lang == lang for hit in hits)
    for hit in hits:
        assert all(0 <= start < end <= len(hit.snippet) for start, end in hit.highlights)


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries(reader, query):
    for mode in Mode:
        for lang in (None, "id", "en"):
            check(reader, query, mode, lang)


def test_empty_and_stopword_queries_find_nothing_by_keyword(reader):
    assert search(reader, "", mode=Mode.hybrid) == []
    assert search(reader, " \x00\t ", mode=Mode.semantic) == []
    assert search(reader, "yang dan di", mode=Mode.keyword) == []


FRAGMENTS = st.sampled_from(["AND", "OR", "NOT", "(", ")", '"', ":", "*", "?", "~", "^", "title:", "banjir",
                             "Jakarta", "rice", "yang", "the", "🙂", "\x00", "\u200b", "-", "\\"])
QUERIES = st.one_of(
    st.text(max_size=200),
    st.lists(FRAGMENTS, max_size=12).map(" ".join),
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=10).map("".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=QUERIES, mode=st.sampled_from(list(Mode)), lang=st.sampled_from([None, "id", "en"]),
       k=st.integers(min_value=1, max_value=20))
def test_fuzz_the_query_path(reader, query, mode, lang, k):
    check(reader, query, mode, lang, k)


@pytest.mark.parametrize("query", ['"unclosed AND (', "a" * 2_000, "🌧️ \x1b[31m title:*"])
def test_hostile_queries_through_the_cli(runner, seeds_index: Path, query):
    result = run(runner, "search", query, "--index", seeds_index, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("[")


def test_a_query_over_the_documented_limit_is_a_usage_error(runner, seeds_index: Path):
    from search.engine import MAX_QUERY_CHARS

    result = run(runner, "search", "a" * 10_000, "--index", seeds_index)
    assert result.exit_code == 2
    assert "Invalid value for QUERY: is 10,000 characters long, over the limit of 2,000; give fewer words" in result.stderr
    assert f"at most {MAX_QUERY_CHARS:,} characters" in " ".join(run(runner, "search", "--help").stdout.split())
