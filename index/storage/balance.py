"""The archive's language direction: what separates its Indonesian passages from its English ones
in the embedding space, whatever they are about.

The multilingual model gives a passage in the query's own language a higher cosine than an
equally good passage in the other language: every vector carries a component that says which
language it is in. The difference of the two languages' mean passage vectors, taken over a
whole archive, points along that component (the subjects of the two halves average out), and
the vector leg takes it out of query and passages before their cosine (search.semantic;
measured against the alternatives in bench/studies/language_balance.py). It is computed from the
archive itself each time an index generation is written and kept in its manifest, as each
language's passage count and vector sum.

Taking the direction out leaves a second, smaller advantage, one-sided: every passage shares a
large common component (the mean passage vector, about 0.88 of each passage's length once the
direction is out), Indonesian passages and queries hold more of it than English ones, so it
lifts Indonesian passages for every query, and most for Indonesian queries. The vector leg takes
half of that component's length out as well (COMMON_TAKEN; its direction, ``common_direction``,
comes from the same sums), which keeps most of what the component says about a passage.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

LANGUAGES = ("id", "en")
# Each language needs this many passages, and this share of the two languages' passages, before
# its mean is taken as that language's: a few passages that langdetect tagged wrongly (English
# text tagged Indonesian, 1 of FLORES' 1,012 English sentences and 9 of TyDi QA's 5,482
# Indonesian passages) would otherwise set a direction that says nothing about language, and
# taking it out cost flores-id-en 0.09 nDCG@10 (bench/RESULTS.md, "Language balance").
MIN_PASSAGES = 3
MIN_SHARE = 0.01
# The share of the common component's length the vector leg takes out of query and passages,
# the language direction taken out first (search.semantic). The whole of it lifted the sentence
# and typed queries of the bilingual dev archives most (+0.06 nDCG@10) but cost questions among
# documents of their own language 0.010 (facqa-plus-en); half of it lifts the first +0.02–0.04 and
# costs no task more than 0.0015 (bench/RESULTS.md, "The common component").
COMMON_TAKEN = 0.5


CHUNK_ROWS = 65_536  # passages summed at once: the sums never hold a copy of every vector


def language_sums(vectors: np.ndarray, langs: np.ndarray) -> dict[str, dict]:
    """{language: {"passages": n, "sum": [...]}} for Indonesian and English passages;
    ``langs`` holds each row's document language."""
    return _summed((vectors[start:start + CHUNK_ROWS], langs[start:start + CHUNK_ROWS])
                   for start in range(0, len(langs), CHUNK_ROWS))


def _summed(chunks: Iterable[tuple[np.ndarray, np.ndarray]]) -> dict[str, dict]:
    """language_sums over (vectors, langs) chunks, in order. Each language's rows are added one
    after another in float64 from the first to the last, as one sum over all of them adds them
    (NumPy adds the rows of a sum over axis 0 in order): the same figures to the last bit."""
    counts = {lang: 0 for lang in LANGUAGES}
    totals: dict[str, np.ndarray] = {}
    for vectors, langs in chunks:
        for lang in LANGUAGES:
            rows = langs == lang
            if rows.any():
                chosen = np.asarray(vectors[rows], dtype=np.float64)
                if lang in totals:
                    chosen = np.concatenate([totals[lang][None], chosen])
                totals[lang] = np.add.reduce(chosen, axis=0)
                counts[lang] += int(rows.sum())
    return {lang: {"passages": counts[lang], "sum": totals[lang].tolist()} for lang in LANGUAGES if lang in totals}


def record_sums(records: list[dict], segments: dict[str, np.ndarray]) -> dict[str, dict]:
    """language_sums of an index generation's records, whose vectors are in ``segments``."""
    def chunks() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        rows, langs, held = [], [], 0
        for record in records:
            count = len(record["passages"])
            if record["lang"] in LANGUAGES and count:
                rows.append(segments[record["segment"]][record["row"]:record["row"] + count])
                langs.append(np.full(count, record["lang"]))
                held += count
            if held >= CHUNK_ROWS:
                yield np.concatenate(rows), np.concatenate(langs)
                rows, langs, held = [], [], 0
        if rows:
            yield np.concatenate(rows), np.concatenate(langs)

    return _summed(chunks())


def language_direction(sums: dict[str, dict]) -> np.ndarray | None:
    """The unit vector from the English mean passage to the Indonesian one; None when the
    archive lacks either language, or holds too little of one (MIN_PASSAGES, MIN_SHARE): an
    archive of one language is left as it is."""
    counts = [sums.get(lang, {}).get("passages", 0) for lang in LANGUAGES]
    if min(counts) < max(MIN_PASSAGES, MIN_SHARE * sum(counts)):
        return None
    means = [np.asarray(sums[lang]["sum"], dtype=np.float64) / sums[lang]["passages"] for lang in LANGUAGES]
    difference = means[0] - means[1]
    norm = np.linalg.norm(difference)
    return (difference / norm).astype(np.float32) if norm > 0 else None


def common_direction(sums: dict[str, dict], direction: np.ndarray) -> np.ndarray | None:
    """The unit vector of the archive's mean Indonesian and English passage with the language
    ``direction`` taken out: the component every passage shares, whatever it says."""
    total = sum(np.asarray(sums[lang]["sum"], dtype=np.float64) for lang in LANGUAGES)
    direction = np.asarray(direction, dtype=np.float64)
    rest = total - (total @ direction) * direction
    norm = np.linalg.norm(rest)
    return (rest / norm).astype(np.float32) if norm > 0 else None


def directions(sums: dict[str, dict]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The archive's language direction and its common direction (both None for an archive of
    one language; the second None, too, where nothing is left once the first is out)."""
    direction = language_direction(sums)
    return direction, None if direction is None else common_direction(sums, direction)


def along_direction(vectors: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Each vector's component along ``direction`` (p·u), float32."""
    return np.einsum("ij,j->i", vectors, direction, dtype=np.float32)
