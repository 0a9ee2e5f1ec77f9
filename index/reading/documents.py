"""Reading articles from files: plain text, Markdown, JSON, JSONL, CSV and saved web pages.

A folder is walked for the suffixes below (hidden files and folders, such as ``.git``, are
left alone; files of other types are counted, not read). A path given by name must exist and,
if a file, be of a type read here: otherwise InputError, before anything is read. Every
problem with one file (or one JSONL/CSV line, or JSON array element) is reported through
``on_error`` and the rest of the run goes on. Each document's id says where it came from
(index.reading.ids). Each article is cleaned of boilerplate (index.reading.cleaning), keeping a record of
what was cut, and given a date (metadata, else its datelines: index.reading.dates) and a source
(metadata, else the URL's host, else the outlet its dateline names, else the folder it was
found in).

Bad input is skipped and reported, never fatal: binary files, empty files, files over the
size limit, unreadable files, things that are not regular files (FIFOs, devices) and symlink
loops. Text is UTF-8, or UTF-16/32 with a BOM, or a legacy code page (cp1252, Latin-1) that
index.reading.encoding detects, with a warning naming it; invalid UTF-8 in mostly-UTF-8 text is
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
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from index.reading.cleaning import Removed, clean_article
from index.reading.dates import find_date, parse_date
from index.reading.encoding import Encoding, NotText, choose_encoding, decode
from index.errors import DocumentError, InputError
from index.reading.ids import document_id, resolved
from index.reading.outlets import dateline_outlet
from index.reading.readers import READERS, UNITS, Record

SUFFIXES = tuple(READERS)
MAX_FILE_BYTES = 16 * 1024 * 1024  # one article file, or one line of a JSONL/CSV file
SAMPLE_BYTES = 64 * 1024  # what a JSONL or CSV file's encoding is chosen from
LINE_FORMATS = (".jsonl", ".csv")  # read line by line, any size
MAX_TITLE_WORDS = 40  # a first line longer than this is a paragraph, not a headline

ErrorSink = Callable[[DocumentError], None]


@dataclass(frozen=True)
class Document:
    id: str  # where it came from: FILE, FILE:N or FILE#KEY (index.reading.ids)
    title: str
    text: str
    path: str  # the file, with :N for a line, row or array element
    lang: str = ""
    date: str | None = None
    url: str | None = None
    source: str | None = None
    extra: dict = field(default_factory=dict, compare=False)
    author: str | None = None
    removed: tuple[Removed, ...] = field(default=(), compare=False)  # what the cleaner cut
    file: str = ""  # the file it was read from: resolved, absolute
    key: str | None = None  # its own id in that file (JSONL/CSV/JSON `id`, BEIR `_id`), if any

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


KnownFile = Callable[[str], "list[str] | None"]


def read_documents(paths: Iterable[Path], on_error: ErrorSink = _raise, known: KnownFile | None = None,
                   others: Counter | None = None, linked: set[str] | None = None) -> Iterator[Document]:
    """Yield every document under ``paths`` (files or folders), in a stable order.

    Every path is checked before anything is read (InputError: missing, or a file of a type
    not read here). ``known(file)``, when given, may return the ids of documents an index
    already holds for an unchanged file (resolved path): that file is then not read again
    (an update's fast path). ``others``, when given, counts by suffix the files of other
    types met inside folders. ``linked``, when given, collects the resolved targets of the
    symlinked folders the walk went into (their files' ids lie there, maybe outside every
    path given). A file met twice (folders given twice, nested or linked) is read once.
    """
    paths = [Path(p) for p in paths]
    check_inputs(paths)
    seen: set[str] = set()
    for root in paths:
        for path, folder in _walk(root, on_error, others, linked):
            file = resolved(path)
            if not _utf8(file):  # no id, message or record could hold it: named as Python shows it
                on_error(DocumentError(repr(file), "file name is not valid UTF-8; skipped"))
                continue
            if file in seen:
                continue
            seen.add(file)
            if known is not None and known(file) is not None:
                continue
            yield from _read_file(path, file, folder, on_error)


def check_inputs(paths: list[Path]) -> None:
    """Every path given by name exists, and a file given by name is of a type read here."""
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder; nothing was indexed")
        if path.is_file() and path.suffix.lower() not in SUFFIXES:
            kind = f"{path.suffix} files" if path.suffix else "files without a suffix"
            raise InputError(f"{path}: lintas does not read {kind}; it reads {', '.join(SUFFIXES)} "
                             f"(and folders of them); nothing was indexed")


def _utf8(name: str) -> bool:
    """Whether a path decodes from UTF-8: os.fsdecode keeps other bytes as lone surrogates."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _hidden(name: str) -> bool:
    return name.startswith(".")


def _walk(root: Path, on_error: ErrorSink, others: Counter | None,
          linked: set[str] | None = None) -> Iterator[tuple[Path, str]]:
    """(file, folder source): the first folder below ``root``, else ``root``'s own name."""
    if not root.is_dir():  # a file given by name (check_inputs: it exists)
        yield root, os.path.basename(os.path.dirname(resolved(root)))
        return
    own_name = Path(resolved(root)).name
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
        dirnames[:] = sorted(name for name in dirnames if not _hidden(name))
        if linked is not None:
            linked.update(resolved(Path(dirpath) / name) for name in dirnames
                          if os.path.islink(os.path.join(dirpath, name)))
        for name in sorted(filenames):
            if _hidden(name):
                continue
            path = Path(dirpath) / name
            suffix = path.suffix.lower()
            if suffix in SUFFIXES:
                relative = path.relative_to(root)
                yield path, relative.parts[0] if len(relative.parts) > 1 else own_name
            elif others is not None:
                others[suffix or "no suffix"] += 1


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


def _read_file(path: Path, file: str, folder: str, on_error: ErrorSink) -> Iterator[Document]:
    suffix = path.suffix.lower()
    first_at: dict[str, int | None] = {}  # explicit id -> where the file first used it
    try:
        if suffix in LINE_FORMATS:
            content = _read_lines(path, on_error)
        else:
            content, warning = _read_text(path)
            if warning:
                on_error(warning)
        for record in READERS[suffix](content, path, on_error):
            if record.key is not None and first_at.setdefault(record.key, record.position) != record.position:
                where, unit = UNITS.get(suffix, ("line", "line"))
                on_error(DocumentError(path, f"id {record.key!r} already used at {where} "
                                             f"{first_at[record.key]} of this file; {unit} skipped",
                                       line=record.position))
                continue
            doc = make_document(record, file, folder)
            if doc is None:
                on_error(DocumentError(path, "nothing left after removing boilerplate; skipped",
                                       line=record.position))
                continue
            if record.date and doc.date is None:
                on_error(DocumentError(path, f"date {record.date!r} not understood; ignored", line=record.position))
            yield doc
    except DocumentError as error:
        on_error(error)
    except OSError as error:
        on_error(DocumentError(path, f"{error.strerror or error}; skipped"))


def make_document(record: Record, file: str, folder: str | None) -> Document | None:
    """Clean one record's text and settle its id, title, date, author and source.

    ``file``: the resolved path of the file it was read from.
    """
    cleaned = clean_article(record.text)
    if not cleaned.text.strip():
        return None
    return Document(
        id=document_id(file, record.key, record.position),
        title=record.title or _first_line(cleaned.text),
        text=cleaned.text,
        path=file if record.position is None else f"{file}:{record.position}",
        date=parse_date(record.date) if record.date else find_date(cleaned.text),
        url=record.url,
        source=_source(record.source, record.url, folder, cleaned.text),
        author=record.author or cleaned.author,
        removed=cleaned.removed,
        file=file,
        key=record.key,
    )


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            title = line.strip().lstrip("#").strip()
            words = title.split()
            return title if len(words) <= MAX_TITLE_WORDS else " ".join(words[:MAX_TITLE_WORDS]) + " …"
    return ""


def _source(given: str | None, url: str | None, folder: str | None, text: str) -> str | None:
    """Lower-case: the record's own source, else the URL's host without www., else the outlet
    the text's dateline names (index.reading.outlets), else the folder."""
    if given:
        return given.strip().lower().removeprefix("www.")
    host = _host(url) if url and "//" in url else None
    if host:
        return host.removeprefix("www.")
    return dateline_outlet(text) or (folder.lower() if folder else None)


def _host(url: str) -> str | None:
    """The URL's host; None when it has none, or cannot have one ("http://[bad/x")."""
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None
