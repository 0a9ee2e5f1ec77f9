"""The outlet a news article names in its dateline, as a source: "MOSKWA, KOMPAS.com -" is
kompas.com, "Jakarta (ANTARA News) -" antaranews.com, "(Reuters) -" reuters.com.

Only a dateline is read: the start of one of the article's first lines, then a dash. Within
it, an outlet is either written as a site ("KOMPAS.com", "Liputan6.com", "JUARA.net",
"TEMPO.CO"), or is one of the names in OUTLETS ("CNN Indonesia", "ANTARA", "Reuters",
"detikNews"), or stands in parentheses after a place or alone ("(Klikanggaran)--"). A place,
a person or a country in capitals ("INGGRIS -", "JAKARTA -") is never taken for an outlet,
and neither is an agency credited elsewhere ("Sumber AFP"). Measured by bench/outlets.py.
"""
from __future__ import annotations

import re

# Outlets that datelines name without their site, by the lower-cased name (spaces folded).
OUTLETS = {
    "antara": "antaranews.com", "antara news": "antaranews.com", "antaranews": "antaranews.com",
    "cnn indonesia": "cnnindonesia.com", "cnnindonesia": "cnnindonesia.com",
    "detik": "detik.com", "detikcom": "detik.com", "detiknews": "detik.com", "detikfinance": "detik.com",
    "detiksport": "detik.com", "detikinet": "detik.com", "detikhealth": "detik.com", "detikoto": "detik.com",
    "reuters": "reuters.com", "ap": "apnews.com", "afp": "afp.com", "bloomberg": "bloomberg.com",
    "xinhua": "xinhuanet.com", "pos kota": "poskotanews.com", "rimanews": "rimanews.com",
    "okezone": "okezone.com", "tempo": "tempo.co", "kompas": "kompas.com", "republika": "republika.co.id",
    "bernama": "bernama.com", "the jakarta post": "thejakartapost.com", "jakarta post": "thejakartapost.com",
    "vivanews": "viva.co.id", "viva": "viva.co.id", "sindonews": "sindonews.com",
}
HEAD_LINES = 6  # non-blank lines that may hold the dateline (after a title, a byline, a date)
_DASH = r"\s*(?:-|–|—|--)+\s*"
_SITE = re.compile(r"(?i)^(?:www\.)?[a-z][a-z0-9-]*(?:\.(?:com|net|org|co|id|co\.id|or\.id|go\.id|tv))+$")
# "PLACE, OUTLET -", "OUTLET, PLACE -", "PLACE (OUTLET) -", "(OUTLET) -", "OUTLET -": the part
# before the dash, at most a few words, no sentence in it.
_DATELINE = re.compile(rf"^(?P<head>(?:[^\n!?.]|\.(?!\s)){{1,60}}?){_DASH}(?:\S|$)")  # a dot inside a site only
_PARENTHESIS = re.compile(r"^(?P<place>[^()]{0,40}?)\s*\((?P<name>[A-Za-z][A-Za-z. ]{1,30})\)$")


def dateline_outlet(text: str) -> str | None:
    """The outlet the article's dateline names, as a source (a site, lower case); None when no
    dateline names one."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:HEAD_LINES]
    for line in lines:
        match = _DATELINE.match(line)
        if match:
            outlet = _outlet(match.group("head").strip())
            if outlet:
                return outlet
    return None


def _outlet(head: str) -> str | None:
    parenthesis = _PARENTHESIS.match(head)
    if parenthesis:
        name = " ".join(parenthesis.group("name").split())
        if _place(parenthesis.group("place")):
            return _named(name, loose=True)
        return None
    parts = [part.strip() for part in head.split(",")]
    if len(parts) > 2 or not all(parts):
        return None
    for part in parts:
        others = [other for other in parts if other is not part]
        if all(_place(other) for other in others):
            found = _named(part, loose=False)
            if found:
                return found
    return None


def _place(text: str) -> bool:
    """Whether ``text`` can be a dateline's place: empty, or up to four capitalised words."""
    words = text.split()
    return len(words) <= 4 and all(word[:1].isupper() for word in words)


def _named(name: str, loose: bool) -> str | None:
    """The source for an outlet's name: a site as written, a known name, or (``loose``: in
    parentheses, where datelines put the outlet) any one or two capitalised words."""
    if _SITE.match(name):
        return name.lower().removeprefix("www.")
    key = "".join(name.lower().split())
    if key in _KNOWN:
        return _KNOWN[key]
    words = name.split()
    if loose and len(words) <= 2 and all(word[:1].isupper() and word.isalpha() for word in words):
        # a bureau or a slip of a known name ("AntaraKL", "ANTARA Bews") is that outlet
        return next((site for known, site in _KNOWN.items() if len(known) >= 5 and key.startswith(known)), key)
    return None


_KNOWN = {"".join(name.split()): site for name, site in OUTLETS.items()}
