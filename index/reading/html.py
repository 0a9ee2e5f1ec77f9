"""Saved web pages: the article's main text and metadata, through trafilatura.

trafilatura was chosen on measured quality (bench/html_extraction.py, 181 real news pages):
it keeps the story and drops navigation, related links and comments far better than taking
every <p> of the page, and reads title, date (htmldate), author and canonical URL
from the page's metadata. It is imported here only, when an HTML file is read.
"""
from __future__ import annotations

from dataclasses import dataclass

from index.reading.dates import parse_date


@dataclass(frozen=True)
class PageArticle:
    title: str
    text: str
    date: str | None
    author: str | None
    url: str | None


def extract_article(html: str) -> PageArticle:
    """The main text and metadata of one page; empty text when the page has no article."""
    import trafilatura

    found = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=True,
        include_images=False, include_links=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if found is None:
        return PageArticle("", "", None, None, None)
    return PageArticle(
        title=" ".join((found.title or "").split()),
        text=(found.text or "").strip(),
        date=parse_date(found.date) if found.date else None,
        author=found.author or None,
        url=found.url or None,
    )
