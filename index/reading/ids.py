"""Document ids: where a document came from, how people see one, and how they name one.

A document's id is its source: the file's resolved absolute path (with its suffix) for a
one-article file; ``FILE:N`` for a JSONL line or CSV row (N: its line) or a JSON array element
(N: its 1-based position) without an id of its own; ``FILE#ID`` for one with an explicit ``id``
(BEIR: ``_id``). An explicit id is scoped to its file, so two files may both use ``k1``.

People see an id relative to the current folder when its file lies below it, and may name a
document by its exact id, by a path (relative or absolute, with ``:N`` or ``#ID``; ``:N`` also
names a line that has an explicit id), or by its bare explicit id when exactly one document
has it.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from index.errors import AmbiguousId, DocumentNotFound

PATH_MAX = 4096  # Linux's longest path (os.pathconf("/", "PC_PATH_MAX")); macOS's is shorter


def resolved(path: object) -> str:
    """A file's resolved absolute path, as ids and records hold it (symlinks followed; a
    symlink loop is left as it is rather than raising)."""
    return os.path.realpath(os.path.expanduser(str(path)))


def under(path: str, root: str) -> bool:
    """Whether resolved ``path`` is ``root`` or lies below it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def document_id(file: str, key: str | None = None, position: int | None = None) -> str:
    """The id of the document read from ``file`` (resolved): ``FILE``, ``FILE:N`` or ``FILE#ID``."""
    if key is not None:
        return f"{file}#{key}"
    if position is not None:
        return f"{file}:{position}"
    return file


def display_id(doc_id: str, cwd: Path | str | None = None) -> str:
    """``doc_id`` as people read it: relative to ``cwd`` (default: the current folder) when its
    file lies below it, else the absolute id."""
    base = resolved(cwd if cwd is not None else os.getcwd()).rstrip(os.sep) + os.sep
    return doc_id[len(base):] if doc_id.startswith(base) and len(doc_id) > len(base) else doc_id


class DocumentIds:
    """Every document of an index by id, file, path and explicit id: turns what a person typed
    into an id."""

    def __init__(self, entries: Iterable[tuple[str, str | None, str | None, str | None]]) -> None:
        """``entries``: (id, file, explicit id or None, path: the file with ``:N`` for a line,
        row or element) per document."""
        self._ids: set[str] = set()
        self._files: set[str] = set()
        self._by_path: dict[str, str] = {}
        self._by_key: dict[str, list[str]] = {}
        self._by_file: dict[str, list[str]] = {}
        for doc_id, file, key, path in entries:
            self._ids.add(doc_id)
            if file:
                self._files.add(file)
                self._by_file.setdefault(file, []).append(doc_id)
            if path:
                self._by_path.setdefault(path, doc_id)
            if key is not None:
                self._by_key.setdefault(key, []).append(doc_id)

    def resolve(self, text: str, cwd: Path | str | None = None) -> str:
        """The id ``text`` names: an exact id; a path (relative to ``cwd`` or absolute),
        optionally followed by ``:N`` or ``#ID``; or an explicit id only one document has.

        DocumentNotFound when nothing matches; AmbiguousId (listing them) when several
        documents have that explicit id.
        """
        if text in self._ids:
            return text
        base = cwd if cwd is not None else os.getcwd()
        # Every place the path could end: the whole text, or just before a ':' or '#'; none
        # past PATH_MAX, as no longer path names a file.
        ends = [i for i, ch in enumerate(text[:PATH_MAX]) if ch in ":#" and i > 0]
        if len(text) < PATH_MAX:
            ends.insert(0, len(text))
        for end in ends:
            typed = os.path.join(base, text[:end])
            # resolved() costs a system call per folder of the path, so a name of many ':' would
            # be quadratic: only an indexed file or one on disk (a symlink to one) is worth it.
            # isfile() is one call, and False for a path too long or holding a NUL.
            if os.path.normpath(typed) not in self._files and not os.path.isfile(typed):
                continue
            file = resolved(typed)
            if file in self._files:
                candidate = file + text[end:]
                if candidate in self._ids:
                    return candidate
                if candidate in self._by_path:
                    return self._by_path[candidate]
        matches = self._by_key.get(text, [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise AmbiguousId(text, [display_id(doc_id, base) for doc_id in sorted(matches)])
        raise DocumentNotFound(text)

    def of_file(self, text: str, cwd: Path | str | None = None) -> list[str]:
        """Every document of the file ``text`` names (relative to ``cwd`` or absolute), in
        order; empty when it names no file of the index."""
        if not text or len(text) >= PATH_MAX:
            return []
        typed = os.path.join(cwd if cwd is not None else os.getcwd(), text)
        return list(self._by_file.get(resolved(typed), []))
