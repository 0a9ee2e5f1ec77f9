"""One reader per file format: each turns a file's text into raw article records.

A record is what the file says, before cleaning: body text and whatever metadata the format
carries (title, date, url, source, author, and the article's own id, its ``key``), and where
in the file it was (a line, a row's first line, an element of a JSON array). Problems with
one line, row or element go to ``on_error`` and the rest of the file is still read.
"""
from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import DocumentError

ErrorSink = Callable[[DocumentError], None]
METADATA = ("title", "date", "url", "source", "author")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON can escape one half of a pair alone
FIELD_LIMIT = 64 * 1024 * 1024  # a long article in one CSV cell is fine (the default is 128 KiB)


@dataclass(frozen=True)
class Record:
    text: str
    key: str | None = None  # the article's own id (`id`, or BEIR's `_id`); None: it has none
    position: int | None = None  # its line (JSONL), first line (CSV) or element (JSON array); None: the file
    title: str | None = None
    date: str | None = None
    url: str | None = None
    source: str | None = None
    author: str | None = None


def _opt_str(value: object) -> str | None:
    return None if value is None or value == "" else _whole(str(value)).strip() or None


def _whole(text: str) -> str:
    """The text with each lone surrogate (JSON can escape one: "\\ud800") as U+FFFD: no UTF-8
    encoder takes one, so it could not be hashed, stored or shown."""
    return LONE_SURROGATE.sub("\ufffd", text)


def _record(fields: dict, position: int | None) -> Record:
    values = {key: _opt_str(fields.get(key)) for key in METADATA}
    key = _opt_str(fields.get("id")) or _opt_str(fields.get("_id"))  # BEIR corpora: _id
    return Record(text=_whole(str(fields["text"])).strip(), key=key, position=position, **values)


def _has_text(fields: object) -> bool:
    body = fields.get("text") if isinstance(fields, dict) else None
    return isinstance(body, str) and bool(body.strip())


def read_plain(text: str, path: Path, on_error: ErrorSink) -> Iterator[Record]:
    """.txt and .md: the whole file is one article."""
    if not text.strip():
        on_error(DocumentError(path, "empty file; skipped"))
        return
    yield Record(text=text)


def _lines(text: str | Iterable[str]) -> Iterable[str]:
    """A file's lines: from its text, or as index.reading.documents streams them (JSONL, CSV)."""
    return text.splitlines(keepends=True) if isinstance(text, str) else text


def json_problem(error: json.JSONDecodeError) -> str:
    """The decoder's whole reason and where in the line: "Invalid control character at column 27"."""
    reason = error.msg.removesuffix(" at")
    if error.pos >= len(error.doc.rstrip()):
        return f"{reason} at the end of the line"
    return f"{reason} at column {error.colno}"


def read_jsonl(text: str | Iterable[str], path: Path, on_error: ErrorSink) -> Iterator[Record]:
    """One JSON object per line: `text` required; id, title, date, url, source, author optional."""
    for number, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            on_error(DocumentError(path, f"invalid JSON ({json_problem(error)}); line skipped", line=number))
            continue
        except RecursionError:
            on_error(DocumentError(path, "JSON nested too deeply to read; line skipped", line=number))
            continue
        body = record.get("text") if isinstance(record, dict) else None
        if not isinstance(body, str) or not body.strip():
            on_error(DocumentError(path, "no 'text' string; line skipped", line=number))
            continue
        yield _record(record, number)


def read_json(text: str, path: Path, on_error: ErrorSink) -> Iterator[Record]:
    """.json: one article object, or an array of them (as scrapers save); fields as in JSONL.

    An array element that is not an article is named by its 1-based position and skipped.
    """
    if not text.strip():
        on_error(DocumentError(path, "empty file; skipped"))
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        on_error(DocumentError(path, f"invalid JSON ({error.msg}: line {error.lineno} column "
                                     f"{error.colno}); skipped"))
        return
    except RecursionError:
        on_error(DocumentError(path, "JSON nested too deeply to read; skipped"))
        return
    if isinstance(data, dict):
        if _has_text(data):
            yield _record(data, None)
        else:
            on_error(DocumentError(path, "no 'text' string in the object; skipped"))
        return
    if not isinstance(data, list):
        on_error(DocumentError(path, "not an article object or an array of them; skipped"))
        return
    for number, element in enumerate(data, start=1):
        if _has_text(element):
            yield _record(element, number)
        else:
            on_error(DocumentError(path, f"element {number} is not an object with a 'text' string; "
                                         f"element skipped"))


def read_csv(text: str | Iterable[str], path: Path, on_error: ErrorSink) -> Iterator[Record]:
    """A header row naming the columns: `text` required; the others as in JSONL."""
    csv.field_size_limit(FIELD_LIMIT)
    rows = csv.reader(_lines(text))
    try:
        header = [name.strip().lower().lstrip("\ufeff") for name in next(rows)]
    except (StopIteration, csv.Error):
        on_error(DocumentError(path, "empty CSV file; skipped"))
        return
    if "text" not in header:
        on_error(DocumentError(path, "CSV header has no 'text' column; skipped"))
        return
    line = rows.line_num
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            on_error(DocumentError(path, f"bad CSV ({error}); rest of file skipped", line=rows.line_num))
            return
        line, start = rows.line_num, line + 1
        if not any(cell.strip() for cell in row):
            continue
        fields = dict(zip(header, row))
        if len(row) != len(header):
            on_error(DocumentError(path, f"row has {len(row)} columns, the header {len(header)}; row skipped",
                                   line=start))
            continue
        if not fields["text"].strip():
            on_error(DocumentError(path, "the row's text is empty; row skipped", line=start))
            continue
        yield _record(fields, start)


def read_html(text: str, path: Path, on_error: ErrorSink) -> Iterator[Record]:
    """A saved web page: its main text and metadata (see index.reading.html)."""
    from index.reading.html import extract_article

    page = extract_article(text)
    if not page.text.strip():
        on_error(DocumentError(path, "no article text found in the page; skipped"))
        return
    yield Record(text=page.text, title=page.title or None, date=page.date, url=page.url,
                 author=page.author)


READERS: dict[str, Callable[[str, Path, ErrorSink], Iterator[Record]]] = {
    ".txt": read_plain,
    ".md": read_plain,
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".csv": read_csv,
    ".html": read_html,
    ".htm": read_html,
}
# How the messages name a record's place in a file of each format.
UNITS = {".jsonl": ("line", "line"), ".csv": ("line", "row"), ".json": ("element", "element")}
