"""Where an index lives on disk and how a new version of it replaces the old one.

    INDEX_DIR/
      CURRENT           name of the live generation, replaced atomically
      gen-000007/       one complete index
        manifest.json   format, model, backend, vector size, analyzer, counts
        docs.jsonl      one line per document: id, title, path, lang, ..., passage spans
        vectors.npy     float32, L2-normalised, one row per passage, documents in order
        whoosh/         the BM25 keyword index

A build writes a new generation beside the live one and switches CURRENT with os.replace,
so a crash at any moment leaves the previous index whole and searchable.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.errors import IndexCorrupt, IndexMismatch, IndexNotFound

FORMAT_VERSION = 1
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
DOCS = "docs.jsonl"
VECTORS = "vectors.npy"
WHOOSH = "whoosh"


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
    except (FileNotFoundError, NotADirectoryError):
        raise IndexNotFound(index_dir) from None
    generation = index_dir / name
    if not name.startswith("gen-") or not (generation / MANIFEST).is_file():
        raise IndexCorrupt(index_dir / CURRENT, f"names a missing generation {name!r}")
    return generation


def new_generation(index_dir: Path) -> Path:
    """An empty folder for a build; becomes live only through commit_generation."""
    index_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="tmp-", dir=index_dir))


def commit_generation(index_dir: Path, staged: Path) -> Path:
    """Make ``staged`` the live generation atomically, then drop the older ones.

    The generation that was live until now is kept one round longer, so a search that read
    CURRENT just before the switch can still open its files.
    """
    try:
        previous = current_generation(index_dir)
    except (IndexNotFound, IndexCorrupt):
        previous = None
    numbers = [int(p.name[4:]) for p in index_dir.glob("gen-*") if p.name[4:].isdigit()]
    generation = index_dir / f"gen-{max(numbers, default=0) + 1:06d}"
    staged.rename(generation)
    _fsync_dir(generation)
    pointer = index_dir / f".{CURRENT}.tmp"
    pointer.write_text(generation.name + "\n", encoding="utf-8")
    with open(pointer, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)
    for old in index_dir.glob("gen-*"):
        if old not in (generation, previous):
            shutil.rmtree(old, ignore_errors=True)
    for tmp in index_dir.glob("tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)
    return generation


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    (folder / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2, ensure_ascii=False) + "\n",
                                   encoding="utf-8")


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(**data)
    except (OSError, ValueError, TypeError) as error:
        raise IndexCorrupt(path, str(error)) from None
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(
            f"index at {folder.parent} has format {manifest.format_version}, this lintas reads "
            f"{FORMAT_VERSION}; run lintas index --rebuild"
        )
    return manifest
