"""What the boilerplate cleaner cuts from a real news corpus, by reason, with every cut line.

    .venv/bin/python bench/studies/cleaner_audit.py /work/shared/bench/ntrex-mixed/corpus.jsonl > /tmp/cuts.txt

Reads a JSONL corpus (`text`, and `_id` or `id`), prints a summary line per reason and then
every cut line with its document id, so a person can read them all and look for story.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from index.reading.cleaning import clean_article  # noqa: E402


def main(corpus: Path) -> None:
    reasons: Counter[str] = Counter()
    cuts: list[str] = []
    documents = lines = touched = 0
    with open(corpus, encoding="utf-8") as records:
        for raw in records:
            record = json.loads(raw)
            documents += 1
            lines += record["text"].count("\n") + 1
            removed = [cut for cut in clean_article(record["text"]).removed if cut.reason != "blank"]
            touched += bool(removed)
            for cut in removed:
                reasons[cut.reason] += 1
                cuts.append(f"{record.get('_id') or record.get('id')}\t{cut.reason}\t{cut.text}")
    print(f"{documents} documents, {lines} lines; {touched} documents lose {sum(reasons.values())} lines: "
          + ", ".join(f"{reason} {count}" for reason, count in reasons.most_common()))
    print("\n".join(cuts))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
