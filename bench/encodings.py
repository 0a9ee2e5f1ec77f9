"""How files that are not UTF-8 come out: charset-normalizer left to choose among every code
page, charset-normalizer limited to Western legacy code pages, and what Lintas does
(index.reading.encoding: mostly-UTF-8 bytes kept as UTF-8 with U+FFFD, else the limited detection,
else U+FFFD; binary when no encoding reads the bytes as text).

    python bench/encodings.py

The texts are real: the seeds and the paragraphs of the bench corpora (/work/shared/bench, or
$LINTAS_BENCH) that have letters outside ASCII, encoded as an old site or a Windows editor
would have saved them (cp1252, Latin-1), or as UTF-8 with a few bad bytes (a stray cp1252
byte, a file cut inside a character, a cp1252 paragraph appended). Random bytes (NUL removed)
stand for binary files without a NUL byte. A text "comes out right" when the decoded text
equals the original (for the mostly-UTF-8 cases: everything but the bad bytes, each a U+FFFD).
"""
from __future__ import annotations

import json
import os
import random
import shlex
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH = Path(os.environ.get("LINTAS_BENCH", "/work/shared/bench"))

from charset_normalizer import from_bytes  # noqa: E402

from index.reading.encoding import LEGACY, NotText, decode  # noqa: E402


def real_texts() -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "seeds").glob("*.txt"))]
    for name in ("tydiqa-goldp-id", "ntrex-mixed", "flores-en-id"):
        path = BENCH / name / "corpus.jsonl"
        if path.exists():
            with open(path, encoding="utf-8") as lines:
                texts += [json.loads(line)["text"] for line in lines]
    return [t for t in texts if any(ord(c) > 127 for c in t)]


def encodable(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def cases(texts: list[str]) -> dict[str, list[tuple[bytes, str]]]:
    """Case name -> [(bytes on disk, the text a reader should get)]."""
    rnd = random.Random(1)
    plain = [t for t in texts if encodable(t, "cp1252")]
    latin = [t for t in (t.translate(str.maketrans("“”‘’–—…", "\"\"''--.")) for t in plain) if encodable(t, "latin-1")]

    def stray(text: str, count: int) -> tuple[bytes, str]:
        """A cp1252 é (byte E9, never valid UTF-8 before a space) before ``count`` of the spaces."""
        spaces = sorted(rnd.sample([i for i, c in enumerate(text) if c == " "], count))
        cuts = list(zip([0, *spaces], [*spaces, len(text)]))
        data = b"\xe9".join(text[a:b].encode("utf-8") for a, b in cuts)
        return data, "\ufffd".join(text[a:b] for a, b in cuts)

    out = {
        "cp1252": [(t.encode("cp1252"), t) for t in plain],
        "Latin-1": [(t.encode("latin-1"), t) for t in latin],
        "UTF-8 + 1 stray byte": [stray(t, 1) for t in plain],
        "UTF-8 + 3 stray bytes": [stray(t, 3) for t in plain],
        "UTF-8 cut inside a character": [(t.encode("utf-8") + "é".encode("utf-8")[:1], t + "\ufffd") for t in plain],
        "UTF-8 + a cp1252 paragraph": [(t.encode("utf-8") + "\nHarga café naik – “kata” dia.".encode("cp1252"),
                                        t + "\nHarga caf\ufffd naik \ufffd \ufffdkata\ufffd dia.") for t in plain],
    }
    for size in (20, 100, 1000, 5000):
        out[f"random {size} bytes, no NUL"] = [
            (bytes(b for b in rnd.randbytes(size * 2) if b)[:size], None) for _ in range(50)]
    return out


def has_utf8(data: bytes) -> bool:
    return any(ord(c) > 127 and c != "\ufffd" for c in data.decode("utf-8", errors="replace"))


def unrestricted(data: bytes) -> str | None:
    best = from_bytes(data).best()
    return None if best is None else str(best)


def limited(data: bytes) -> str | None:
    best = from_bytes(data, cp_isolation=list(LEGACY)).best()
    return None if best is None else str(best)


def lintas(data: bytes) -> str | None:
    try:
        return decode(data).text
    except NotText:
        return None


def main() -> None:
    print("$ " + shlex.join(["python", *sys.argv]))
    texts = real_texts()
    print(f"{len(texts)} real texts with letters outside ASCII (seeds, tydiqa-goldp-id, ntrex-mixed, flores-en-id)\n")
    print(f"{'case':32} {'texts':>5}  {'every code page':>18}  {'Western code pages':>18}  {'Lintas':>18}")
    chosen: dict[str, Counter] = {}
    seconds = Counter()
    for name, items in cases(texts).items():
        row = []
        for label, method in (("every", unrestricted), ("western", limited), ("lintas", lintas)):
            start = time.perf_counter()
            outcomes = [method(data) for data, _ in items]
            seconds[label] += time.perf_counter() - start
            right = sum(1 for got, (_, want) in zip(outcomes, items) if got == want)
            row.append(f"{right:>5} right ({right / len(items):4.0%})")
        print(f"{name:32} {len(items):>5}  " + "  ".join(f"{cell:>18}" for cell in row))
        chosen[name] = Counter(from_bytes(data).best().encoding if from_bytes(data).best() else "none"
                               for data, _ in items[:200])
    print("\n'right': the decoded text equals the original (mostly-UTF-8 cases: each bad byte one U+FFFD, "
          "the rest intact); random bytes: refused as binary.")
    holding = [t for t in texts if encodable(t, "cp1252") and has_utf8(t.encode("cp1252"))]
    print(f"cp1252 texts whose bytes hold a valid UTF-8 character: {len(holding)}; of them already mojibake "
          f"in the corpus (â€, Ã, Ä, Å): {sum(1 for t in holding if any(m in t for m in ('â€', 'Ã', 'Ä', 'Å')))}")
    print("What 'every code page' chose (first 200 of each case):")
    for name, counter in chosen.items():
        print(f"  {name:32} " + ", ".join(f"{enc} {n}" for enc, n in counter.most_common(5)))
    print("Seconds for all cases: " + ", ".join(f"{k} {v:.2f}" for k, v in seconds.items()))


if __name__ == "__main__":
    main()
