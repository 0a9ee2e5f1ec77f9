"""One indexed article as stored: its cleaned text, metadata, and what the cleaner cut."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from index.reading.cleaning import rebuild_raw
from index.errors import DocumentNotFound
from search.reader import IndexReader


@dataclass(frozen=True)
class Cut:
    line: int  # 0-based line of the raw text (for a web page: of the text extracted from it)
    text: str
    reason: str


@dataclass(frozen=True)
class Article:
    id: str
    key: str | None  # its own id in its file (JSONL/CSV/JSON `id`), if it has one
    title: str
    lang: str
    path: str
    date: str | None
    source: str | None
    url: str | None
    author: str | None
    text: str  # the cleaned body (the title is prepended when indexed, unless the body starts with it)
    removed: list[Cut] = field(default_factory=list)

    @property
    def body(self) -> str:
        """The text to show under the title: ``text`` without its first line when that line is
        the title (a .txt file's first line becomes its title, and stays in its text)."""
        head, newline, rest = self.text.lstrip("\n").partition("\n")
        if self.title and head.strip().lstrip("#").strip() == self.title:
            return rest.lstrip("\n")
        return self.text

    def raw_lines(self) -> list[tuple[str, str | None]]:
        """The raw lines in order, each with the reason the cleaner cut it (None: kept)."""
        return rebuild_raw(self.text, [(c.line, c.text, c.reason) for c in self.removed])

    def to_json(self, raw: bool = False) -> dict:
        record = asdict(self)
        if raw:
            record["raw_text"] = "\n".join(line for line, _ in self.raw_lines())
        return record


def get_article(reader: IndexReader, name: str) -> Article:
    """The article ``name`` names: its id, its file's path (with :N or #ID), or its own id."""
    doc_id = reader.resolve_id(name)
    with reader.searcher() as searcher:
        fields = searcher.document(id=doc_id)
    if not fields:
        raise DocumentNotFound(doc_id)
    info = reader.docs[reader.position(doc_id)]
    body = fields.get("content", "")[fields.get("body_start", 0):]
    return Article(
        id=doc_id, key=info.key, title=info.title, lang=info.lang, path=info.path, date=info.date, source=info.source,
        url=info.url, author=fields.get("author") or None, text=body,
        removed=[Cut(line, cut, reason) for line, cut, reason in fields.get("removed", [])],
    )
