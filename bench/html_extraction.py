"""Main-text extraction from saved news pages: trafilatura against plain parsers, measured.

Data: the ScrapingHub article-extraction benchmark (181 real news and blog pages, each with a
human-checked articleBody). It is not committed here; bring it and point this script at it:

    git clone https://github.com/scrapinghub/article-extraction-benchmark /tmp/aeb
    .venv/bin/python bench/html_extraction.py /tmp/aeb

The score is the benchmark's own (its evaluate.py is imported from the given folder):
precision/recall/F1 over 4-word shingles of the extracted text against the gold text,
averaged per page. Speed is pages per second in this run, single process.
"""
from __future__ import annotations

import gzip
import json
import sys
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form"}


class _Paragraphs(HTMLParser):
    """Plain baseline: the text of every <p>, outside navigation, header, footer and scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.in_p = 0
        self.current: list[str] = []
        self.paragraphs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip += 1
        elif tag == "p":
            self.in_p += 1

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self.skip:
            self.skip -= 1
        elif tag == "p" and self.in_p:
            self.in_p -= 1
            text = " ".join("".join(self.current).split())
            if text:
                self.paragraphs.append(text)
            self.current = []

    def handle_data(self, data):
        if self.in_p and not self.skip:
            self.current.append(data)


def plain_paragraphs(html: str, url: str) -> str:
    parser = _Paragraphs()
    parser.feed(html)
    return "\n".join(parser.paragraphs)


def justext_paragraphs(html: str, url: str) -> str:
    import justext

    paragraphs = justext.justext(html.encode("utf-8"), justext.get_stoplist("English"))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def trafilatura_default(html: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url) or ""


def trafilatura_precision(html: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url, favor_precision=True) or ""


def lintas_reader(html: str, url: str) -> str:
    """What `lintas index` keeps: its HTML reader, then its boilerplate cleaner."""
    from index.cleaning import clean_article
    from index.html import extract_article

    return clean_article(extract_article(html).text).text


EXTRACTORS: dict[str, Callable[[str, str], str]] = {
    "plain <p> (html.parser)": plain_paragraphs,
    "justext (English stoplist)": justext_paragraphs,
    "trafilatura default": trafilatura_default,
    "trafilatura favor_precision": trafilatura_precision,
    "lintas reader (trafilatura + cleaner)": lintas_reader,
}


def main(benchmark: Path) -> None:
    sys.path.insert(0, str(benchmark))
    import evaluate  # the benchmark's own scoring

    truth = json.loads((benchmark / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {key: gzip.open(benchmark / "html" / f"{key}.html.gz").read().decode("utf-8", "replace")
             for key in truth}
    print(f"{len(pages)} pages from {benchmark}")
    print(f"{'extractor':<40} {'F1':>6} {'prec':>6} {'recall':>6} {'pages/s':>8}")
    for name, extract in EXTRACTORS.items():
        started = time.perf_counter()
        predicted = {key: extract(html, truth[key].get("url", "")) for key, html in pages.items()}
        rate = len(pages) / (time.perf_counter() - started)
        scores = [evaluate.string_shingle_matching(true=truth[key]["articleBody"], pred=predicted[key])
                  for key in truth]
        metrics = evaluate.metrics_from_tp_fp_fns(scores)
        print(f"{name:<40} {metrics['f1']:6.3f} {metrics['precision']:6.3f} {metrics['recall']:6.3f} {rate:8.1f}")
        sys.stdout.flush()
    audit_cleaner(pages, truth, evaluate)


def audit_cleaner(pages: dict[str, str], truth: dict[str, dict], evaluate) -> None:
    """Of the lines the cleaner cuts from trafilatura's text, how many belong to the gold article?

    A cut line counts as story when most of its 4-word shingles occur in the gold text (lines
    under 4 words: when all their words do)."""
    from index.cleaning import clean_article
    from index.html import extract_article

    cut = story = 0
    examples: list[str] = []
    for key, html in pages.items():
        gold_text = truth[key]["articleBody"]
        gold = set(evaluate._ngrams(gold_text, 4))
        gold_words = set(evaluate._tokenize(gold_text))
        for removed in clean_article(extract_article(html).text).removed:
            if removed.reason == "blank":
                continue
            cut += 1
            words = evaluate._tokenize(removed.text)
            if len(words) >= 4:
                shingles = evaluate._ngrams(removed.text, 4)
                in_gold = sum(s in gold for s in shingles) / len(shingles) > 0.5
            else:
                in_gold = bool(words) and all(w in gold_words for w in words)
            if in_gold:
                story += 1
                examples.append(f"  [{removed.reason}] {removed.text[:100]}")
    print(f"cleaner: {cut} lines cut on {len(pages)} pages, {story} of them in the gold article text")
    print("\n".join(examples))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python bench/html_extraction.py PATH_TO_article-extraction-benchmark")
    main(Path(sys.argv[1]))
