"""Boilerplate out of a plain-text news article, line by line, with a record of every cut.

Scraped Indonesian and English news carries junk inside and around the story: teasers
("Baca juga: ..."), advertisement and pager labels, share/login/subscribe prompts, bylines,
copyright lines, and walls of related headlines (often each printed twice). A line goes only
when it matches one of these shapes; a line that reads like a story sentence (long, or ending
like a sentence) is never cut by the list rules, so a paragraph of the story stays.

The cleaned text is exactly the kept lines in their order, so the raw text can be rebuilt from
the cleaned one and the record (`lintas show ID --raw`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# A whole line that is a teaser for another article: "Baca juga: ...", "READ MORE: ...".
_TEASER = re.compile(
    r"^\W*(baca|simak|lihat|tonton|saksikan|cek)\s+(juga|pula|selengkapnya|berita|video)\b"
    r"|^\W*(read|see|watch)\s+(also|more|next)\b|^\W*also\s+read\b|^\W*related\s*:",
    re.IGNORECASE,
)
# Short lines that are page furniture, whatever the language.
_FURNITURE = re.compile(
    r"^\W*(advertisement|advertisment|iklan|ads|sponsored|promoted|konten\s+sponsor|advertorial"
    r"|scroll\s+(to|untuk)\s+\w+(\s+\w+)*|close\s+ads|tutup\s+iklan|skip\s+ad"
    r"|halaman\s+selanjutnya|next\s+page|selanjutnya|sebelumnya|previous|[\d\s]+(selanjutnya|next)?"
    r"|(halaman|page)(\s*\d+(\s*(dari|of)\s*\d+)?)?"
    r"|video\s+(rekomendasi|lainnya|pilihan|terkait|terpopuler|unggulan)|related\s+videos?"
    r"|breaking(\s+news)?|berita\s+terkini|live\s+update|komentar|comments?"
    r"|salin\s+link|copy\s+link|print|cetak)\W*$"
    r"|^\W*(halaman|page|tags?|topik|bagikan|share|video)\s*:"
    r"|^(oke|ok)$",  # a bare button label; a quoted "Ok." is dialogue
    re.IGNORECASE,
)
# Embedded-media placeholders ("[Gambas:Video 20detik]") and editors' initials ("(rdp/rdp)").
_PLACEHOLDER = re.compile(r"^\[(gambas|video|embed|iframe|foto|photo)\b[^\]]*\]$|^\([a-z]{2,5}(/[a-z]{2,5})+\)$", re.IGNORECASE)
# Prompts to share, log in, subscribe, download, follow.
_PROMPT = re.compile(
    r"\b(baca\s+berita\s+tanpa\s+iklan|gabung\s+\S+\+|bagikan\s+(artikel|berita)|share\s+(this|on|via)"
    r"|login\s+untuk|masuk\s+untuk|log\s*in\s+to|sign\s+in\s+to\s+(comment|continue|read)"
    r"|sign\s+up\s+for\s+(our|the)\s+(\w+\s+)?newsletter|subscribe\s+(to|now|for)"
    r"|langganan\s+(sekarang|newsletter)|unduh\s+aplikasi|download\s+(the\s+)?app"
    r"|ikuti\s+(kami|berita|kanal|channel)|follow\s+us|dapatkan\s+(update|informasi|berita)"
    r"|klik\s+(di\s+sini|link)|click\s+here|whatsapp\s+channel)",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"^\W*(hak\s+cipta|copyright|©|\(c\)\s*\d{4})|all\s+rights\s+reserved", re.IGNORECASE)
# "Author : Name", "Penulis: Name", "Editor : Name", "Oleh: Name", "By Name".
_BYLINE = re.compile(
    r"^\W*(author|penulis|editor|reporter|pewarta|kontributor|writer|oleh|by)\s*[:|]\s*(?P<name>\S.{0,60})$"
    r"|^\W*(?P<label>author|penulis|editor|reporter|pewarta|kontributor|writer)\W*$",
    re.IGNORECASE,
)
# A heading that opens a list of other articles.
_RELATED_HEADING = re.compile(
    r"^\W*(terkini\s+lainnya|berita\s+(terkait|lainnya|terkini|populer|pilihan)|artikel\s+(terkait|lainnya)"
    r"|terpopuler|populer|pilihan\s+(redaksi|editor|untukmu)|rekomendasi(\s+untuk\s+anda)?|topik\s+terkait"
    r"|related\s+(articles?|stories|news|posts)|more\s+(stories|news|from\s+.+)|most\s+(popular|read)"
    r"|recommended(\s+for\s+you)?|you\s+may\s+also\s+like|read\s+next|trending(\s+now)?|latest\s+news)\W*$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_AUTHOR_LABELS = {"author", "penulis", "reporter", "pewarta", "writer", "kontributor"}
SHORT_WORDS = 15  # furniture and prompts are short; a longer line is left alone
HEADLINE_WORDS = 25


@dataclass(frozen=True)
class Removed:
    line: int  # 0-based line number in the raw text
    text: str
    reason: str  # teaser, furniture, prompt, byline, copyright, related, duplicate, blank


@dataclass(frozen=True)
class Cleaned:
    text: str
    removed: tuple[Removed, ...]
    author: str | None


def _words(line: str) -> int:
    return len(line.split())


def _key(line: str) -> str:
    """Two lines that differ only in quotes, punctuation or case are the same headline."""
    return re.sub(r"\W+", "", line.casefold())


def _headline_like(line: str) -> bool:
    """Short and not ending like a sentence: a title, a label, a list entry."""
    stripped = line.strip()
    return 0 < _words(stripped) <= HEADLINE_WORDS and not _SENTENCE_END.search(stripped.rstrip("?"))


def _story_like(line: str) -> bool:
    stripped = line.strip()
    return _words(stripped) > HEADLINE_WORDS or (_words(stripped) >= 6 and bool(_SENTENCE_END.search(stripped)))


def _line_reason(line: str) -> str | None:
    stripped = line.strip()
    if not stripped:
        return None
    words = _words(stripped)
    if words <= SHORT_WORDS and _PROMPT.search(stripped):
        return "prompt"
    if _TEASER.search(stripped) and words <= HEADLINE_WORDS + 5:
        return "teaser"
    if words <= SHORT_WORDS and (_FURNITURE.match(stripped) or _PLACEHOLDER.match(stripped)):
        return "furniture"
    if words <= 60 and _COPYRIGHT.search(stripped):
        return "copyright"
    if words <= 12 and _BYLINE.match(stripped):
        return "byline"
    return None


def clean_article(text: str) -> Cleaned:
    """The story without its boilerplate, what was cut (and why), and a byline's name if any."""
    lines = text.split("\n")
    reasons: dict[int, str] = {}
    for i, line in enumerate(lines):
        reason = _line_reason(line)
        if reason:
            reasons[i] = reason
    author = _bylines(lines, reasons)
    _related_blocks(lines, reasons)
    _duplicates(lines, reasons)
    _blank_runs(lines, reasons)
    kept = [line for i, line in enumerate(lines) if i not in reasons]
    removed = tuple(Removed(i, lines[i], reasons[i]) for i in sorted(reasons))
    return Cleaned("\n".join(kept), removed, author)


def _bylines(lines: list[str], reasons: dict[int, str]) -> str | None:
    """Mark "Name / Penulis" pairs too; the first byline before the story gives the author."""
    author = None
    story_started = False
    for i, line in enumerate(lines):
        if _story_like(line) and i not in reasons:
            story_started = True
        if reasons.get(i) != "byline":
            continue
        match = _BYLINE.match(line.strip())
        name = match.group("name") if match else None
        label = (match.group("label") or "").lower() if match else ""
        if label:  # a bare "Penulis" is a byline only under a name; else it may be a subheading
            previous = _previous_text_line(lines, i)
            if previous is None or not _looks_like_name(lines[previous]) or previous in reasons:
                del reasons[i]
                continue
            reasons[previous] = "byline"
            name = lines[previous].strip() if label in _AUTHOR_LABELS else None
        elif not line.strip().lower().startswith(tuple(_AUTHOR_LABELS | {"oleh", "by"})):
            name = None
        if name and author is None and not story_started:
            author = name.strip()
    return author


def _previous_text_line(lines: list[str], i: int) -> int | None:
    for j in range(i - 1, -1, -1):
        if lines[j].strip():
            return j
    return None


def _looks_like_name(line: str) -> bool:
    words = line.split()
    return 2 <= len(words) <= 5 and all(w[:1].isupper() for w in words) and not _SENTENCE_END.search(line.strip())


def _related_blocks(lines: list[str], reasons: dict[int, str]) -> None:
    """A related-articles heading and the headline-like lines under it, up to the next story line."""
    i = 0
    while i < len(lines):
        if not _RELATED_HEADING.match(lines[i].strip()):
            i += 1
            continue
        reasons[i] = "related"
        j = i + 1
        while j < len(lines) and (j in reasons or not lines[j].strip() or _headline_like(lines[j])):
            if lines[j].strip() and j not in reasons:
                reasons[j] = "related"
            j += 1
        i = j


def _duplicates(lines: list[str], reasons: dict[int, str]) -> None:
    """A headline-like line printed again right after itself (blank lines between) goes once;
    a run of such doubled headlines after the story ends is a related list and goes whole."""
    previous: int | None = None
    doubled: list[int] = []
    for i, line in enumerate(lines):
        if not line.strip() or i in reasons:
            continue
        if (previous is not None and _headline_like(line) and not line.lstrip().startswith("|")
                and _key(line) == _key(lines[previous])):  # a table's repeated header row stays
            reasons[i] = "duplicate"
            doubled.append(previous)
        previous = i
    if len(doubled) < 2:
        return
    last_story = max((i for i, line in enumerate(lines) if i not in reasons and _story_like(line)), default=-1)
    tail = [i for i in range(last_story + 1, len(lines)) if i not in reasons and lines[i].strip()]
    if sum(i in doubled for i in tail) >= 2 and all(_headline_like(lines[i]) for i in tail):
        for i in tail:
            reasons[i] = "related"


def _blank_runs(lines: list[str], reasons: dict[int, str]) -> None:
    """Blank lines left at the edges or doubled up where junk was cut go too."""
    kept = [i for i in range(len(lines)) if i not in reasons]
    previous_blank = True  # no blank line at the start
    for i in kept:
        blank = not lines[i].strip()
        if blank and previous_blank:
            reasons[i] = "blank"
        previous_blank = blank
    for i in reversed(kept):
        if i in reasons:
            continue
        if lines[i].strip():
            break
        reasons[i] = "blank"


def rebuild_raw(cleaned: str, removed: list[tuple[int, str, str]]) -> list[tuple[str, str | None]]:
    """The raw lines in order, each with the reason it was cut (None when kept)."""
    cut = {line: (text, reason) for line, text, reason in removed}
    kept = iter(cleaned.split("\n") if cleaned else [])
    total = len(cut) + (cleaned.count("\n") + 1 if cleaned else 0)
    out: list[tuple[str, str | None]] = []
    for i in range(total):
        if i in cut:
            out.append(cut[i])
        else:
            out.append((next(kept, ""), None))
    return out
