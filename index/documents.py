"""Reading articles from files: plain text, Markdown and JSONL.

A folder is walked for the suffixes below. Every problem with one file (or one JSONL
line) is reported through ``on_error`` and the rest of the run goes on.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from index.errors import DocumentError

SUFFIXES = (".txt", ".md", ".jsonl")
MAX_FILE_BYTES = 64 * 1024 * 1024

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

    @property
    def full_text(self) -> str:
        """Title and body as one text, the title not repeated when the body starts with it."""
        if not self.title or self.text.lstrip().startswith(self.title):
            return self.text
        return f"{self.title}\n\n{self.text}"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.full_text.encode("utf-8")).hexdigest()

    def with_lang(self, lang: str) -> Document:
        return replace(self, lang=lang)


def _raise(error: DocumentError) -> None:
    raise error


def read_documents(paths: Iterable[Path], on_error: ErrorSink = _raise) -> Iterator[Document]:
    """Yield every document under ``paths`` (files or folders), in a stable order."""
    seen: set[str] = set()
    for root in paths:
        for path, doc_id_base in _walk(Path(root), on_error):
            for doc in _read_file(path, doc_id_base, on_error):
                if doc.id in seen:
                    on_error(DocumentError(path, f"duplicate id {doc.id!r}; skipped"))
                    continue
                seen.add(doc.id)
                yield doc


def _walk(root: Path, on_error: ErrorSink) -> Iterator[tuple[Path, str]]:
    if root.is_file():
        yield root, root.stem
        return
    if not root.is_dir():
        on_error(DocumentError(root, "no such file or folder"))
        return
    visited: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=None):
        st = os.stat(dirpath)
        if (st.st_dev, st.st_ino) in visited:  # a symlink loop: do not go round again
            dirnames.clear()
            on_error(DocumentError(dirpath, "folder already visited (symlink loop); skipped"))
            continue
        visited.add((st.st_dev, st.st_ino))
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.suffix.lower() in SUFFIXES:
                yield path, path.relative_to(root).with_suffix("").as_posix()


def _read_text(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DocumentError(path, f"file is {size // 2**20} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit; skipped")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise DocumentError(path, "binary file (NUL bytes); skipped")
    text = data.decode("utf-8", errors="replace")
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _read_file(path: Path, doc_id_base: str, on_error: ErrorSink) -> Iterator[Document]:
    try:
        text = _read_text(path)
    except DocumentError as error:
        on_error(error)
        return
    except OSError as error:
        on_error(DocumentError(path, error.strerror or str(error)))
        return
    if "\ufffd" in text:
        on_error(DocumentError(path, "invalid UTF-8 replaced with U+FFFD; indexed"))
    if path.suffix.lower() == ".jsonl":
        yield from _read_jsonl(text, path, doc_id_base, on_error)
        return
    if not text.strip():
        on_error(DocumentError(path, "empty file; skipped"))
        return
    yield Document(id=doc_id_base, title=_first_line(text), text=text.strip(), path=str(path))


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip()
    return ""


def _read_jsonl(text: str, path: Path, doc_id_base: str, on_error: ErrorSink) -> Iterator[Document]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            on_error(DocumentError(path, f"invalid JSON ({error.msg}); line skipped", line=number))
            continue
        body = record.get("text") if isinstance(record, dict) else None
        if not isinstance(body, str) or not body.strip():
            on_error(DocumentError(path, "no 'text' string; line skipped", line=number))
            continue
        yield Document(
            id=str(record.get("id") or f"{doc_id_base}:{number}"),
            title=str(record.get("title") or _first_line(body)),
            text=body.strip(),
            path=f"{path}:{number}",
            date=_opt_str(record.get("date")),
            url=_opt_str(record.get("url")),
            source=_opt_str(record.get("source")),
        )


def _opt_str(value: object) -> str | None:
    return None if value is None or value == "" else str(value)
