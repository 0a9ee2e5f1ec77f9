"""Main-text extraction from saved news pages: trafilatura against plain parsers, measured.

Two sets of real pages, neither committed here; bring them and point this script at them:

    git clone https://github.com/scrapinghub/article-extraction-benchmark /tmp/aeb
    git clone https://github.com/adbar/trafilatura /tmp/traf
    .venv/bin/python bench/html_extraction.py /tmp/aeb [/tmp/traf]

1. ScrapingHub's article-extraction benchmark: 181 news and blog pages (English), each with a
   human-checked articleBody. Scored with the benchmark's own evaluate.py (imported from its
   folder): precision/recall/F1 over 4-word shingles against the gold text, averaged per page.
   Independent of every extractor measured.
2. trafilatura's evaluation set (tests/eval + tests/evaldata.json): ~990 pages in many
   languages, each with snippets that must be in the main text and snippets that must not
   (navigation, footers, comments). trafilatura was tuned on it, so it flatters trafilatura.

Speed is pages per second in this run, single process. Both sets end with an audit of the
boilerplate cleaner: how many of the lines it cuts from trafilatura's text belong to the story.
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
    from index.reading.cleaning import clean_article
    from index.reading.html import extract_article

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
    from index.reading.cleaning import clean_article
    from index.reading.html import extract_article

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


def snippet_eval(repo: Path) -> None:
    """trafilatura's set: a 'with' snippet found is a true positive, a 'without' one found a false one."""
    cases = json.loads((repo / "tests" / "evaldata.json").read_text(encoding="utf-8"))
    pages = {}
    for case in cases.values():
        path = repo / "tests" / "eval" / case["file"]
        if path.is_file():
            pages[case["file"]] = (path.read_bytes().decode("utf-8", "replace"), case)
    print(f"\n{len(pages)} pages from {repo}/tests/eval (snippets: must be in / must not be in the text)")
    print(f"{'extractor':<40} {'F1':>6} {'prec':>6} {'recall':>6} {'pages/s':>8}")
    for name, extract in EXTRACTORS.items():
        started = time.perf_counter()
        texts = {key: extract(html, "") for key, (html, _) in pages.items()}
        rate = len(pages) / (time.perf_counter() - started)
        tp = fn = fp = 0
        for key, (_, case) in pages.items():
            text = " ".join(texts[key].split())
            found = [" ".join(snippet.split()) in text for snippet in case["with"]]
            tp, fn = tp + sum(found), fn + len(found) - sum(found)
            fp += sum(" ".join(snippet.split()) in text for snippet in case["without"])
        precision, recall = tp / (tp + fp), tp / (tp + fn)
        f1 = 2 * precision * recall / (precision + recall)
        print(f"{name:<40} {f1:6.3f} {precision:6.3f} {recall:6.3f} {rate:8.1f}")
        sys.stdout.flush()
    from index.reading.cleaning import clean_article
    from index.reading.html import extract_article

    lost = kept = 0
    examples = []
    for key, (html, case) in pages.items():
        before = " ".join(extract_article(html).text.split())
        after = " ".join(clean_article(extract_article(html).text).text.split())
        for snippet in case["with"]:
            snippet = " ".join(snippet.split())
            if snippet in before:
                kept += snippet in after
                if snippet not in after:
                    lost += 1
                    examples.append(f"  {key}: {snippet[:90]}")
    print(f"cleaner: of {kept + lost} must-keep snippets in trafilatura's text, {lost} lost by the cleaner")
    print("\n".join(examples))


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python bench/html_extraction.py PATH_TO_article-extraction-benchmark [PATH_TO_trafilatura]")
    main(Path(sys.argv[1]))
    if len(sys.argv) == 3:
        snippet_eval(Path(sys.argv[2]))
