"""Text in the encodings real archives have: BOMs, legacy code pages, damaged UTF-8, and
random bytes that are not text at all; one-article files and streamed JSONL/CSV alike."""
from __future__ import annotations

import codecs
import json
import random
import tracemalloc
from pathlib import Path

import pytest

from conftest import SEEDS, run, run_json
from index.reading import documents
from index.reading.documents import read_documents
from index.reading.encoding import UTF8, Encoding, NotText, choose_encoding, decode
from index.errors import DocumentError

ARTICLE = "Kafe di Bandung\n\nMenu kafe: café latte, crème brûlée dan kue – harga naik “sedikit”.\n"
TEXT = "Kafe di Bandung\n\nMenu kafe: café latte, crème brûlée dan kue – harga naik “sedikit”."


def read(*paths: Path) -> tuple[list, list[str]]:
    problems: list[DocumentError] = []
    docs = list(read_documents(list(paths), on_error=problems.append))
    return docs, [str(p) for p in problems]


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_text_with_a_byte_order_mark_is_decoded(tmp_path, codec):
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-32-be": codecs.BOM_UTF32_BE}
    (tmp_path / "kafe.txt").write_bytes(bom.get(codec, b"") + ARTICLE.encode(codec))
    docs, problems = read(tmp_path)
    assert problems == []
    assert [(d.title, d.text) for d in docs] == [("Kafe di Bandung", TEXT)]


def test_utf16_jsonl_and_csv_are_read_line_by_line(tmp_path):
    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"id": "k1", "text": "Kebakaran hutan di Riau, asap tebal."}, ensure_ascii=False) + "\n"
        + "{broken\n" + json.dumps({"id": "k2", "title": "Café", "text": "Crème brûlée – “enak”."},
                                   ensure_ascii=False) + "\r\n", encoding="utf-16")
    (tmp_path / "arsip.csv").write_text('id,title,text\nc1,Asap Riau,"Kebakaran lahan,\nasap di Pekanbaru."\n',
                                        encoding="utf-32")
    docs, problems = read(tmp_path)
    assert [(d.key, d.title, d.text) for d in docs] == [
        ("c1", "Asap Riau", "Kebakaran lahan,\nasap di Pekanbaru."),
        ("k1", "Kebakaran hutan di Riau, asap tebal.", "Kebakaran hutan di Riau, asap tebal."),
        ("k2", "Café", "Crème brûlée – “enak”."),
    ]
    assert problems == [f"{tmp_path / 'feed.jsonl'}:2: invalid JSON (Expecting property name enclosed in "
                        f"double quotes at column 2); line skipped"]


def test_a_legacy_cp1252_file_comes_out_right_with_a_warning(tmp_path):
    (tmp_path / "kafe.txt").write_bytes(ARTICLE.encode("cp1252"))
    docs, problems = read(tmp_path)
    assert [d.text for d in docs] == [TEXT]
    assert problems == [f"{tmp_path / 'kafe.txt'}: not UTF-8: decoded as Windows-1252, the encoding detected; indexed"]


def test_latin1_is_named_when_cp1252_cannot_be_it(tmp_path):
    # 0x9D is undefined in cp1252; Latin-1 reads it (as a control character).
    english = (SEEDS / "003_f79bf9490dbe2041.txt").read_text(encoding="utf-8")[:500]
    (tmp_path / "lama.txt").write_bytes(english.encode() + b" \x9d caf\xe9.")
    docs, problems = read(tmp_path)
    assert [d.text for d in docs] == [english + " \x9d café."]
    assert problems == [f"{tmp_path / 'lama.txt'}: not UTF-8: decoded as Latin-1, the encoding detected; indexed"]
    # Too short to be sure (charset-normalizer has no confident answer): the bytes are replaced.
    (tmp_path / "lama.txt").write_bytes(b"Harga naik\n\nHarga caf\xe9 naik 10%. \x9d")
    docs, problems = read(tmp_path)
    assert [d.text for d in docs] == ["Harga naik\n\nHarga caf\ufffd naik 10%. \ufffd"]
    assert problems == [f"{tmp_path / 'lama.txt'}: invalid UTF-8 replaced with U+FFFD; indexed"]


def test_a_legacy_jsonl_file_is_reencoded_as_it_streams(tmp_path):
    lines = [json.dumps({"id": f"k{i}", "text": f"Café nomor {i}: crème brûlée – “enak”."}, ensure_ascii=False)
             for i in range(3)]
    (tmp_path / "feed.jsonl").write_bytes("\n".join(lines).encode("cp1252"))
    docs, problems = read(tmp_path)
    assert [(d.key, d.text) for d in docs] == [(f"k{i}", f"Café nomor {i}: crème brûlée – “enak”.") for i in range(3)]
    assert problems == [f"{tmp_path / 'feed.jsonl'}: not UTF-8: decoded as Windows-1252, the encoding detected; "
                        f"indexed"]


def test_a_50_mb_utf16_jsonl_file_is_streamed_in_bounded_memory(tmp_path):
    feed = tmp_path / "archive.jsonl"
    line = '{"text": "' + "berita café " * 500 + '"}\n'
    count = 50 * 2**20 // len(line.encode("utf-16-le")) + 1
    with open(feed, "w", encoding="utf-16") as out:
        for _ in range(count):
            out.write(line)
    assert feed.stat().st_size > 50 * 2**20
    tracemalloc.start()
    lines = documents._read_lines(feed, on_error=pytest.fail)
    assert next(lines) == line
    read_count = 1 + sum(1 for _ in lines)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert read_count == count
    assert peak < 2**20  # a few lines at a time, not the file


def test_random_bytes_without_nul_are_binary(tmp_path):
    noise = bytes(b for b in random.Random(5).randbytes(6000) if b)[:5000]
    assert b"\x00" not in noise
    (tmp_path / "noise.txt").write_bytes(noise)
    (tmp_path / "noise.jsonl").write_bytes(noise)
    (tmp_path / "good.txt").write_text("Judul\n\nIsi berita.")
    docs, problems = read(tmp_path)
    assert [d.id for d in docs] == [str(tmp_path / "good.txt")]
    assert problems == [f"{tmp_path / name}: binary file (not text in any encoding); skipped"
                        for name in ("noise.jsonl", "noise.txt")]


def test_choosing_an_encoding():
    assert choose_encoding(ARTICLE.encode("utf-16")) == Encoding("utf-16", "UTF-16")
    assert choose_encoding(ARTICLE.encode()) == UTF8
    assert choose_encoding(ARTICLE.encode()[:-8]) == UTF8  # a sample may end inside “
    assert choose_encoding(ARTICLE.encode("cp1252")) == Encoding("cp1252", "Windows-1252", detected=True)
    with pytest.raises(NotText, match="NUL bytes"):
        choose_encoding(b"PK\x03\x04\x00\x00")
    # Valid UTF-8 is never handed to the detector, and keeps its BOM-less text as it is.
    assert decode("Ünïcödé ✓".encode()).text == "Ünïcödé ✓"
    assert decode(codecs.BOM_UTF8 + b"abc").text == "abc"
    assert not decode(b"abc").replaced and decode("abc “".encode() + b"\xe9").replaced


def test_cli_indexes_every_encoding_and_skips_noise(runner, tmp_path):
    corpus = tmp_path / "arsip"
    corpus.mkdir()
    (corpus / "kafe.txt").write_bytes(ARTICLE.encode("cp1252"))
    (corpus / "banjir.txt").write_text("Banjir Jakarta\n\nHujan deras membuat banjir di Jakarta.", encoding="utf-16")
    (corpus / "noise.txt").write_bytes(bytes(b for b in random.Random(7).randbytes(6000) if b)[:5000])
    (corpus / "asap.jsonl").write_text('{"id": "asap", "text": "Kebakaran hutan di Riau, asap tebal."}\n',
                                       encoding="utf-16")
    index = tmp_path / "index"
    result = run(runner, "index", corpus, "--index", index)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[:2] == [
        f"warning: {corpus / 'kafe.txt'}: not UTF-8: decoded as Windows-1252, the encoding detected; indexed",
        f"warning: {corpus / 'noise.txt'}: binary file (not text in any encoding); skipped",
    ]
    assert "Indexed 3 documents (languages: id 3)" in result.stderr and "1 skipped" in result.stderr
    assert run_json(runner, "show", corpus / "kafe.txt", "--index", index)["text"] == TEXT
    assert {hit["id"] for hit in run_json(runner, "search", "kebakaran", "--index", index)} == {
        f"{corpus}/asap.jsonl#asap", f"{corpus}/banjir.txt", f"{corpus}/kafe.txt"}
