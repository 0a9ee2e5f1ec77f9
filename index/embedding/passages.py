"""Cutting documents into passages the embedding model can read whole.

e5 reads at most 512 tokens; a news article is often longer. Each document is cut at sentence
boundaries into passages of at most MAX_WORDS words (about 190 tokens), so no part of a long
article is lost, and a document is scored by its best passage. Passages after the first carry
the title, so each one says what story it belongs to.
"""
from __future__ import annotations

import re

MAX_WORDS = 120
PASSAGES_VERSION = 1
_SENTENCE_END = re.compile(r"(?<=[.!?…\"”’])\s+|\n+")
_WORD = re.compile(r"\S+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences (and lines) of ``text``, blanks trimmed."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in (_trim(text, s, e) for s, e in spans) if e > s]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A 'sentence' longer than MAX_WORDS (a list, a table) is cut every MAX_WORDS words."""
    words = [m.span() for m in _WORD.finditer(text, start, end)]
    return [(words[i][0], words[min(i + MAX_WORDS, len(words)) - 1][1])
            for i in range(0, len(words), MAX_WORDS)]


def passage_spans(text: str) -> list[tuple[int, int]]:
    """Consecutive sentences packed into spans of at most MAX_WORDS words each."""
    pieces: list[tuple[int, int, int]] = []
    for start, end in sentence_spans(text):
        count = len(_WORD.findall(text, start, end))
        if count > MAX_WORDS:
            pieces.extend((s, e, MAX_WORDS) for s, e in _split_long(text, start, end))
        else:
            pieces.append((start, end, count))
    passages: list[tuple[int, int]] = []
    words = 0
    for start, end, count in pieces:
        if passages and words + count <= MAX_WORDS:
            passages[-1] = (passages[-1][0], end)
            words += count
        else:
            passages.append((start, end))
            words = count
    return passages or [(0, len(text))]


def lead(text: str) -> str:
    """The opening of ``text``: its first passage (for a news article, the headline and the lead)."""
    return text[:passage_spans(text)[0][1]]


def passage_texts(title: str, text: str, spans: list[tuple[int, int]]) -> list[str]:
    """What the model embeds for each span: the passage, with the title before all but the first."""
    out = []
    for i, (start, end) in enumerate(spans):
        body = text[start:end]
        out.append(body if i == 0 or not title else f"{title}\n{body}")
    return out
