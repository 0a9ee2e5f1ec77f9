"""Snippets: the best sentence of the best passage, with the query's terms marked."""
from __future__ import annotations

from index.reading.analysis import LANGUAGE_FIELD, term_spans
from index.embedding.passages import sentence_spans

SNIPPET_CHARS = 240


def matching_spans(text: str, doc_lang: str, field_terms: dict[str, list[str]]) -> list[tuple[int, int]]:
    """Spans of words in ``text`` that match a query term, as written or by stem.

    Each field's analysis runs once over the whole text, keeping character offsets (it cuts
    words exactly as word_spans does), rather than once per word.
    """
    wanted = {field: set(words) for field, words in field_terms.items() if words}
    fields = [f for f in ("text_exact", LANGUAGE_FIELD.get(doc_lang)) if f in wanted]
    spans = set()
    for field in fields:
        spans.update((start, end) for start, end, term in term_spans(field, text) if term in wanted[field])
    return sorted(spans)


def _plain(text: str) -> str:
    """Text compared as words: whitespace folded, a Markdown heading's marks gone."""
    return " ".join(text.lstrip().lstrip("#").split())


def _sentences(text: str, passage: tuple[int, int], title: str) -> list[tuple[int, int]]:
    """The sentences of ``passage``, leaving out those the title already says (the title
    line, or a sentence of it, repeats word for word what the hit's heading shows)."""
    start, end = passage
    spans = [(s + start, e + start) for s, e in sentence_spans(text[start:end])]
    heading = _plain(title.removesuffix(" …"))
    return [(s, e) for s, e in spans if not heading or _plain(text[s:e]) not in heading]


def make_snippet(
    text: str, passage: tuple[int, int], doc_lang: str, field_terms: dict[str, list[str]],
    title: str = "", fallback: tuple[int, int] | None = None,
) -> tuple[str, list[tuple[int, int]]]:
    """The sentence of ``passage`` with most query terms (its first when none match), trimmed.

    A sentence the ``title`` already says is passed over; when ``passage`` holds nothing else,
    the sentences of ``fallback`` (the next passage) are used, and when the document is
    nothing but its title, the title is the snippet.
    """
    sentences = (_sentences(text, passage, title)
                 or (_sentences(text, fallback, title) if fallback else [])
                 or [(s + passage[0], e + passage[0]) for s, e in sentence_spans(text[slice(*passage)])]
                 or [passage])
    best, best_spans = sentences[0], []
    for s, e in sentences:
        spans = matching_spans(text[s:e], doc_lang, field_terms)
        if len(spans) > len(best_spans):
            best, best_spans = (s, e), spans
    s, e = best
    sentence = text[s:e]
    if len(sentence) <= SNIPPET_CHARS:
        return sentence, best_spans
    # A long sentence: a window around its first match, cut at word boundaries.
    first = best_spans[0][0] if best_spans else 0
    lo = max(0, first - SNIPPET_CHARS // 3)
    lo = sentence.rfind(" ", 0, lo) + 1 if lo else 0
    hi = min(len(sentence), lo + SNIPPET_CHARS)
    cut = sentence.rfind(" ", lo, hi)
    hi = cut if hi < len(sentence) and cut > lo else hi
    prefix = "…" if lo else ""
    suffix = "…" if hi < len(sentence) else ""
    shift = len(prefix) - lo
    spans = [(a + shift, b + shift) for a, b in best_spans if a >= lo and b <= hi]
    return prefix + sentence[lo:hi] + suffix, spans
