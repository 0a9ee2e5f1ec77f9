"""What an index was built from: its roots (the files and folders given, resolved), how a run
changes them, and how they are read back from a damaged or older index for a rebuild.
"""
from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

from index.errors import RootsError
from index.reading.ids import resolved, under
from index.storage.store import CURRENT, DOCS, MANIFEST


def merge_roots(old: list[str], new: list[str]) -> list[str]:
    """``old`` plus ``new`` (resolved), without a root that a walk of another one reaches (a
    hidden file or folder given on purpose inside a recorded folder stays a root of its own)."""
    merged = list(dict.fromkeys([*old, *new]))
    return [root for root in merged if not any(other != root and walked_under(root, other) for other in merged)]


def walked_under(path: str, root: str) -> bool:
    """Whether a walk of ``root`` reaches resolved ``path``: it is ``root``, or lies below it
    with no hidden file or folder on the way (a walk leaves those alone: index.reading.documents)."""
    if path == root:
        return True
    if not under(path, root):
        return False
    return not any(part.startswith(".") for part in path[len(root.rstrip(os.sep)) + 1:].split(os.sep))


def given_roots(paths: list[Path]) -> list[str]:
    return merge_roots([], [resolved(path) for path in paths])


def check_roots_exist(roots: list[str], index_dir: Path) -> None:
    """RootsError naming the recorded roots that are gone, and the ways out."""
    missing = [root for root in roots if not os.path.exists(root)]
    if missing:
        kept = " ".join(shlex.quote(root) for root in roots if root not in missing) or "PATHS"
        raise RootsError(
            f"the index at {index_dir} was built from {', '.join(missing)}, which no longer "
            f"exist{'s' if len(missing) == 1 else ''}; nothing was changed. Restore "
            f"{'it' if len(missing) == 1 else 'them'}, or make the index hold only what is still "
            f"there: lintas index --rebuild {kept}")


def recorded_roots(index_dir: Path) -> tuple[list[str], str]:
    """What the index says it was built from, for a rebuild, even when it is damaged or of an
    older format: the live generation's manifest, else an older generation's manifest, else
    the distinct files its document tables name. Also says which of these it was ("manifest",
    "older manifest", "documents", or "" with no roots when nothing tells).
    """
    folders = _generations_newest_first(index_dir)
    for number, folder in enumerate(folders):
        data = _json_or_none(folder / MANIFEST)
        roots = data.get("roots") if isinstance(data, dict) else None
        if isinstance(roots, list) and roots and all(isinstance(root, str) for root in roots):
            return roots, "manifest" if number == 0 else "older manifest"
    for folder in folders:
        files = _record_files(folder / DOCS)
        if files:
            return files, "documents"
    return [], ""


def recorded_model(index_dir: Path) -> tuple[str, str] | None:
    """(model, backend) the live manifest names, read leniently (any format); None if unknown."""
    folders = _generations_newest_first(index_dir)
    data = _json_or_none(folders[0] / MANIFEST) if folders else None
    if isinstance(data, dict) and isinstance(data.get("model"), str) and isinstance(data.get("backend"), str):
        return data["model"], data["backend"]
    return None


def _generations_newest_first(index_dir: Path) -> list[Path]:
    """The generation CURRENT names (if any), then the other complete ones, newest first."""
    try:
        live = index_dir / (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        live = None
    others = sorted((p for p in index_dir.glob("gen-*") if p != live and p.name[4:].isdigit()), reverse=True)
    return [folder for folder in [live, *others] if folder is not None and folder.is_dir()]


def _json_or_none(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _record_files(path: Path) -> list[str]:
    """The files a document table names, in order."""
    return list(dict.fromkeys(rec["file"] for rec in _lenient_records(path)
                              if isinstance(rec.get("file"), str) and rec["file"]))


def recorded_removed(index_dir: Path) -> list[dict]:
    """The documents the newest manifest says were removed (kept out of a rebuild too), read
    leniently: entries that are not as written are left out."""
    folders = _generations_newest_first(index_dir)
    data = _json_or_none(folders[0] / MANIFEST) if folders else None
    entries = data.get("removed") if isinstance(data, dict) else None
    return [entry for entry in entries or [] if isinstance(entry, dict) and isinstance(entry.get("id"), str)
            and isinstance(entry.get("file"), str)]


def recorded_records(index_dir: Path) -> list[dict]:
    """The newest generation's document table, read leniently (lines that do not parse are
    left out): what a rebuild compares its documents with."""
    folders = _generations_newest_first(index_dir)
    return _lenient_records(folders[0] / DOCS) if folders else []


def recorded_format(index_dir: Path) -> int | None:
    folders = _generations_newest_first(index_dir)
    data = _json_or_none(folders[0] / MANIFEST) if folders else None
    version = data.get("format_version") if isinstance(data, dict) else None
    return version if isinstance(version, int) else None


def _lenient_records(path: Path) -> list[dict]:
    records = []
    try:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and isinstance(record.get("id"), str):
                    records.append(record)
    except OSError:
        return []
    return records
