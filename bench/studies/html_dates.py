"""Publication dates of saved web pages: how often `lintas index` gets them right.

Data: htmldate's evaluation set (~1,000 real pages in many languages, each with its
publication date checked by hand), not committed here:

    git clone https://github.com/adbar/htmldate /tmp/htmldate
    .venv/bin/python bench/studies/html_dates.py /tmp/htmldate

Each way of dating a page is scored as right (same day as the gold date), wrong (another
day) or none (no date found). A wrong date is worse than none for --since/--until, so both
are printed.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def htmldate_fast(html: str) -> str | None:
    from htmldate import find_date

    return find_date(html, extensive_search=False, original_date=True)


def htmldate_extensive(html: str) -> str | None:
    from htmldate import find_date

    return find_date(html, extensive_search=True, original_date=True)


def lintas_reader(html: str) -> str | None:
    """What `lintas index` stores: the page's metadata date, else a dateline in its cleaned text."""
    from index.reading.documents import make_document
    from index.reading.readers import read_html

    records = list(read_html(html, Path("page.html"), lambda error: None))
    doc = make_document(records[0], "/page.html", None) if records else None
    return doc.date if doc else None


def lintas_then_extensive(html: str) -> str | None:
    """An alternative weighed and not taken: when lintas finds no date, htmldate's extensive search."""
    return lintas_reader(html) or htmldate_extensive(html)


WAYS: dict[str, Callable[[str], str | None]] = {
    "htmldate, metadata only (fast)": htmldate_fast,
    "htmldate, extensive search": htmldate_extensive,
    "lintas reader (metadata, else datelines)": lintas_reader,
    "lintas reader, else extensive search": lintas_then_extensive,
}


def main(repo: Path) -> None:
    cases = {}
    for name in ("eval_default.json", "eval_mediacloud_2020.json"):
        cases.update(json.loads((repo / "tests" / name).read_text(encoding="utf-8")))
    pages = []
    for case in cases.values():
        for folder in ("test_set", "cache", "eval"):
            path = repo / "tests" / folder / case["file"]
            if path.is_file():
                pages.append((path.read_bytes().decode("utf-8", "replace"), case["date"]))
                break
    print(f"{len(pages)} pages with a gold date from {repo}/tests")
    print(f"{'way':<42} {'right':>6} {'wrong':>6} {'none':>6} {'pages/s':>8}")
    for name, way in WAYS.items():
        started = time.perf_counter()
        found = [way(html) for html, _ in pages]
        rate = len(pages) / (time.perf_counter() - started)
        right = sum(f == gold for f, (_, gold) in zip(found, pages))
        none = sum(f is None for f in found)
        wrong = len(pages) - right - none
        print(f"{name:<42} {right / len(pages):6.1%} {wrong / len(pages):6.1%} {none / len(pages):6.1%} {rate:8.1f}")
        sys.stdout.flush()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python bench/studies/html_dates.py PATH_TO_htmldate")
    main(Path(sys.argv[1]))
