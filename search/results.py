"""What a search returns."""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from search.fusion import Part


@dataclass(frozen=True)
class Hit:
    rank: int
    id: str
    title: str
    lang: str
    path: str
    score: float
    keyword_rank: int | None
    semantic_rank: int | None
    keyword_score: float | None
    semantic_score: float | None
    snippet: str
    highlights: list[tuple[int, int]] = field(default_factory=list)
    date: str | None = None
    source: str | None = None
    lead_match: float | None = None  # hybrid: share of the query's words in the title and first passage
    score_parts: tuple[Part, ...] = ()  # the named terms that add up to score (weight × value each)
    key: str | None = None  # the document's own id in its file (JSONL/CSV/JSON `id`), if any
    group: int | None = None  # the story's number when results are grouped (search.stories), else None
    confidence: float | None = None  # 0–1, from the language-balanced cosine (search.confidence); None: keyword mode
    confident: bool = False  # confidence at least one half: shown as a result, not a weak match
    # how much lower the vector leg put its cosine for being in the query's language (the language
    # offset, search.semantic.language_offset); semantic_score and the semantic part are after it
    language_offset: float = 0.0

    def to_json(self) -> dict:
        # Every field is a plain value but these two; asdict's deep copy of each took ~1 ms of a
        # server's GIL per page of ten.
        record = {name: getattr(self, name) for name in _FIELDS}
        record["highlights"] = [list(span) for span in self.highlights]
        record["score_parts"] = [{"name": p.name, "weight": p.weight, "value": p.value} for p in self.score_parts]
        return record


_FIELDS = tuple(f.name for f in fields(Hit))
