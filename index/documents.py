"""Reading articles from files: plain text, Markdown, JSONL, CSV and saved web pages.

A folder is walked for the suffixes below. Every problem with one file (or one JSONL/CSV
line) is reported through ``on_error`` and the rest of the run goes on. Each article is
cleaned of boilerplate (index.cleaning), keeping a record of what was cut, and given a date
(metadata, else its datelines: index.dates) and a source (metadata, else the URL's host,
else the folder it was found in).

Bad input is skipped and reported, never fatal: binary files, empty files, files over the
size limit, unreadable files, things that are not regular files (FIFOs, devices) and symlink
loops. Text is UTF-8, or UTF-16/32 with a BOM, or a legacy code page (cp1252, Latin-1) that
index.encoding detects, with a warning naming it; invalid UTF-8 in mostly-UTF-8 text is
decoded with U+FFFD replacement characters and indexed, with a warning. JSONL and CSV are read
line by line (a file not in UTF-8 is re-encoded as it streams), so memory stays bounded by the
longest line (itself limited), whatever the file's size; other formats are one article per
file, and a file over the limit is refused before it is read.
"""
from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from index.cleaning import Removed, clean_article
from index.dates import find_date, parse_date
from index.encoding import Encoding, NotText, choose_encoding, decode
from index.errors import DocumentError
from index.readers import READERS, Record

SUFFIXES = tuple(READERS)
MAX_FILE_BYTES = 16 * 1024 * 1024  # one article file, or one line of a JSONL/CSV file
SAMPLE_BYTES = 64 * 1024  # what a JSONL or CSV file's encoding is chosen from
LINE_FORMATS = (".jsonl", ".csv")  # read line by line, any size
MAX_TITLE_WORDS = 40  # a first line longer than this is a paragraph, not a headline

ErrorSink = Callable[[DocumentError], None]


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str
    path: str
    lang: str = ""
    date: str | None = None
    url: str | None = None
    source: str | None = None
    extra: dict = field(default_factory=dict, compare=False)
    author: str | None = None
    removed: tuple[Removed, ...] = field(default=(), compare=False)  # what the cleaner cut

    @property
    def full_text(self) -> str:
        """Title and body as one text, the title not repeated when the body starts with it."""
        if not self.title or self.text.lstrip().startswith(self.title.removesuffix(" …")):
            return self.text
        return f"{self.title}\n\n{self.text}"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.full_text.encode("utf-8")).hexdigest()

    def with_lang(self, lang: str) -> Document:
        return replace(self, lang=lang)


def _raise(error: DocumentError) -> None:
    raise error


KnownFile = Callable[[Path], "list[str] | None"]


def read_documents(paths: Iterable[Path], on_error: ErrorSink = _raise,
                   known: KnownFile | None = None) -> Iterator[Document]:
    """Yield every document under ``paths`` (files or folders), in a stable order.

    ``known(path)``, when given, may return the ids of documents an index already holds for
    an unchanged file: that file is then not read again (an update's fast path).
    """
    seen: set[str] = set()
    for root in paths:
        for path, doc_id_base, folder in _walk(Path(root), on_error):
            ids = known(path) if known else None
            if ids is not None:
                seen.update(ids)
                continue
            for doc in _read_file(path, doc_id_base, folder, on_error):
                if doc.id in seen:
                    on_error(DocumentError(path, f"duplicate id {doc.id!r}; skipped"))
                    continue
                seen.add(doc.id)
                yield doc


def _walk(root: Path, on_error: ErrorSink) -> Iterator[tuple[Path, str, str]]:
    """(file, id, folder source): the first folder below ``root``, else ``root``'s own name."""
    if root.is_file():
        yield root, root.stem, root.resolve().parent.name
        return
    if not root.is_dir():
        on_error(DocumentError(root, "no such file or folder; skipped"))
        return
    own_name = root.resolve().name
    visited: set[tuple[int, int]] = set()

    def unreadable(error: OSError) -> None:
        on_error(DocumentError(error.filename, f"{error.strerror or error}; skipped"))

    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=unreadable):
        try:
            st = os.stat(dirpath)
        except OSError as error:
            unreadable(error)
            continue
        if (st.st_dev, st.st_ino) in visited:  # a symlink loop: do not go round again
            dirnames.clear()
            on_error(DocumentError(dirpath, "folder already visited (symlink loop); skipped"))
            continue
        visited.add((st.st_dev, st.st_ino))
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.suffix.lower() in SUFFIXES:
                relative = path.relative_to(root)
                folder = relative.parts[0] if len(relative.parts) > 1 else own_name
                yield path, relative.with_suffix("").as_posix(), folder


def _open(path: Path) -> BinaryIO:
    """The file, opened for reading if it is a regular file of a readable size."""
    st = path.stat()  # follows symlinks; a symlink loop raises ELOOP here
    if not stat.S_ISREG(st.st_mode):
        raise DocumentError(path, "not a regular file; skipped")
    if st.st_size > MAX_FILE_BYTES and path.suffix.lower() not in LINE_FORMATS:
        raise DocumentError(path, f"file is {st.st_size / 2**20:.0f} MiB, over the "
                                  f"{MAX_FILE_BYTES // 2**20} MiB limit for one article; skipped "
                                  f"(split it, or make it JSONL with one article per line)")
    return open(path, "rb")


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes) -> str:
    return _newlines(data.decode("utf-8", errors="replace"))


def _encoding_warning(path: Path, encoding: Encoding) -> DocumentError:
    return DocumentError(path, f"not UTF-8: decoded as {encoding.name}, the encoding detected; indexed")


def _replaced_warning(path: Path, encoding: Encoding, line: int | None = None) -> DocumentError:
    return DocumentError(path, f"invalid {encoding.name} replaced with U+FFFD; indexed", line=line)


def _binary(path: Path, error: NotText) -> DocumentError:
    return DocumentError(path, f"binary file ({error}); skipped")


def _read_text(path: Path) -> tuple[str, DocumentError | None]:
    """A one-article file's text, and a warning when its encoding was detected or bytes replaced."""
    with _open(path) as handle:  # read(n) allocates n bytes up front: ask for the size, not the limit
        data = handle.read(min(os.fstat(handle.fileno()).st_size, MAX_FILE_BYTES) + 1)
    try:
        decoded = decode(data)
    except NotText as error:
        raise _binary(path, error) from None
    if decoded.encoding.detected:
        warning = _encoding_warning(path, decoded.encoding)
    else:
        warning = _replaced_warning(path, decoded.encoding) if decoded.replaced else None
    return _newlines(decoded.text), warning


def _read_lines(path: Path, on_error: ErrorSink) -> Iterator[str]:
    """The lines of a JSONL or CSV file, read one at a time (bounded memory).

    A line over the limit is reported and given as an empty line, so line numbers hold.
    """
    replaced = False
    with _open(path) as handle:
        sample = handle.read(SAMPLE_BYTES)
        try:
            encoding = choose_encoding(sample, complete=len(sample) < SAMPLE_BYTES)
        except NotText as error:
            raise _binary(path, error) from None
        handle.seek(0)
        if encoding.detected:
            on_error(_encoding_warning(path, encoding))
        readline = handle.readline if encoding.codec in ("utf-8", "utf-8-sig") else _recoded(handle, encoding)
        number = 0
        while line := readline(MAX_FILE_BYTES + 1):
            number += 1
            if len(line) > MAX_FILE_BYTES and not line.endswith(b"\n"):
                while (rest := readline(MAX_FILE_BYTES)) and not rest.endswith(b"\n"):
                    pass
                on_error(DocumentError(path, f"line over {MAX_FILE_BYTES // 2**20} MiB; line skipped", line=number))
                yield "\n"
                continue
            text = _decode(line).lstrip("\ufeff") if number == 1 else _decode(line)
            if "\ufffd" in text and not replaced:
                replaced = True
                on_error(_replaced_warning(path, encoding, line=number))
            yield text
        if number == 0 and path.suffix.lower() == ".jsonl":
            raise DocumentError(path, "empty file; skipped")


def _recoded(handle: BinaryIO, encoding: Encoding) -> Callable[[int], bytes]:
    """readline(limit) over a file in another encoding than UTF-8, each line re-encoded as UTF-8
    (so lines still end at "\n" only, and the limit counts characters)."""
    text = io.TextIOWrapper(handle, encoding=encoding.codec, errors="replace", newline="\n")
    return lambda limit: text.readline(limit).encode("utf-8")


def _read_file(path: Path, doc_id_base: str, folder: str, on_error: ErrorSink) -> Iterator[Document]:
    try:
        if path.suffix.lower() in LINE_FORMATS:
            content = _read_lines(path, on_error)
        else:
            content, warning = _read_text(path)
            if warning:
                on_error(warning)
        for record in READERS[path.suffix.lower()](content, path, doc_id_base, on_error):
            doc = make_document(record, record.id or doc_id_base, folder)
            if doc is None:
                on_error(DocumentError(record.path, "nothing left after removing boilerplate; skipped"))
                continue
            if record.date and doc.date is None:
                on_error(DocumentError(record.path, f"date {record.date!r} not understood; ignored"))
            yield doc
    except DocumentError as error:
        on_error(error)
    except OSError as error:
        on_error(DocumentError(path, f"{error.strerror or error}; skipped"))


def make_document(record: Record, doc_id: str, folder: str | None) -> Document | None:
    """Clean one record's text and settle its title, date, author and source."""
    cleaned = clean_article(record.text)
    if not cleaned.text.strip():
        return None
    return Document(
        id=doc_id,
        title=record.title or _first_line(cleaned.text),
        text=cleaned.text,
        path=record.path,
        date=parse_date(record.date) if record.date else find_date(cleaned.text),
        url=record.url,
        source=_source(record.source, record.url, folder),
        author=record.author or cleaned.author,
        removed=cleaned.removed,
    )


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            title = line.strip().lstrip("#").strip()
            words = title.split()
            return title if len(words) <= MAX_TITLE_WORDS else " ".join(words[:MAX_TITLE_WORDS]) + " …"
    return ""


def _source(given: str | None, url: str | None, folder: str | None) -> str | None:
    """Lower-case: the record's own source, else the URL's host without www., else the folder."""
    if given:
        return given.strip().lower().removeprefix("www.")
    host = urlsplit(url).hostname if url and "//" in url else None
    if host:
        return host.removeprefix("www.")
    return folder.lower() if folder else None
