"""Bad input is named, skipped and counted, never fatal: the reading path and the CLI."""
from __future__ import annotations

import os
import tracemalloc
from pathlib import Path


from conftest import run
from index.reading import documents
from index.reading.documents import read_documents
from index.errors import DocumentError


def read(*paths: Path) -> tuple[list, list[str]]:
    problems: list[DocumentError] = []
    docs = list(read_documents(list(paths), on_error=problems.append))
    return docs, [str(p) for p in problems]


def test_binary_file_is_skipped(tmp_path):
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "good.txt").write_text("Judul\n\nIsi berita.")
    docs, problems = read(tmp_path)
    assert [d.id for d in docs] == [str(tmp_path / "good.txt")]
    assert problems == [f"{tmp_path / 'image.txt'}: binary file (NUL bytes); skipped"]


def test_invalid_utf8_is_replaced_and_indexed_with_a_warning(tmp_path):
    # UTF-8 text (its “quotes” are valid UTF-8) with one stray cp1252 byte: the byte is replaced.
    (tmp_path / "mixed.txt").write_bytes("Harga naik\n\nHarga “kopi” naik 10%.".encode() + b" Caf\xe9 tutup.")
    docs, problems = read(tmp_path)
    assert docs[0].text == "Harga naik\n\nHarga “kopi” naik 10%. Caf\ufffd tutup."
    assert problems == [f"{tmp_path / 'mixed.txt'}: invalid UTF-8 replaced with U+FFFD; indexed"]


def test_empty_files_are_skipped(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blank.md").write_text(" \n\t\n")
    (tmp_path / "empty.jsonl").write_text("")
    docs, problems = read(tmp_path)
    assert docs == []
    assert problems == [f"{tmp_path / name}: empty file; skipped" for name in ("blank.md", "empty.jsonl", "empty.txt")]


def test_jsonl_broken_lines_are_named_by_line_and_good_lines_indexed(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a", "text": "Satu."}\n{"id": "b", "text": \n\n[1, 2]\n{"id": "c"}\n'
                    '{"id": "d", "text": "Empat."}\n{"id": "e", "text": "Lima."}', encoding="utf-8")
    docs, problems = read(feed)
    assert [d.id for d in docs] == [f"{feed}#a", f"{feed}#d", f"{feed}#e"]
    assert problems == [
        f"{feed}:2: invalid JSON (Expecting value at the end of the line); line skipped",
        f"{feed}:4: no 'text' string; line skipped",
        f"{feed}:5: no 'text' string; line skipped",
    ]


def test_a_malformed_jsonl_line_gets_the_whole_reason_and_its_column(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a", "text": "Baris\tdengan tab"}\n{"id": "b", "text": "Baik."}\n'
                    '{"id": "c" "text": "x"}\n{"id": "d", "text": "y"}}\n', encoding="utf-8")
    docs, problems = read(feed)
    assert [d.key for d in docs] == ["b"]
    assert problems == [
        f"{feed}:1: invalid JSON (Invalid control character at column 27); line skipped",
        f"{feed}:3: invalid JSON (Expecting ',' delimiter at column 12); line skipped",
        f"{feed}:4: invalid JSON (Extra data at column 25); line skipped",
    ]


def test_a_50_mb_text_file_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "big.txt"
    with open(big, "wb") as out:
        out.write(b"kata " * (10 * 2**20))  # 50 MiB
    (tmp_path / "small.txt").write_text("Kecil\n\nBerita kecil.")
    tracemalloc.start()
    docs, problems = read(tmp_path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [d.id for d in docs] == [str(tmp_path / "small.txt")]
    assert problems == [f"{big}: file is 50 MiB, over the 16 MiB limit for one article; skipped "
                        f"(split it, or make it JSONL with one article per line)"]
    assert peak < 2**20


def test_a_50_mb_jsonl_file_is_read_in_bounded_memory(tmp_path):
    feed = tmp_path / "archive.jsonl"
    line = ('{"text": "' + "berita " * 700 + '"}\n').encode()
    with open(feed, "wb") as out:
        for _ in range(50 * 2**20 // len(line) + 1):
            out.write(line)
    assert feed.stat().st_size > 50 * 2**20
    tracemalloc.start()
    count = sum(1 for _ in read_documents([feed]))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 50 * 2**20 // len(line) + 1
    assert peak < 2 * 2**20  # a few lines at a time, not the file


def test_symlink_loops_are_skipped(tmp_path):
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "good.txt").write_text("Judul\n\nIsi.")
    (tmp_path / "news" / "loop").symlink_to(tmp_path / "news")
    (tmp_path / "news" / "a.txt").symlink_to(tmp_path / "news" / "b.txt")
    (tmp_path / "news" / "b.txt").symlink_to(tmp_path / "news" / "a.txt")
    docs, problems = read(tmp_path / "news")
    assert [d.id for d in docs] == [str(tmp_path / "news" / "good.txt")]
    assert problems == [
        f"{tmp_path / 'news' / 'a.txt'}: Too many levels of symbolic links; skipped",
        f"{tmp_path / 'news' / 'b.txt'}: Too many levels of symbolic links; skipped",
        f"{tmp_path / 'news' / 'loop'}: folder already visited (symlink loop); skipped",
    ]


def test_a_fifo_is_skipped_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "good.txt").write_text("Judul\n\nIsi.")
    docs, problems = read(tmp_path)
    assert [d.id for d in docs] == [str(tmp_path / "good.txt")]
    assert problems == [f"{tmp_path / 'pipe.txt'}: not a regular file; skipped"]


def test_unreadable_file_is_skipped(tmp_path, monkeypatch):
    locked = tmp_path / "locked.txt"
    locked.write_text("Rahasia\n\nIsi.")
    (tmp_path / "good.txt").write_text("Judul\n\nIsi.")
    if os.geteuid() == 0:  # root reads any file: make opening it fail as it would for a user
        real_open = open

        def deny(path, *args, **kwargs):
            if Path(path) == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(documents, "open", deny, raising=False)
    else:
        locked.chmod(0)
    docs, problems = read(tmp_path)
    assert [d.id for d in docs] == [str(tmp_path / "good.txt")]
    assert problems == [f"{locked}: Permission denied; skipped"]


def test_cli_warns_counts_and_exits_0_and_strict_exits_1(runner, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Banjir Jakarta\n\nHujan deras membuat banjir di Jakarta.")
    (corpus / "empty.txt").write_text("")
    (corpus / "bin.md").write_bytes(b"\x00\x01\x02")
    (corpus / "feed.jsonl").write_text('{"text": "Gempa di Palu."}\nnot json\n')
    index_dir = tmp_path / "index"
    strict = run(runner, "index", corpus, "--index", index_dir, "--strict")
    assert strict.exit_code == 1
    assert "Error: 3 input(s) skipped and --strict given; the index was not changed" in strict.stderr
    assert not (index_dir / "CURRENT").exists()
    result = run(runner, "index", corpus, "--index", index_dir)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    for line in (f"warning: {corpus / 'bin.md'}: binary file (NUL bytes); skipped",
                 f"warning: {corpus / 'empty.txt'}: empty file; skipped",
                 f"warning: {corpus / 'feed.jsonl'}:2: invalid JSON (Expecting value at column 1); line skipped"):
        assert line in result.stderr
    assert "2 added" in result.stderr and "3 skipped" in result.stderr
