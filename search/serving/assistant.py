"""`lintas mcp`: the archive as a Model Context Protocol server over stdio, for AI assistants.

Built on the official SDK (the ``mcp`` package, MCPServer). Four tools, answering with the
objects the CLI's ``--json`` prints: ``search`` (the hits of `lintas search --json`, with their
story groups and confidence, and the page's place), ``show`` (`lintas show --json`),
``similar`` (`lintas similar --json`) and ``info`` (what `/api/info` answers). Arguments are
checked as the API checks its parameters; every problem, a bad argument or an index that is
missing, comes back as a tool error whose text says what to do, never as a crash of the server.
The live index generation is reopened when `lintas index` writes a new one, as `lintas serve`
does.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from index.errors import LintasError
from search.engine import Mode, Sort, find, query_problem
from search.filters import check_date, check_range
from search.serving.server import MAX_K, MAX_OFFSET, LiveIndex
from search.similar import similar

INSTRUCTIONS = (
    "Search an archive of Indonesian and English news articles. Query in either language: an English "
    "query finds Indonesian articles and the other way round. Hits carry an id that show and similar "
    "take; hits with confident false are weak matches (nothing close enough to be an answer). "
    'Query syntax: "exact phrase", -word, -"phrase".'
)


def create_server(index_dir: Path, say: Callable[[str], None] | None = None):
    """The MCP server answering from the index at ``index_dir`` (opened on the first call);
    with ``say``, the query engine is chosen in the background (LiveIndex.choose_query_engine)
    and ``say`` hears which."""
    live = LiveIndex(index_dir)
    if say is not None:
        live.choose_query_engine(say)
    server = MCPServer("lintas", instructions=INSTRUCTIONS, log_level="WARNING")

    def answer(work):
        """``work(reader)`` on the live generation; a LintasError becomes the tool's error."""
        try:
            with live.use() as reader:
                return work(reader)
        except LintasError as error:
            raise ToolError(str(error)) from None

    @server.tool()
    def search(query: str, k: int = 10, language: Literal["id", "en"] | None = None,
               since: str | None = None, until: str | None = None, source: str | None = None,
               mode: Literal["hybrid", "keyword", "semantic"] = "hybrid",
               sort: Literal["relevance", "date"] = "relevance", offset: int = 0,
               group: bool = True, facets: bool = False) -> dict:
        """Search the archive. Returns hits (best first, or newest first with sort=date), each with
        id, title, lang, date, source, score, snippet, confidence (0-1) and confident (false: a weak
        match under the relevance floor), and group (its story's number: articles telling one story,
        e.g. a translation); more (a later page has hits: ask again with offset + k); with facets,
        total and counts by language, source and year.

        query: words in Indonesian or English; "a phrase" must be in the article; -word and
        -"a phrase" leave articles out. k: 1-100 results (stories when group). since/until:
        YYYY, YYYY-MM or YYYY-MM-DD. source: a site (kompas.com) or folder name."""
        problem = query_problem(query)
        if problem:
            raise ToolError(f"the query {problem}")
        _check_page(k, offset)
        try:
            for value in (since, until):
                if value is not None:
                    check_date(value)
            check_range(since, until)
        except ValueError as error:
            raise ToolError(str(error)) from None
        found = answer(lambda reader: find(reader, query, k=k, mode=Mode(mode), lang=language, since=since,
                                    until=until, source=source, group=group, offset=offset, sort=Sort(sort),
                                    facets=facets))
        result = {"hits": [hit.to_json() for hit in found.hits], "more": found.more}
        if facets:
            result.update(total=found.total, facets=found.facets)
        return result

    @server.tool()
    def show(id: str) -> dict:
        """One article as indexed: its metadata, its cleaned text, and the other articles of its
        story. id: a hit's id (a file path, FILE:N or FILE#ID), or the article's own id."""
        found = answer(lambda reader: live.article(id))
        return {**found["article"].to_json(), "story": [member.to_json() for member in found["story"]]}

    @server.tool(name="similar")
    def similar_tool(id: str, k: int = 10, offset: int = 0) -> dict:
        """More like this: the articles on the same subject as the article id, in either language,
        best first (hits, as search gives them); its own story (translations, rewrites) apart."""
        _check_page(k, offset)
        found = answer(lambda reader: similar(reader, id, k=k, offset=offset))
        return {**found.to_json(), "more": found.more}

    @server.tool()
    def info() -> dict:
        """The index: where it is, its model, its documents per language, its sources."""
        return answer(lambda reader: live.info())

    def _check_page(k: int, offset: int) -> None:
        if not 1 <= k <= MAX_K:
            raise ToolError(f"k must be from 1 to {MAX_K}, not {k}")
        if not 0 <= offset <= MAX_OFFSET:
            raise ToolError(f"offset must be from 0 to {MAX_OFFSET:,}, not {offset}")

    return server


def serve_stdio(index_dir: Path, say: Callable[[str], None] | None = None) -> None:
    """Answer MCP requests on stdin/stdout until the client closes them; ``say`` (stderr: stdout
    is the protocol's) hears of the query engine chosen."""
    create_server(index_dir, say).run("stdio")
