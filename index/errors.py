"""The few domain errors Lintas raises; the CLI turns each into `Error: ...`, exit 1."""


class LintasError(Exception):
    """Base class: a problem the user can act on, never a bug."""


class IndexNotFound(LintasError):
    def __init__(self, path: object, builder: str | None = None) -> None:
        """``builder``: the pid of a first `lintas index` still building it, if one is."""
        super().__init__(f"no index at {path}; run lintas index first" if builder is None else
                         f"no index at {path} yet: one is being built (lintas index, pid {builder}); "
                         f"try again when it has finished")
        self.path = path
        self.builder = builder


class IndexMismatch(LintasError):
    """The index on disk was built differently from what is asked (model, format)."""


class IndexCorrupt(LintasError):
    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"index file {path} is unreadable ({reason}); run lintas index --rebuild")
        self.path = path


class DocumentError(LintasError):
    """One input file (or line) could not be read; it is skipped and counted."""

    def __init__(self, path: object, reason: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class ModelError(LintasError):
    """An embedding model could not be loaded."""


class ClusterUnreachable(ModelError):
    """--ray was given a cluster address nobody answers at."""


class DocumentNotFound(LintasError):
    def __init__(self, doc_id: str) -> None:
        super().__init__(f"no document {doc_id!r} in the index; lintas search shows document ids")
        self.doc_id = doc_id


class IndexLocked(LintasError):
    """Another process is writing this index."""

    def __init__(self, path: object, pid: str) -> None:
        super().__init__(f"another lintas index is running (pid {pid}) on {path}; wait for it to finish")
        self.path = path
        self.pid = pid


class DocumentsSkipped(LintasError):
    """--strict: some input was skipped, so the index was left as it was."""


class UnknownDocuments(LintasError):
    """`lintas remove` was given an id the index does not have."""


class AmbiguousId(LintasError):
    """A bare explicit id (`k1`) that several files use: the person must say which."""

    def __init__(self, key: str, candidates: list[str]) -> None:
        super().__init__(f"{len(candidates)} documents have id {key!r}: {', '.join(candidates)}; "
                         f"name one of them")
        self.key = key
        self.candidates = candidates


class InputError(LintasError):
    """A file or folder given by name cannot be indexed (missing, or of a type Lintas does not
    read); nothing was changed."""


class RootsError(LintasError):
    """What the index was built from is unknown, or a folder it was built from is gone."""


class IndexPathError(LintasError):
    """The index location is not a folder (or cannot be made one)."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"the index location {path} {reason}; give a folder with --index "
                         f"(lintas creates it) or set LINTAS_INDEX")
        self.path = path


class CannotListen(LintasError):
    """`lintas serve` cannot listen where it was asked to."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"cannot listen on {host}:{port} ({reason}); choose another --port or --host")
