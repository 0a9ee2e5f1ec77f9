"""The Whoosh (BM25) side of an index: schema, writer, and opening it for reading."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb import compound, structfile

from index.reading.analysis import LANGUAGE_FIELD, english_analyzer, exact_analyzer, indonesian_analyzer
from index.reading.documents import Document
from index.errors import IndexCorrupt
from index.embedding.passages import lead


def schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        title=STORED,
        path=STORED,
        lang=ID(stored=True),
        date=ID(stored=True),
        source=ID(stored=True),
        url=STORED,
        content=STORED,
        author=STORED,
        removed=STORED,  # what the cleaner cut: [line, text, reason] lists, for lintas show --raw
        body_start=STORED,  # where the cleaned body starts in content (after a prepended title)
        text_id=TEXT(analyzer=indonesian_analyzer(), phrase=False),
        text_en=TEXT(analyzer=english_analyzer(), phrase=False),
        text_exact=TEXT(analyzer=exact_analyzer(), phrase=False),
        lead_exact=TEXT(analyzer=exact_analyzer(), phrase=False),  # the title and first passage
    )


def keyword_fields(doc: Document) -> dict[str, str]:
    """The analysed fields a document fills: its own language's, the exact one, and its lead."""
    fields = {"text_exact": doc.full_text, "lead_exact": lead(doc.full_text)}
    language_field = LANGUAGE_FIELD.get(doc.lang)
    if language_field:
        fields[language_field] = doc.full_text
    return fields


Written = Callable[[int], None]  # told how many more documents the writer has taken


def _nothing(count: int) -> None:
    pass


def write_keyword_index(folder: Path, documents: Iterable[Document], written: Written = _nothing) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _write(whoosh_index.create_in(str(folder), schema()), (), documents, written)


def update_keyword_index(folder: Path, remove_ids: Iterable[str], documents: Iterable[Document],
                         written: Written = _nothing) -> None:
    """Delete ``remove_ids`` from the Whoosh index in ``folder`` and add ``documents``.

    Whoosh writes new segment files and a new table of contents; it never changes an old
    file, so ``folder`` may hold hard links to the previous generation's files.
    """
    _write(whoosh_index.open_dir(str(folder)), remove_ids, documents, written)


class _MappedFile(structfile.BufferFile):
    """Whoosh's BufferFile over one file inside a compound segment file (the mapped segment),
    never copied. Whoosh's own copies every such file into memory as it opens it (a ``BytesIO``
    of the mapped bytes): at a million articles, ten segments, the postings and terms files a
    first query reads were 1.6 GB copied by every searcher, most of a cold search's second and
    of its memory (issue 21, bench/SPEED.md). The columns (stored fields, field lengths) are
    read in place, by ``get``; postings and terms are read as a stream (``_View``), and the hot
    path, a term's whole postings (search.keyword), from a copy of that term's bytes only."""

    def __init__(self, buf, name=None, onclose=None) -> None:
        self._buf = buf
        self._name = name
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False
        self._stream = None

    @property
    def file(self):
        if self._stream is None:
            self._stream = _View(self._buf)
        return self._stream

    @file.setter
    def file(self, stream) -> None:
        self._stream = stream

    def close(self) -> None:
        """As StructFile.close, without making a stream only to close it."""
        if self._stream is None:
            self._stream = _View(memoryview(b""))
        super().close()


PEEKED = 256  # bytes _View.peek hands pickle.load at a time


class _View:
    """A read-only stream over bytes in place (a memoryview of the mapped segment): what Whoosh
    reads with seek, tell, read and pickle.load."""

    __slots__ = ("_data", "_position", "_size")

    def __init__(self, data: memoryview) -> None:
        self._data, self._position, self._size = data, 0, len(data)

    def read(self, size: int | None = -1) -> bytes:
        start = self._position
        end = self._size if size is None or size < 0 else min(start + size, self._size)
        if end <= start:
            return b""
        self._position = end
        return self._data[start:end].tobytes()

    def peek(self, size: int = 0) -> bytes:
        """Bytes from here on, without moving: pickle.load reads ahead with it instead of calling
        read for each opcode (Whoosh pickles a block's header: ~40 bytes)."""
        return self._data[self._position:self._position + PEEKED].tobytes()

    def readline(self, size: int | None = -1) -> bytes:
        start = self._position
        limit = self._size if size is None or size < 0 else min(start + size, self._size)
        end = start
        while end < limit and self._data[end] != 10:
            end += 1
        return self.read(min(end + 1, limit) - start)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._position, self._size)[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._position = base + offset
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        self._data, self._position, self._size = memoryview(b""), 0, 0


def open_keyword_index(folder: Path):
    """The Whoosh index in ``folder``, the files inside its compound segments read in place
    (``_MappedFile``)."""
    compound.BufferFile = _MappedFile  # the name compound.CompoundStorage.open_file makes its files with
    return whoosh_index.open_dir(str(folder))


def check_keyword_index(folder: Path, documents: int) -> None:
    """What an update relies on: the Whoosh index in ``folder`` opens, a searcher opens over
    all its segments, and it holds ``documents`` live documents; else IndexCorrupt."""
    try:
        with open_keyword_index(folder).searcher() as searcher:
            count = searcher.doc_count()
    except Exception as error:  # Whoosh raises EOFError, struct and pickle errors on damaged files
        raise IndexCorrupt(folder, f"{type(error).__name__}: {error}") from None
    if count != documents:
        raise IndexCorrupt(folder, f"{count} documents, manifest says {documents}")


WRITTEN_EVERY = 100  # documents between two calls of ``written``
SEGMENT_DOCUMENTS = 100_000  # documents a writer takes before it commits them as a segment


def _write(ix, remove_ids: Iterable[str], documents: Iterable[Document], written: Written) -> None:
    """``written`` hears of the documents added, a hundred at a time: at a million articles the
    writing is the longest stage of a build, and its bar would otherwise stand still until the
    end.

    Every SEGMENT_DOCUMENTS documents are committed as a segment of their own, unmerged.
    Whoosh's writer sorts every posting of a commit on disk before it writes them: ~35 KB of
    temporary files an article, ~35 GB for a million in one commit, which stopped a build on a
    full disk (bench/SPEED.md, "Building a million articles"). A commit frees its runs, so the
    temporary files stay those of one segment's documents. The folder is a staged generation
    (builder.build_index): a build stopped between two commits never becomes the index."""
    writer = ix.writer(limitmb=256)
    try:
        for doc_id in remove_ids:
            writer.delete_by_term("id", doc_id)
        added = 0
        for added, doc in enumerate(documents, start=1):
            if added % WRITTEN_EVERY == 0:
                written(WRITTEN_EVERY)
            if added > 1 and (added - 1) % SEGMENT_DOCUMENTS == 0:
                writer.commit(merge=False)
                writer = ix.writer(limitmb=256)
            writer.add_document(
                id=doc.id, title=doc.title, path=doc.path, lang=doc.lang, date=doc.date or "",
                source=doc.source or "", url=doc.url or "", content=doc.full_text,
                author=doc.author or "", removed=[[r.line, r.text, r.reason] for r in doc.removed],
                body_start=len(doc.full_text) - len(doc.text),
                **keyword_fields(doc),
            )
        if added % WRITTEN_EVERY:
            written(added % WRITTEN_EVERY)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
