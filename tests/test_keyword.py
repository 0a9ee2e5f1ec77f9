"""The BM25 leg: its common-terms shortcut on the real seeds index, and the lead match."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import EN_SEED
from fakes import FakeEmbedder
from index.reading.analysis import names_and_numbers
from index.storage.builder import build_index
from index.embedding.engine import VectorCache
from search import keyword
from search.engine import Mode, gather_legs, search
from search.reader import IndexReader


@pytest.fixture
def reader(seeds_index):
    return IndexReader(seeds_index)


def test_small_index_is_searched_exactly(reader):
    # "putin" is in every seed, "paratroopers" in 003 only; 5 documents is far below the
    # size where common terms are split off, so every seed matches.
    found = keyword.keyword_search(reader, {"text_exact": ["putin", "paratroopers"]}, 10)
    assert len(found) == 5 and found[0][0] == EN_SEED


def test_common_terms_only_score_documents_the_rare_terms_found(reader, monkeypatch):
    terms = {"text_exact": ["putin", "paratroopers"]}
    exact = dict(keyword.keyword_search(reader, terms, 10))
    monkeypatch.setattr(keyword, "MIN_COMMON_DOCS", 0)
    monkeypatch.setattr(keyword, "COMMON_FRACTION", 0.5)  # "putin" (5 of 5 seeds) is common
    found = keyword.keyword_search(reader, terms, 10)
    assert [doc for doc, _ in found] == [EN_SEED]
    assert found[0][1] == pytest.approx(exact[EN_SEED])  # the common term still counts for it


def test_a_query_of_common_terms_only_is_searched_whole(reader, monkeypatch):
    terms = {"text_exact": ["putin"]}
    exact = keyword.keyword_search(reader, terms, 10)
    monkeypatch.setattr(keyword, "MIN_COMMON_DOCS", 0)
    monkeypatch.setattr(keyword, "COMMON_FRACTION", 0.5)
    assert keyword.keyword_search(reader, terms, 10) == exact


def test_scores_of_given_documents_equal_the_search_scores(reader, monkeypatch):
    terms = {"text_exact": ["putin", "sochi"], "text_en": ["paratroop"]}
    searched = dict(keyword.keyword_search(reader, terms, 10))
    ids = list(searched) + ["no-such-id"]
    scored = keyword.keyword_scores_of(reader, terms, ids)  # looked up in the search's scores
    assert scored.pop("no-such-id") == 0.0
    assert scored == searched and len(scored) == 5
    monkeypatch.setattr(keyword, "MIN_COMMON_DOCS", 0)
    monkeypatch.setattr(keyword, "COMMON_FRACTION", 0.5)  # "putin" is common: postings skipped to the ids
    skipped = keyword.keyword_scores_of(reader, terms, ids)
    assert skipped.pop("no-such-id") == 0.0
    assert skipped == searched


def test_question_words_leave_the_keyword_terms():
    # "Berapakah" would stem to "apa" (as "apakah" and "mengapakah" do) and match questions
    # quoted in the archive; the exact field would look for the word as written.
    assert keyword.query_terms("Berapakah umur Tirunesh Dibaba?", "id") == {
        "text_id": ["umur", "tirunesh", "baba"], "text_exact": ["umur", "tirunesh", "dibaba"]}
    assert keyword.query_terms("Di negara manakah kota Karlsruhe berada?", "id") == {
        "text_id": ["negara", "kota", "karlsruhe", "ada"], "text_exact": ["negara", "kota", "karlsruhe", "berada"]}
    assert keyword.query_terms("Whose is the Lukashenko plane?", None) == {
        "text_id": ["is", "the", "lukashenko", "plane"], "text_en": ["lukashenko", "plane"],
        "text_exact": ["lukashenko", "plane"]}
    assert keyword.query_terms("Siapakah?", "id") == {"text_id": [], "text_exact": []}


def test_lead_match_is_the_idf_weighted_share_of_query_words_in_title_and_first_passage(tmp_path):
    filler = "Hujan turun di kota itu. " * 30  # 150 words: the first passage ends inside them
    articles = [
        {"id": "lead", "title": "Gempa Palu", "text": "Korban gempa di Palu mencapai 800 orang."},
        {"id": "tail", "title": "Cuaca di Palu", "text": filler + "Di tempat lain korban mencapai 800 orang."},
        {"id": "none", "title": "Harga beras", "text": "Harga beras naik lagi."},
    ]
    (tmp_path / "news.jsonl").write_text("\n".join(json.dumps(a) for a in articles), encoding="utf-8")
    embedder = FakeEmbedder()
    build_index([tmp_path / "news.jsonl"], tmp_path / "index", embedder,
                cache=VectorCache(embedder, tmp_path / "vectors.sqlite"))
    reader = IndexReader(tmp_path / "index")
    # "palu" and "800" are each in two of the three documents: equal idf, so each is half the share;
    # "tail" has "800" only past its first passage. A word no document has does not count.
    lead, tail, none = (f"{tmp_path / 'news.jsonl'}#{key}" for key in ("lead", "tail", "none"))
    shares = keyword.lead_matches(reader, ["palu", "800", "zzzz"], [lead, tail, none, "no-such-id"])
    assert shares == pytest.approx({lead: 1.0, tail: 0.5, none: 0.0, "no-such-id": 0.0})
    assert keyword.lead_matches(reader, ["zzzz"], [lead]) == {lead: 0.0}
    reader.__dict__["embedder"] = embedder  # the cached_property, overridden
    hits = {hit.key: hit.lead_match for hit in search(reader, "Palu 800", k=3, mode=Mode.hybrid)}
    assert hits == pytest.approx({"lead": 1.0, "tail": 0.5, "none": 0.0})
    assert all(hit.lead_match is None for hit in search(reader, "Palu 800", k=3, mode=Mode.semantic))


def test_name_match_is_the_idf_weighted_share_of_the_querys_names_anywhere_in_the_text(tmp_path):
    filler = "Hujan turun di kota itu. " * 30  # 150 words: the first passage ends inside them
    articles = [
        {"id": "lead", "title": "Gempa Palu", "text": "Korban gempa di Palu mencapai 800 orang."},
        {"id": "tail", "title": "Cuaca", "text": filler + "Di Palu korban mencapai 800 orang."},
        {"id": "half", "title": "Harga beras", "text": "Harga beras di Palu naik lagi."},
        {"id": "none", "title": "Harga gula", "text": "Harga gula naik lagi."},
    ]
    (tmp_path / "news.jsonl").write_text("\n".join(json.dumps(a) for a in articles), encoding="utf-8")
    embedder = FakeEmbedder()
    build_index([tmp_path / "news.jsonl"], tmp_path / "index", embedder,
                cache=VectorCache(embedder, tmp_path / "vectors.sqlite"))
    reader = IndexReader(tmp_path / "index")
    lead, tail, half, none = (f"{tmp_path / 'news.jsonl'}#{key}" for key in ("lead", "tail", "half", "none"))
    # "palu" is in three of the four documents, "800" in two: idf log(4/3) and log(2).
    palu, number = math.log(4 / 3), math.log(2)
    shares = keyword.name_matches(reader, ["palu", "800", "zzzz"], [lead, tail, half, none])
    assert shares == pytest.approx({lead: 1.0, tail: 1.0, half: palu / (palu + number), none: 0.0})
    # The lead match of the same words misses both in "tail", past its first passage.
    assert keyword.lead_matches(reader, ["palu", "800"], [tail]) == {tail: 0.0}
    assert keyword.name_matches(reader, [], [lead]) == {lead: 0.0}
    # The engine asks for the query's names and numbers only: words with a capital or a digit.
    reader.__dict__["embedder"] = embedder  # the cached_property, overridden
    legs = gather_legs(reader, "korban gempa di Palu mencapai 800", 10)
    assert legs.name_terms == ["palu", "800"]
    assert legs.names[half] == pytest.approx(palu / (palu + number))
    assert names_and_numbers("Presiden Joko Widodo di Jakarta, COVID-19 dan 2019 the") == [
        "presiden", "joko", "widodo", "jakarta", "covid", "19", "2019"]


def test_a_query_in_lower_case_takes_as_names_the_words_both_languages_hold(tmp_path):
    articles = [
        {"id": "banjir", "title": "Banjir merendam Jakarta",
         "text": "Banjir merendam ribuan rumah di Jakarta setelah hujan deras turun sepanjang malam, kata Gubernur Anies."},
        {"id": "beras", "title": "Harga beras naik",
         "text": "Harga beras di pasar tradisional naik lagi menjelang bulan puasa, kata para pedagang."},
        {"id": "rain", "title": "Heavy rain in Jakarta",
         "text": "Heavy rain caused floods in several districts of Jakarta on Monday, officials said."},
        {"id": "football", "title": "Club signs a striker",
         "text": "The football club signed a new striker for the season, its manager said on Friday."},
        {"id": "gempa", "title": "Gempa guncang Sulawesi",
         "text": "Gempa bumi mengguncang Sulawesi Barat pada dini hari dan merusak puluhan rumah warga."},
        {"id": "chips", "title": "Chip maker expands",
         "text": "The chip maker will build a second factory next year to meet the demand for its products."},
    ]
    (tmp_path / "news.jsonl").write_text("\n".join(json.dumps(a) for a in articles), encoding="utf-8")
    embedder = FakeEmbedder()
    build_index([tmp_path / "news.jsonl"], tmp_path / "index", embedder,
                cache=VectorCache(embedder, tmp_path / "vectors.sqlite"))
    reader = IndexReader(tmp_path / "index")
    reader.__dict__["embedder"] = embedder  # the cached_property, overridden
    assert reader.language_counts == {"en": 3, "id": 3}
    # "jakarta" is in a third of each language's documents: both write it alike. "floods" is in the
    # English ones only, a word of an English query's own language; "anies" in the Indonesian
    # ones only, which an English query can only have written as they do (a name).
    assert keyword.shared_words(reader, ["floods", "jakarta", "anies"], "en") == ["jakarta", "anies"]
    assert keyword.shared_words(reader, ["floods", "jakarta", "anies"], "id") == ["floods", "jakarta"]
    assert keyword.shared_words(reader, ["floods", "jakarta", "anies"], None) == ["jakarta"]
    assert gather_legs(reader, "floods in jakarta", 10).name_terms == ["jakarta"]
    assert gather_legs(reader, "anies and the floods in jakarta", 10).name_terms == ["anies", "jakarta"]
    # Typed with a capital, the names are the capitalised words, as before.
    assert gather_legs(reader, "Floods in Jakarta", 10).name_terms == ["floods", "jakarta"]
    assert gather_legs(reader, "floods in Jakarta", 10).name_terms == ["jakarta"]
    # An archive of one language has no words "both" write alike; nor has one whose second
    # language is too little of it to be one (the vector leg's balance counts it so).
    indonesian = [a for a in articles if a["id"] in ("banjir", "beras", "gempa")]
    for name, chosen in (("indonesian", indonesian), ("one-english", indonesian + [articles[2]])):
        (tmp_path / f"{name}.jsonl").write_text("\n".join(json.dumps(a) for a in chosen), encoding="utf-8")
        build_index([tmp_path / f"{name}.jsonl"], tmp_path / name, embedder,
                    cache=VectorCache(embedder, tmp_path / "vectors.sqlite"))
        other = IndexReader(tmp_path / name)
        assert other.language_counts == ({"id": 3} if name == "indonesian" else {"en": 1, "id": 3})
        assert keyword.shared_words(other, ["jakarta"], "en") == []


def _whoosh_search(reader, field_terms, limit, filter_query=None, boost=True):
    """What keyword_search computed before it scored postings as arrays: Whoosh's own search
    with its array matcher (with keyword.Term's boosts, unless ``boost`` is False)."""
    from whoosh.query import Or, Term

    make = keyword.Term if boost else Term
    query = Or([make(field, term) for field, words in field_terms.items() for term in words])
    query.matcher_type = Or.ARRAY_MATCHER
    with reader.searcher() as searcher:
        return [(hit["id"], float(hit.score))
                for hit in searcher.search(query, limit=limit, optimize=False, filter=filter_query)]


def test_keyword_search_scores_exactly_as_whoosh_over_segments_and_deletions(tmp_path, monkeypatch):
    from whoosh.query import Term

    from index.storage.builder import add_documents, remove_documents
    from search.filters import Filters

    words = ["banjir", "jakarta", "hujan", "gempa", "palu", "beras", "harga", "flood", "rice", "price"]
    rows = [{"id": f"d{i}", "title": f"Berita {i}",
             "text": " ".join(words[(i * j) % len(words)] for j in range(3 + i % 7)) + ". Kota itu ramai."}
            for i in range(40)]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    (tmp_path / "b.txt").write_text("Banjir dan gempa\n\nBanjir banjir di Palu, harga beras naik.", encoding="utf-8")
    embedder = FakeEmbedder()
    cache = VectorCache(embedder, tmp_path / "vectors.sqlite")
    build_index([tmp_path / "a.jsonl"], tmp_path / "index", embedder, cache=cache)
    add_documents([tmp_path / "b.txt"], tmp_path / "index", embedder, cache=cache)  # a second segment
    remove_documents(tmp_path / "index", [f"{tmp_path / 'a.jsonl'}#d3", f"{tmp_path / 'a.jsonl'}#d8"])
    reader = IndexReader(tmp_path / "index")
    with reader.searcher() as searcher:
        leaves = [leaf.reader() for leaf, _ in searcher.leaf_searchers()]
        assert len(leaves) >= 2 and any(leaf.has_deletions() for leaf in leaves)  # what this test is about
        for leaf in leaves:  # the raw column read equals Whoosh's own per-document read
            lengths = keyword._field_lengths(leaf, "text_exact")
            assert [lengths[n] for n in range(leaf.doc_count_all()) if not leaf.is_deleted(n)] == \
                [leaf.doc_field_length(n, "text_exact", 0) or 0 for n in range(leaf.doc_count_all())
                 if not leaf.is_deleted(n)]
    for terms in ({"text_exact": ["banjir", "palu", "rice", "zzzz"]},
                  {"text_id": ["banjir", "harga", "kota"], "text_en": ["rice", "flood"], "text_exact": ["banjir", "ramai"]},
                  {"text_exact": ["kota"]}):
        found = keyword.keyword_search(reader, terms, 50)
        assert found and found == _whoosh_search(reader, terms, 50)  # same ids, order and floats
        assert keyword.keyword_search(reader, terms, 5) == _whoosh_search(reader, terms, 5)
        filters = Filters(lang="id")
        assert keyword.keyword_search(reader, terms, 50, filters) == _whoosh_search(reader, terms, 50, filters.whoosh_query())
    assert f"{tmp_path / 'a.jsonl'}#d3" not in dict(keyword.keyword_search(reader, {"text_exact": words}, 50))
    # A Term's boost multiplies its BM25, as in Whoosh (bench/studies/keyword_variants.py weighs the exact field so)
    monkeypatch.setattr(keyword, "Term", lambda field, text: Term(field, text, boost=2.0 if field == "text_exact" else 1.0))
    terms = {"text_id": ["banjir", "harga"], "text_exact": ["banjir", "palu"]}
    boosted = keyword.keyword_search(reader, terms, 50)
    assert boosted == _whoosh_search(reader, terms, 50) and boosted != _whoosh_search(reader, terms, 50, boost=False)


def test_a_big_build_commits_its_keyword_index_in_segments_that_score_as_one(tmp_path, monkeypatch):
    """Issue 21: a build commits every SEGMENT_DOCUMENTS documents as a segment of their own
    (Whoosh's temporary files of one commit stopped a million-article build on a full disk). The
    BM25 leg takes its statistics from the whole index, so the hits and scores are those of one
    segment, and an update on top still works."""
    from index.storage import keyword as keyword_storage
    from index.storage.builder import add_documents

    words = ["banjir", "jakarta", "hujan", "gempa", "palu", "beras", "harga", "flood", "rice", "price"]
    rows = [{"id": f"d{i}", "title": f"Berita {i}",
             "text": " ".join(words[(i * j) % len(words)] for j in range(3 + i % 7)) + ". Kota itu ramai."}
            for i in range(40)]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    embedder = FakeEmbedder()
    cache = VectorCache(embedder, tmp_path / "vectors.sqlite")
    build_index([tmp_path / "a.jsonl"], tmp_path / "one", embedder, cache=cache)
    monkeypatch.setattr(keyword_storage, "SEGMENT_DOCUMENTS", 15)
    written = []
    build_index([tmp_path / "a.jsonl"], tmp_path / "three", embedder, cache=cache,
                progress=lambda stage, advance, total: written.append(advance) if stage == "write" else None)
    assert sum(written) == 40
    one, three = IndexReader(tmp_path / "one"), IndexReader(tmp_path / "three")
    with one.searcher() as searcher:
        assert len(searcher.leaf_searchers()) == 1
    with three.searcher() as searcher:
        assert [leaf.reader().doc_count() for leaf, _ in searcher.leaf_searchers()] == [15, 15, 10]
    for terms in ({"text_exact": ["banjir", "palu", "rice", "zzzz"]},
                  {"text_id": ["banjir", "harga", "kota"], "text_en": ["rice", "flood"], "text_exact": ["banjir", "ramai"]}):
        found = keyword.keyword_search(three, terms, 50)
        assert len(found) > 15 and found == keyword.keyword_search(one, terms, 50)
        assert found == _whoosh_search(three, terms, 50)
    (tmp_path / "b.txt").write_text("Banjir dan gempa\n\nBanjir banjir di Palu, harga beras naik.", encoding="utf-8")
    add_documents([tmp_path / "b.txt"], tmp_path / "three", embedder, cache=cache)
    updated = IndexReader(tmp_path / "three")
    assert str(tmp_path / "b.txt") in dict(keyword.keyword_search(updated, {"text_exact": ["palu"]}, 50))
    with updated.searcher() as searcher:
        assert searcher.doc_count() == 41


def _many_blocks(tmp_path, count: int) -> tuple[IndexReader, list[str]]:
    """An index whose terms' postings span many blocks (a block holds at most 128), in two
    segments (``count`` JSONL articles, then one text file added), five of the first segment's
    documents deleted; and the ids of its live documents."""
    from index.storage.builder import add_documents, remove_documents

    rows = [{"id": f"d{i}", "title": f"Berita {i}", "text": "banjir " * (1 + i % 5) + f"kota{i % 3} hujan"}
            for i in range(count)]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    (tmp_path / "b.txt").write_text("Banjir lagi\n\nBanjir banjir banjir di kota0.", encoding="utf-8")
    embedder = FakeEmbedder()
    cache = VectorCache(embedder, tmp_path / "vectors.sqlite")
    build_index([tmp_path / "a.jsonl"], tmp_path / "index", embedder, cache=cache)
    add_documents([tmp_path / "b.txt"], tmp_path / "index", embedder, cache=cache)
    removed = (0, 129, 130, 400, count - 1)
    remove_documents(tmp_path / "index", [f"{tmp_path / 'a.jsonl'}#d{i}" for i in removed])
    live = [f"{tmp_path / 'a.jsonl'}#d{i}" for i in range(count) if i not in removed] + [str(tmp_path / "b.txt")]
    return IndexReader(tmp_path / "index"), live


def test_postings_read_a_block_at_a_time_are_whooshs_own(tmp_path):
    """segment_postings decodes whole blocks through Whoosh's internals: the same numbers and
    frequencies as Whoosh's public matcher, posting by posting, over many blocks (a block holds
    at most 128 postings), two segments and deletions."""
    reader, _ = _many_blocks(tmp_path, 700)
    with reader.searcher() as searcher:
        read = 0
        for word in ("banjir", "kota0", "hujan", "nothing"):
            term = searcher.schema["text_exact"].to_bytes(word)
            fast = {offset: (numbers.tolist(), frequencies.tolist())
                    for _, offset, numbers, frequencies in keyword.segment_postings(searcher, "text_exact", word)}
            slow = {}
            for leaf, offset in searcher.leaf_searchers():
                segment = leaf.reader()
                if (("text_exact", term)) not in segment:
                    continue
                matcher, numbers, frequencies = segment.postings("text_exact", term), [], []
                while matcher.is_active():
                    numbers.append(matcher.id())
                    frequencies.append(matcher.weight())
                    matcher.next()
                slow[offset] = (numbers, frequencies)
            assert fast == slow
            read += sum(len(numbers) for numbers, _ in fast.values())
        assert read > 1000  # many blocks were read
        assert any(leaf.reader().has_deletions() for leaf, _ in searcher.leaf_searchers())


def test_scores_of_given_documents_read_only_their_blocks_and_equal_whooshs(tmp_path, monkeypatch):
    """_scores_by_skipping decodes only the posting blocks that can hold a wanted document: the
    same floats as Whoosh's own matcher skipped to each document and scored, over many blocks,
    two segments and deletions; a document without the term scores 0."""
    import random

    from whoosh.query import Term

    reader, live = _many_blocks(tmp_path, 900)
    draw = random.Random(3)
    decoded = []
    original = keyword._block
    monkeypatch.setattr(keyword, "_block", lambda matcher: decoded.append(1) or original(matcher))
    for wanted, terms in [(draw.sample(live, 12), {"text_exact": ["banjir", "kota0", "hujan", "zzzz"], "text_id": ["banjir"]}),
                          (draw.sample(live, 300), {"text_exact": ["banjir", "kota0", "hujan"], "text_id": ["banjir"]}),
                          (draw.sample(live, 300), {"text_exact": ["kota1", "zzzz"]}),  # in a third of them
                          (live[:3] + live[-2:], {"text_exact": ["kota0", "banjir"]})]:
        decoded.clear()
        fast = keyword._scores_by_skipping(reader, terms, wanted + ["no-such-id"])
        if len(wanted) == 5:  # the first and the last documents: the first and last blocks only
            read = len(decoded)
            decoded.clear()
            with reader.searcher() as searcher:
                for field, words in terms.items():
                    for word in words:
                        list(keyword.segment_postings(searcher, field, word))
            assert 0 < read <= 6 < len(decoded)  # of the two terms' ~13 blocks in two segments
        slow = dict.fromkeys(wanted, 0.0)
        with reader.searcher() as searcher:
            numbers = sorted((reader.document_number(d), d) for d in wanted)
            for leaf, offset in searcher.leaf_searchers():
                for field, words in terms.items():
                    for word in words:
                        matcher = Term(field, word).matcher(leaf, searcher.context())
                        for number, doc_id in numbers:
                            if not offset <= number < offset + leaf.doc_count_all() or not matcher.is_active():
                                continue
                            matcher.skip_to(number - offset)
                            if matcher.is_active() and matcher.id() == number - offset:
                                slow[doc_id] += matcher.score()
        assert fast.pop("no-such-id") == 0.0
        assert fast == slow and any(slow.values())
        if "kota1" in terms["text_exact"]:
            assert not all(slow.values())
    # lead and name shares read a long list's wanted blocks only: the same shares as read whole
    wanted = draw.sample(live, 40) + ["no-such-id"]
    words = ["banjir", "kota0", "kota2", "berita", "zzzz"]
    whole = (keyword.lead_matches(reader, words, wanted), keyword.name_matches(reader, words, wanted))
    monkeypatch.setattr(keyword, "BLOCK_POSTINGS", 0)  # every list long
    assert (keyword.lead_matches(reader, words, wanted), keyword.name_matches(reader, words, wanted)) == whole
    assert any(whole[0].values()) and any(whole[1].values()) and whole[0]["no-such-id"] == 0.0


def test_the_files_inside_a_compound_segment_are_read_in_place_never_copied(seeds_index):
    """Issue 21: Whoosh copied every file inside a compound segment into memory on opening it
    (1.6 GB of postings and terms per searcher at a million articles); now each is read in
    place, over the segment's own mapped bytes, and the postings of a term the keyword leg
    reads whole are a copy of that term's bytes alone."""
    import mmap

    from whoosh.filedb import structfile

    from index.storage import store
    from index.storage.keyword import _MappedFile, _View, open_keyword_index

    ix = open_keyword_index(store.current_generation(seeds_index) / store.WHOOSH)
    segment = ix._segments()[0]
    assert segment.is_compound()
    inside = segment.open_compound_file(ix.storage)
    assert {name.rsplit(".", 1)[1] for name in inside.list()} >= {"pst", "trm"}  # postings and terms
    for name in inside.list():
        opened = inside.open_file(name)
        assert isinstance(opened, _MappedFile) and opened._stream is None
        if name.endswith((".pst", ".trm")):  # read as streams: a view of the mapped segment
            assert opened.read(4) == opened.get(0, 4)
            assert isinstance(opened.file, _View) and isinstance(opened.file._data.obj, mmap.mmap)
        opened.close()
        assert opened.is_closed
    with ix.searcher() as searcher:  # Whoosh reads the whole index through them
        assert searcher.doc_count() == 5
        leaf = searcher.leaf_searchers()[0][0].reader()
        term = searcher.schema["text_exact"].to_bytes("jakarta")
        matcher = leaf.postings("text_exact", term)
        copy = keyword._read_from_copy(matcher)
        assert copy is not matcher and type(copy._postfile) is structfile.BufferFile
        assert len(copy._postfile._buf) < len(matcher._postfile._buf)  # the term's bytes, not the file
        assert list(copy.all_ids()) == list(leaf.postings("text_exact", term).all_ids())


def test_a_view_of_bytes_reads_as_an_in_memory_stream_does():
    """_View (index.storage.keyword) answers read, readline, seek, tell and pickle.load as
    BytesIO over the same bytes does, for every mix of calls Whoosh makes."""
    import pickle
    import random
    from io import BytesIO

    from index.storage.keyword import PEEKED, _View

    values = [(128, 99764, 2.0, 3, 89, 302), "x" * (PEEKED * 3), None, 7]
    pickled = [pickle.dumps(value, -1) for value in values]
    data = b"line one\nline two\n" + b"".join(pickled) + bytes(range(256)) * 4
    view, plain = _View(memoryview(data)), BytesIO(data)
    for stream in (view, plain):  # pickles one after another, each read from where the last one ended
        stream.seek(len(b"line one\nline two\n"))
        assert [pickle.load(stream) for _ in pickled] == values
    assert view.tell() == plain.tell()
    draw = random.Random(7)
    for _ in range(2000):
        call = draw.choice(["read", "read", "readline", "seek", "seek_here", "seek_end", "tell"])
        size = draw.choice([-1, None, 0, 1, 4, 9, 300, len(data) + 5])
        if call == "read":
            assert view.read(size) == plain.read(size)
        elif call == "readline":
            assert view.readline(size) == plain.readline(size)
        elif call == "seek":
            place = draw.randrange(0, len(data) + 10)
            assert view.seek(place) == plain.seek(place)
        elif call == "seek_here":
            step = draw.randrange(-min(view.tell(), 50), 50)
            assert view.seek(step, 1) == plain.seek(step, 1)
        elif call == "seek_end":
            step = -draw.randrange(0, len(data))
            assert view.seek(step, 2) == plain.seek(step, 2)
        assert view.tell() == plain.tell()
    with pytest.raises(ValueError):
        view.seek(-1)


def test_terms_are_read_once_per_index_and_a_new_generation_reads_them_again(tmp_path, monkeypatch):
    """Each index keeps its last terms' BM25 postings for every thread (search.keyword._KeptTerms),
    within TERMS_KEPT_BYTES; a new generation's index starts with none, so an update is seen."""
    import threading

    from index.storage.builder import add_documents

    rows = [{"id": f"d{i}", "title": f"Berita {i}", "text": f"banjir di kota{i % 4}, hujan deras"} for i in range(30)]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    embedder = FakeEmbedder()
    cache = VectorCache(embedder, tmp_path / "vectors.sqlite")
    build_index([tmp_path / "a.jsonl"], tmp_path / "index", embedder, cache=cache)
    read: list[str] = []
    real = keyword.segment_postings
    monkeypatch.setattr(keyword, "segment_postings", lambda s, field, word: (read.append(word), real(s, field, word))[1])
    terms = {"text_exact": ["banjir", "kota1"]}
    reader = IndexReader(tmp_path / "index")
    first = keyword.keyword_search(reader, terms, 10)
    other_thread = []
    thread = threading.Thread(target=lambda: other_thread.append(keyword.keyword_search(reader, terms, 10)))
    thread.start()
    thread.join()
    assert sorted(read) == ["banjir", "kota1"] and other_thread == [first]  # the other thread's searcher read none
    assert first == _whoosh_search(reader, terms, 10)
    (tmp_path / "b.txt").write_text("Banjir lagi\n\nBanjir banjir banjir di kota1.", encoding="utf-8")
    add_documents([tmp_path / "b.txt"], tmp_path / "index", embedder, cache=cache)
    fresh = IndexReader(tmp_path / "index")
    updated = keyword.keyword_search(fresh, terms, 10)
    assert updated == _whoosh_search(fresh, terms, 10) and updated[0][0].endswith("b.txt")
    # the documents holding a term (lead and name shares, phrases) are kept the same way
    read.clear()
    with reader.searcher() as searcher, fresh.searcher() as other:
        held = keyword.term_numbers(searcher, "text_exact", "kota1")
        assert keyword.term_numbers(searcher, "text_exact", "kota1") is held and read == ["kota1"]
        assert held.tolist() == sorted(searcher.document_number(id=f"{tmp_path / 'a.jsonl'}#d{i}")
                                       for i in range(1, 30, 4))
        assert len(keyword.term_numbers(other, "text_exact", "kota1")) == len(held) + 1  # the new generation's
    # the bound: the least recently asked term goes first
    monkeypatch.setattr(keyword, "TERMS_KEPT_BYTES", 1)
    kept = keyword._KeptTerms()
    numbers = np.arange(4)
    kept.keep(("f", "a"), [(numbers, numbers * 1.0)])
    assert kept.get(("f", "a")) is None  # larger than the whole budget: not kept
    monkeypatch.setattr(keyword, "TERMS_KEPT_BYTES", 200)
    kept.keep(("f", "a"), [(numbers, numbers * 1.0)])  # 64 bytes each
    kept.keep(("f", "b"), [(numbers, numbers * 1.0)])
    kept.get(("f", "a"))
    kept.keep(("f", "c"), [(numbers, numbers * 1.0)])
    kept.keep(("f", "d"), [(numbers, numbers * 1.0)])
    assert kept.get(("f", "b")) is None and kept.get(("f", "a")) is not None and kept._bytes <= 200
