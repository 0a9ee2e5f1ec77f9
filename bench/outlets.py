"""How often an article's dateline names its outlet (index.reading.outlets), and every distinct
dateline with the outlet read from it, for a person to check that none is wrong.

    .venv/bin/python bench/outlets.py                      # seeds/, the test pages, ntrex-mixed
    .venv/bin/python bench/outlets.py --all > /tmp/o.txt   # also every dateline read, one per line

The corpora: the seeds, the saved pages of tests/fixtures/pages (as extracted) and the 3,463
IndoSum articles of ../shared/bench/ntrex-mixed (the cleaner's bench: bench/studies/cleaner_audit.py),
each cleaned as Lintas cleans it before the dateline is read.
"""
from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.reading.cleaning import clean_article  # noqa: E402
from index.reading.html import extract_article  # noqa: E402
from index.reading.outlets import HEAD_LINES, dateline_outlet  # noqa: E402

BENCH = Path(os.environ.get("LINTAS_BENCH", "/work/shared/bench"))


def corpora() -> dict[str, list[tuple[str, str]]]:
    seeds = [(path.name, path.read_text(encoding="utf-8")) for path in sorted((ROOT / "seeds").glob("*.txt"))]
    pages = [(str(path.relative_to(ROOT)), extract_article(path.read_text(encoding="utf-8")).text)
             for path in sorted((ROOT / "tests" / "fixtures" / "pages").glob("*/*.htm*"))]
    news = []
    with open(BENCH / "ntrex-mixed" / "corpus.jsonl", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["_id"].startswith("indosum"):
                news.append((record["_id"], record["text"]))
    return {"seeds": seeds, "pages": pages, "indosum (ntrex-mixed)": news}


def main(show_all: bool) -> None:
    print(f"$ .venv/bin/python bench/outlets.py{' --all' if show_all else ''}")
    read: Counter[tuple[str, str]] = Counter()
    for name, documents in corpora().items():
        outlets: Counter[str] = Counter()
        for doc_id, text in documents:
            cleaned = clean_article(text).text
            outlet = dateline_outlet(cleaned)
            outlets[outlet or "-"] += 1
            if outlet:
                head = next(line for line in cleaned.splitlines()[:50] if line.strip() and dateline_outlet(line))
                read[(head.strip()[:50], outlet)] += 1
            elif show_all and name != "indosum (ntrex-mixed)":
                print(f"  none: {doc_id}: {cleaned.strip()[:70]!r}")
        found = len(documents) - outlets["-"]
        print(f"{name}: {found} of {len(documents)} articles ({found / len(documents):.1%}) name an outlet; "
              + ", ".join(f"{outlet} {count}" for outlet, count in outlets.most_common() if outlet != "-"))
    if show_all:
        print(f"\nEvery dateline read (first {HEAD_LINES} non-blank lines; its first 50 characters -> outlet):")
        for (head, outlet), count in sorted(read.items(), key=lambda item: (item[0][1], item[0][0])):
            print(f"{count:5d}  {outlet:<20} {head!r}")


if __name__ == "__main__":
    main("--all" in sys.argv[1:])
