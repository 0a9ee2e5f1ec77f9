"""What changed since the last index: document fingerprints, unchanged files, pruning."""
from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from index.reading.documents import Document
from index.reading.ids import under
from index.storage.roots import walked_under


class KnownFiles:
    """The fast path of an update: a file whose bytes hash as when it was indexed (with the
    same reading code) is not read, cleaned and dated again; its documents stay as they are."""

    def __init__(self, records: dict[str, dict]) -> None:
        self._records = records
        self._by_file: dict[str, list[str]] = {}
        for doc_id, rec in records.items():
            self._by_file.setdefault(rec.get("file", ""), []).append(doc_id)
        self._hashes: dict[str, str | None] = {}
        self.reused: set[str] = set()

    def hash(self, file: str) -> str | None:
        """sha256 of the file's bytes and of the code that reads files; None if unreadable."""
        if file not in self._hashes:
            digest = hashlib.sha256(_reading_code())
            try:
                with open(file, "rb") as handle:
                    while chunk := handle.read(1 << 20):
                        digest.update(chunk)
                self._hashes[file] = digest.hexdigest()
            except OSError:
                self._hashes[file] = None
        return self._hashes[file]

    def unchanged(self, file: str) -> list[str] | None:
        """The ids of ``file``'s documents (resolved path) if its bytes are as when indexed.

        Called before the file is read: its hash is taken now, so lines a scraper appends
        while this run reads it are new to the next run, never taken as already indexed.
        """
        raw = self.hash(file)
        ids = self._by_file.get(file)
        if not ids or not os.path.isfile(file):
            return None
        if raw is None or any(self._records[doc_id].get("raw") != raw for doc_id in ids):
            return None
        self.reused.update(ids)
        return ids

    def path_of(self, doc_id: str) -> str:
        """Where an indexed document came from: its file, with :N for a line, row or element."""
        record = self._records[doc_id]
        return record.get("path") or record.get("file", doc_id)


@functools.cache
def _reading_code() -> bytes:
    """The source of the modules that turn files into documents, and the versions of the
    libraries they read with: new code, or a new trafilatura, reads files anew."""
    from importlib.metadata import PackageNotFoundError, version
    from importlib.util import find_spec

    names = ("index.reading.documents", "index.reading.ids", "index.reading.readers", "index.reading.encoding",
             "index.reading.cleaning", "index.reading.dates", "index.reading.html", "index.reading.outlets")
    digest = hashlib.sha256()
    for name in names:
        spec = find_spec(name)
        try:
            digest.update(Path(spec.origin).read_bytes() if spec and spec.origin else name.encode())
        except OSError:
            digest.update(name.encode())
    for package in ("trafilatura", "langdetect", "charset-normalizer"):
        try:
            digest.update(f"{package}=={version(package)}".encode())
        except PackageNotFoundError:
            digest.update(package.encode())
    return digest.digest()


def fingerprint(doc: Document) -> str:
    """What decides that a document changed: its whole content and metadata, not its mtime."""
    content = [doc.id, doc.title, doc.text, doc.path, doc.date, doc.url, doc.source, doc.author]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()


def pruned(record: dict, roots: list[str], failed: set[str], prune: bool) -> bool:
    """Whether a document this run did not see goes: the walk of a root read this run reaches
    its file (the file is gone or renamed, a JSONL line removed), unless reading that file, or
    a folder it lies in, failed. A hidden file given by name inside a root is not reached by
    the root's walk: it goes only when it is itself a root read this run.
    Documents of other roots stay, even when their files are gone (an unmounted disk): the
    next run over their own root settles them.

    ``roots``: the roots read this run and the targets of the symlinked folders their walks
    went into (a file reached through one has its id there); with ``failed``, resolved paths.
    """
    file = record.get("file", "")
    if not prune or any(under(file, path) for path in failed):
        return False
    return any(walked_under(file, root) for root in roots)

