"""Incremental updates through the library API, with a fake embedder (I/O, not ranking).

The tests run inside the corpus folder, so ids read as people see them (index.reading.ids.display_id):
`banjir.txt`, `feed.jsonl#f1`.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

from fakes import FakeEmbedder
from index.storage import builder
from index.storage import store
from index.storage.builder import add_documents, build_index, remove_documents
from index.embedding.engine import VectorCache
from index.errors import DocumentsSkipped, IndexCorrupt, IndexLocked, IndexMismatch, LintasError
from index.storage import codes as codes_module
from index.storage import keyword as keyword_module
from index.storage.codes import companions, load_codes, quantize
from index.reading.ids import display_id
from search import engine, semantic
from search.engine import Mode, Sort, search
from search import reader as reader_module
from search.reader import IndexReader
from search.similar import similar

ARTICLES = {
    "banjir.txt": "Banjir di Jakarta\n\nHujan deras membuat banjir di Jakarta Utara.",
    "gempa.txt": "Gempa di Sulawesi\n\nGempa bumi mengguncang Palu pada pagi hari.",
    "sub/election.md": "# Election in Surabaya\n\nVoters in Surabaya chose a new mayor.",
    "feed.jsonl": '{"id": "f1", "title": "Harga beras naik", "text": "Harga beras naik lagi."}\n'
                  '{"id": "f2", "title": "Rice exports", "text": "Rice exports fell in May."}\n',
}


@pytest.fixture
def corpus(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "corpus"
    for name, text in ARTICLES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def index_dir(tmp_path) -> Path:
    return tmp_path / "index"


def build(paths, index_dir, embedder, tmp_path=None, **options):
    cache = VectorCache(embedder, Path(os.environ["LINTAS_CACHE"]) / f"{id(embedder)}.sqlite")
    return build_index(paths if isinstance(paths, list) else [paths], index_dir, embedder, cache=cache, **options)


def reader_for(index_dir: Path, embedder: FakeEmbedder) -> IndexReader:
    reader = IndexReader(index_dir)
    reader.__dict__["embedder"] = embedder  # the cached_property, overridden
    return reader


def ids(index_dir: Path, embedder, query: str, mode=Mode.keyword) -> list[str]:
    return [display_id(hit.id) for hit in search(reader_for(index_dir, embedder), query, k=10, mode=mode)]


def names(index_dir: Path) -> list[str]:
    return sorted(display_id(doc.id) for doc in IndexReader(index_dir).docs)


def live(index_dir: Path) -> str:
    return (index_dir / store.CURRENT).read_text().strip()


def test_unchanged_corpus_embeds_and_writes_nothing(corpus, index_dir, embedder):
    first = build(corpus, index_dir, embedder)
    assert (first.added, first.documents) == (5, 5)
    embedded, generation = embedder.passages_embedded, live(index_dir)
    again = build(corpus, index_dir, embedder)
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 5)
    assert embedder.passages_embedded == embedded
    assert live(index_dir) == generation


def test_a_change_is_found_by_content_not_mtime(corpus, index_dir, embedder):
    build(corpus, index_dir, embedder)
    banjir, gempa = corpus / "banjir.txt", corpus / "gempa.txt"
    stamp = banjir.stat()
    banjir.write_text("Banjir di Jakarta\n\nAir setinggi pinggang merendam Kemayoran.", encoding="utf-8")
    os.utime(banjir, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same mtime, new content
    os.utime(gempa, ns=(gempa.stat().st_atime_ns, gempa.stat().st_mtime_ns + 10**9))  # touched only
    report = build(corpus, index_dir, embedder)
    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 1, 0, 4)
    assert ids(index_dir, embedder, "Kemayoran") == ["banjir.txt"]
    assert ids(index_dir, embedder, "Utara") == []


def test_new_files_are_added_and_gone_files_removed(corpus, index_dir, embedder):
    build(corpus, index_dir, embedder)
    (corpus / "baru.txt").write_text("Kereta cepat\n\nKereta cepat Bandung beroperasi.", encoding="utf-8")
    (corpus / "gempa.txt").unlink()
    (corpus / "feed.jsonl").write_text('{"id": "f2", "title": "Rice exports", "text": "Rice exports fell in May."}\n')
    report = build(corpus, index_dir, embedder)
    # f2 moved from line 2 to line 1: its stored path changed, so it is re-indexed (from the cache)
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 2, 2)
    assert names(index_dir) == ["banjir.txt", "baru.txt", "feed.jsonl#f2", "sub/election.md"]
    assert ids(index_dir, embedder, "Palu") == []
    assert ids(index_dir, embedder, "Bandung") == ["baru.txt"]


def test_no_prune_keeps_documents_whose_files_are_gone(corpus, index_dir, embedder):
    build(corpus, index_dir, embedder)
    (corpus / "gempa.txt").unlink()
    report = build(corpus, index_dir, embedder, prune=False)
    assert (report.removed, report.documents) == (0, 5)
    assert ids(index_dir, embedder, "Palu") == ["gempa.txt"]


def test_indexing_another_folder_keeps_the_first(corpus, index_dir, embedder, tmp_path):
    build(corpus, index_dir, embedder)
    other = tmp_path / "other"
    other.mkdir()
    (other / "pasar.txt").write_text("Pasar\n\nPasar Tanah Abang ramai.", encoding="utf-8")
    report = build(other, index_dir, embedder)
    assert (report.added, report.removed, report.documents) == (1, 0, 6)


def test_adding_one_article_embeds_only_it_and_links_the_old_vectors(corpus, index_dir, embedder, tmp_path):
    build(corpus, index_dir, embedder)
    before = store.current_generation(index_dir)
    old_segments = store.read_manifest(before).segments
    embedded = embedder.passages_embedded
    extra = tmp_path / "kopi.txt"
    extra.write_text("Kopi Gayo\n\nPetani kopi Gayo panen raya.", encoding="utf-8")
    report = add_documents([extra], index_dir, embedder,
                           cache=VectorCache(embedder, tmp_path / "own-cache.sqlite"))
    after = store.current_generation(index_dir)
    assert (report.added, report.documents) == (1, 6)
    assert embedder.passages_embedded - embedded == 1  # one short article, one passage
    for name in old_segments:  # the same file, not a copy
        assert (after / name).stat().st_ino == (before / name).stat().st_ino
    assert ids(index_dir, embedder, "Gayo") == [str(extra)]


def test_remove_by_id_and_unknown_ids(corpus, index_dir, embedder):
    build(corpus, index_dir, embedder)
    generation = live(index_dir)
    with pytest.raises(LintasError, match="no document with id 'nope'"):
        remove_documents(index_dir, ["gempa.txt", "nope"])
    assert live(index_dir) == generation
    report = remove_documents(index_dir, ["gempa.txt", "f1"])  # a path, and an id only one file uses
    assert (report.removed, report.documents) == (2, 3)
    assert ids(index_dir, embedder, "Palu") == []
    assert names(index_dir) == ["banjir.txt", "feed.jsonl#f2", "sub/election.md"]


def test_changing_the_model_needs_rebuild(corpus, index_dir):
    build(corpus, index_dir, FakeEmbedder("model-a"))
    with pytest.raises(IndexMismatch, match="--rebuild"):
        build(corpus, index_dir, FakeEmbedder("model-b"))
    assert store.read_manifest(store.current_generation(index_dir)).model == "model-a"
    report = build(corpus, index_dir, FakeEmbedder("model-b"), rebuild=True)
    assert (report.added, report.unchanged, report.documents) == (0, 5, 5)  # same documents, new vectors
    assert store.read_manifest(store.current_generation(index_dir)).model == "model-b"


def test_vectors_after_many_updates_equal_a_fresh_build(corpus, index_dir, embedder, tmp_path, monkeypatch):
    monkeypatch.setattr(builder, "COMPACT_SEGMENTS", 3)  # compaction happens along the way too
    build(corpus, index_dir, embedder)
    for step in range(5):
        (corpus / f"new{step}.txt").write_text(f"Berita {step}\n\nKabar nomor {step} dari Medan.")
        (corpus / "banjir.txt").write_text(f"Banjir di Jakarta\n\nBanjir hari ke-{step}. Warga mengungsi.")
        if step == 2:
            (corpus / "gempa.txt").unlink()
        build(corpus, index_dir, embedder)
        if step % 2:
            remove_documents(index_dir, [f"new{step}.txt"])
    fresh = tmp_path / "fresh"
    build(corpus, fresh, embedder)
    remove_documents(fresh, [str(corpus / "new1.txt"), str(corpus / "new3.txt")])  # removals stay removed
    updated, rebuilt = reader_for(index_dir, embedder), reader_for(fresh, embedder)
    assert len(store.read_manifest(updated.folder).segments) <= 3
    by_id = {doc.id: i for i, doc in enumerate(rebuilt.docs)}
    assert sorted(by_id) == sorted(doc.id for doc in updated.docs)
    for position, doc in enumerate(updated.docs):
        mine = updated.passage_vectors(position)
        other = rebuilt.passage_starts[by_id[doc.id]]
        np.testing.assert_array_equal(mine, rebuilt.vectors[other:other + len(doc.passages)])
        np.testing.assert_array_equal(mine, updated.vectors[updated.passage_starts[position]:][:len(doc.passages)])
    assert ids(index_dir, embedder, "banjir warga", Mode.semantic) == ids(fresh, embedder, "banjir warga", Mode.semantic)
    shuffled = np.random.default_rng(0).permutation(len(updated.vectors))  # rows of several runs, read in place
    np.testing.assert_array_equal(updated.vectors_at(shuffled), updated.vectors[shuffled])
    np.testing.assert_array_equal(updated.vectors_at(shuffled[:0]), updated.vectors[:0])
    # The updated segments have gaps: searching reads their vectors in place, run by run, and
    # never copies them into one matrix.
    searched = reader_for(index_dir, embedder)
    assert len(searched.vector_runs) > 1
    search(searched, "banjir warga", k=3, mode=Mode.hybrid)
    assert "vectors" not in searched.__dict__


def test_one_writer_at_a_time_and_searches_go_on(corpus, index_dir, embedder):
    build(corpus, index_dir, embedder)
    with store.writer_lock(index_dir):
        with pytest.raises(IndexLocked, match=rf"another lintas index is running \(pid {os.getpid()}\)"):
            build(corpus, index_dir, embedder)
        with pytest.raises(IndexLocked):
            remove_documents(index_dir, ["gempa.txt"])
        assert ids(index_dir, embedder, "Palu") == ["gempa.txt"]
    assert build(corpus, index_dir, embedder, rebuild=True).documents == 5


def test_strict_refuses_to_change_the_index(corpus, index_dir, embedder):
    build(corpus, index_dir, embedder)
    generation = live(index_dir)
    (corpus / "kosong.txt").write_text("   \n")
    (corpus / "baru.txt").write_text("Kereta cepat\n\nKereta cepat Bandung beroperasi.")
    with pytest.raises(DocumentsSkipped, match="1 input"):
        build(corpus, index_dir, embedder, strict=True)
    assert live(index_dir) == generation
    report = build(corpus, index_dir, embedder)
    assert (report.added, report.skipped) == (1, 1)


def test_unchanged_files_are_not_read_again(corpus, index_dir, embedder, monkeypatch):
    from index.reading import documents

    build(corpus, index_dir, embedder)
    read = []
    real = documents._read_file
    monkeypatch.setattr(documents, "_read_file", lambda path, *a: read.append(path.name) or real(path, *a))
    (corpus / "gempa.txt").write_text(ARTICLES["gempa.txt"] + "\n\n\n")  # new bytes, same article
    report = build(corpus, index_dir, embedder)
    assert read == ["gempa.txt"]
    assert (report.changed, report.unchanged) == (0, 5)
    (corpus / "gempa.txt").write_text("Gempa di Sulawesi\n\nGempa susulan terasa di Donggala.")
    read.clear()
    report = build(corpus, index_dir, embedder)
    assert read == ["gempa.txt"] and (report.changed, report.unchanged) == (1, 4)
    assert ids(index_dir, embedder, "Donggala") == ["gempa.txt"]


def test_each_segment_has_its_codes_and_an_update_links_them(corpus, index_dir, embedder):
    build(corpus, index_dir, embedder)
    first = store.live_generation(index_dir)
    (corpus / "new.txt").write_text("Berita baru\n\nKabar dari Medan.", encoding="utf-8")
    build(corpus, index_dir, embedder)
    folder = store.live_generation(index_dir)
    manifest = store.read_manifest(folder)
    assert len(manifest.segments) == 2
    for name, rows in manifest.segments.items():
        vectors = store.load_segment(folder, name, rows, manifest.dim)
        codes, scales = load_codes(folder, name, rows, manifest.dim, vectors)
        # made from the model's float32 vectors, of which the segment keeps float16: a code is off
        # by one at most from the stored vectors' own
        expected = quantize(np.asarray(vectors))
        assert np.abs(codes.astype(np.int16) - expected[0]).max() <= 1
        np.testing.assert_allclose(scales, expected[1], rtol=1e-3)
        assert np.abs(codes * scales[:, None] - vectors).max() <= scales.max() / 2 + 1e-3
    old = next(iter(store.read_manifest(first).segments))
    for companion in companions(old):  # written once, linked into the next generation
        assert (folder / companion).samefile(first / companion)


def without_codes(index_dir: Path) -> Path:
    folder = store.live_generation(index_dir)
    for name in store.read_manifest(folder).segments:
        for companion in companions(name):
            (folder / companion).unlink()
    return folder


def test_an_index_written_before_codes_gets_them(corpus, index_dir, embedder, monkeypatch):
    build(corpus, index_dir, embedder)
    before = ids(index_dir, embedder, "banjir warga", Mode.semantic)
    folder = without_codes(index_dir)

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as patched:  # a read-only index: the codes are made in memory
        patched.setattr(codes_module, "write_codes", refused)
        assert ids(index_dir, embedder, "banjir warga", Mode.semantic) == before
    assert not list(folder.glob("*.codes.npy"))
    assert ids(index_dir, embedder, "banjir warga", Mode.semantic) == before  # written in place now
    assert len(list(folder.glob("*.codes.npy"))) == len(list(folder.glob("*.scales.npy"))) == 1
    # an update of an index without codes makes them for the segments it links
    without_codes(index_dir)
    (corpus / "new.txt").write_text("Berita baru\n\nKabar dari Medan.", encoding="utf-8")
    build(corpus, index_dir, embedder)
    updated = store.live_generation(index_dir)
    assert len(list(updated.glob("*.codes.npy"))) == len(store.read_manifest(updated).segments) == 2


def segment_dtypes(index_dir: Path) -> list[str]:
    folder = store.live_generation(index_dir)
    return [np.load(folder / name, mmap_mode="r").dtype.name for name in store.read_manifest(folder).segments]


def cosines(index_dir: Path, embedder, k: int) -> dict[str, float]:
    hits = search(reader_for(index_dir, embedder), "banjir warga", k=k, mode=Mode.semantic)
    return {display_id(hit.id): hit.semantic_score for hit in hits}


def test_vectors_are_stored_in_float16_and_an_index_of_float32_vectors_still_reads(corpus, index_dir, embedder,
                                                                                   monkeypatch):
    """An index written before float16 is searched as it is; an update writes its new segment in
    float16 beside the old one, a compaction rewrites every row in float16; every product is
    taken in float32, and a hit's cosine is that of the stored vectors."""
    with monkeypatch.context() as patched:  # an index written before float16: format 3, float32 vectors
        patched.setattr(store, "VECTOR_DTYPE", "float32")
        patched.setattr(store, "FORMAT_VERSION", 3)
        build(corpus, index_dir, embedder)
    assert segment_dtypes(index_dir) == ["float32"]
    assert store.read_manifest(store.live_generation(index_dir)).format_version == 3
    exact = cosines(index_dir, embedder, k=5)
    (corpus / "new.txt").write_text("Berita baru\n\nBanjir dari Medan.", encoding="utf-8")
    build(corpus, index_dir, embedder)
    assert segment_dtypes(index_dir) == ["float32", "float16"]
    assert store.read_manifest(store.live_generation(index_dir)).format_version == 4
    reader = reader_for(index_dir, embedder)
    stored = reader.passage_vectors([display_id(doc.id) for doc in reader.docs].index("new.txt"))
    assert stored.dtype == reader.vectors.dtype == np.float32
    np.testing.assert_array_equal(stored, stored.astype(np.float16))  # float16 values, read as float32
    got = cosines(index_dir, embedder, k=6)
    assert {name: got[name] for name in exact} == exact  # the float32 segment's cosines, unchanged
    assert got["new.txt"] == pytest.approx(float((stored @ embedder.embed_query("banjir warga")).max()), abs=1e-6)
    remove_documents(index_dir, ["banjir.txt", "gempa.txt", "sub/election.md", "feed.jsonl#f1"])  # most rows dead
    assert segment_dtypes(index_dir) == ["float16"]
    compacted = cosines(index_dir, embedder, k=5)
    assert compacted["new.txt"] == got["new.txt"]
    assert compacted["feed.jsonl#f2"] == pytest.approx(exact["feed.jsonl#f2"], abs=2e-3)  # float16's rounding


def test_damaged_codes_are_reported(corpus, index_dir, embedder):
    build(corpus, index_dir, embedder)
    folder = store.live_generation(index_dir)
    name = next(iter(store.read_manifest(folder).segments))
    np.save(folder / companions(name)[0], np.zeros((1, 3), dtype=np.int8))
    with pytest.raises(IndexCorrupt, match=r"codes\.npy.*manifest says"):
        search(reader_for(index_dir, embedder), "banjir", k=3, mode=Mode.semantic)


WORDS = {"id": "banjir hujan gempa pemilu harga beras pasar sekolah jalan kota desa sungai laut kapal".split(),
         "en": "flood rain quake election price rice market school road city village river sea ship".split()}


def test_every_hit_carries_its_exact_cosine_whatever_the_codes_rounding(tmp_path, embedder, monkeypatch):
    """The codes choose which passages are scored again from float32; the hits, their scores and
    every part of them are those of the float32 vectors, also under a filter and for the keyword
    leg's candidates far down the vector leg."""
    corpus, index_dir = tmp_path / "many", tmp_path / "index"
    corpus.mkdir()
    coin = random.Random(21)
    for number in range(150):
        words = WORDS[coin.choice(["id", "en"])]
        body = ". ".join(" ".join(coin.choices(words, k=9)) for _ in range(coin.randint(1, 6)))
        (corpus / f"a{number:03d}.txt").write_text(f"Kabar {number}\n\n{body}.", encoding="utf-8")
    build(corpus, index_dir, embedder)
    queries = [("banjir di kota", {}), ("rice price market", {}), ("gempa laut", {"lang": "en"}),
               ("sekolah desa", {"k": 40}), ("kapal sungai hujan", {"lang": "id"})]

    monkeypatch.setattr(engine, "FLOOR", 0.2)  # most documents clear it: a date-sorted page reaches past the candidates

    def answers(rescored: int) -> list[list[dict]]:
        monkeypatch.setattr(semantic, "RESCORED", rescored)
        reader = reader_for(index_dir, embedder)
        return [[hit.to_json() for hit in search(reader, query, mode=Mode.hybrid, **options)]
                for query, options in queries]

    reader = reader_for(index_dir, embedder)
    assert reader.manifest.documents == 150 and {"id", "en"} <= set(reader.langs)
    exact = answers(10**9)
    assert all(exact) and answers(5) == exact
    monkeypatch.setattr(reader_module, "RELEASED_FROM", 0)  # the float32 pages let go after each search
    assert answers(5) == exact
    # more like this, a page far down: its hits' cosines exact too (which of the nearly equal
    # documents at the page's edges fall on it is the codes' choice)
    pages = []
    for rescored in (10**9, 5):
        monkeypatch.setattr(semantic, "RESCORED", rescored)
        pages.append(similar(reader_for(index_dir, embedder), str(corpus / "a007.txt"), k=10, offset=60).hits)
    by_id = {hit.id: {**hit.to_json(), "rank": None} for hit in pages[0]}
    common = [hit.to_json() for hit in pages[1] if hit.id in by_id]
    assert len(common) >= 8 and all({**hit, "rank": None} == by_id[hit["id"]] for hit in common)
    # A date-sorted page past the candidates: each hit's scores exact too; among equal dates
    # (here all undated) the documents past the candidates are ordered by their codes' cosine.
    queries[:] = [("banjir hujan kota", {"sort": Sort.date, "offset": 60})]
    [exact], [page] = answers(10**9), answers(5)
    by_id = {hit["id"]: {**hit, "rank": None} for hit in exact}
    common = [hit for hit in page if hit["id"] in by_id]
    assert len(common) >= 8 and all({**hit, "rank": None} == by_id[hit["id"]] for hit in common)


def resident_kb(folder: Path) -> dict[str, int]:
    """This process's resident KB in mappings of each file of ``folder`` (from /proc/self/smaps)."""
    resident: dict[str, int] = {}
    name = None
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if not fields[0].endswith(":"):  # a mapping's first line: address, ..., path
                path = " ".join(fields[5:])
                name = Path(path).name if path.startswith(f"{folder}/") else None
            elif name is not None and fields[0] == "Rss:":
                resident[name] = resident.get(name, 0) + int(fields[1])
    return resident


def test_a_search_lets_go_of_the_pages_of_big_mapped_files(corpus, index_dir, embedder, monkeypatch):
    """Whoosh's segment file, docs.jsonl and the float32 vectors are mapped; past RELEASED_FROM
    bytes a search lets go of the pages it read (the next one faults back what it reads), a
    smaller file keeps them."""
    build(corpus, index_dir, embedder)
    folder = store.live_generation(index_dir)
    reader = reader_for(index_dir, embedder)
    pages = [[hit.to_json() for hit in search(reader, "banjir warga", k=5)],
             [hit.to_json() for hit in similar(reader, "banjir.txt", k=2).hits]]
    kept = resident_kb(folder)
    segment = next(name for name in kept if name.endswith(".seg"))
    vectors = next(iter(store.read_manifest(folder).segments))
    assert kept[segment] > 0 and kept[store.DOCS] > 0 and kept[vectors] > 0
    monkeypatch.setattr(reader_module, "RELEASED_FROM", 0)
    assert [hit.to_json() for hit in search(reader, "banjir warga", k=5)] == pages[0]
    assert resident_kb(folder)[segment] == resident_kb(folder)[store.DOCS] == resident_kb(folder)[vectors] == 0
    search(reader, "warga", k=5)  # and the next search faults back what it reads
    assert [hit.to_json() for hit in similar(reader, "banjir.txt", k=2).hits] == pages[1]
    assert resident_kb(folder)[segment] == resident_kb(folder)[store.DOCS] == resident_kb(folder)[vectors] == 0


def test_the_link_and_write_bars_move_as_documents_are_done(corpus, index_dir, embedder, monkeypatch):
    """Linking stories and writing the keyword index are a build's longest stages at a million
    articles: their bars advance as documents are linked and go in (here every 2), on a first
    build and on an update."""
    monkeypatch.setattr(keyword_module, "WRITTEN_EVERY", 2)
    for change in (None, "new.txt"):
        if change:
            (corpus / change).write_text("Berita baru\n\nKabar dari Medan.", encoding="utf-8")
        calls = []
        build(corpus, index_dir, embedder, progress=lambda stage, n, total: calls.append((stage, n, total)))
        writes = [(n, total) for stage, n, total in calls if stage == "write"]
        fresh = 1 if change else len(ARTICLES) + 1  # feed.jsonl holds two
        assert writes[0] == (0, fresh) and sum(n for n, _ in writes) == fresh
        assert len(writes) == 1 + -(-fresh // 2) and {total for _, total in writes} == {fresh}
        links = [(n, total) for stage, n, total in calls if stage == "link"]
        assert links[0] == (0, fresh) and sum(n for n, _ in links) == fresh and len(links) >= 2
        assert [stage for stage, _, _ in calls].index("link") < [stage for stage, _, _ in calls].index("write")
