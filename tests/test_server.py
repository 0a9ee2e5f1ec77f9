"""`lintas serve`: the JSON API and the pages through the ASGI test client, on the seeds index."""
from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from conftest import EN_SEED, ID_SEEDS, ROOT, SUPPORT_QUERY_TOP, run, run_json, seed_id
from search.serving.server import create_app

QUERY = "Lukashenko asks Putin for support"
KOMPAS = seed_id("004_111cb5bf34ac05bb")


@pytest.fixture
def client(seeds_index) -> TestClient:
    return TestClient(create_app(seeds_index), raise_server_exceptions=False)


def test_api_search_gives_the_cli_json_objects(runner, client, seeds_index):
    for options in ({}, {"k": "2", "lang": "id"}, {"mode": "keyword", "group": "false"},
                    {"since": "2020-09", "until": "2020-09-30", "source": "seeds"}):
        answer = client.get("/api/search", params={"q": QUERY, **options})
        assert answer.status_code == 200
        flags = [f"--{name}" if name != "k" else "-k" for name in options]
        argv = [arg for name, flag in zip(options, flags) for arg in (flag, options[name])
                if name != "group"] + (["--no-group"] if "group" in options else [])
        assert answer.json() == run_json(runner, "search", QUERY, *argv, "--index", seeds_index), options


def test_api_search_finds_the_indonesian_seeds_in_english(client):
    answer = client.get("/api/search", params={"q": QUERY, "group": "false"})
    assert re.fullmatch(r"search;dur=\d+\.\d", answer.headers["server-timing"])
    hits = answer.json()
    assert {hit["id"] for hit in hits[:2]} == SUPPORT_QUERY_TOP
    assert {hit["id"] for hit in hits} == ID_SEEDS | {EN_SEED}
    assert all(hit["group"] is None for hit in hits)
    assert [hit["id"] for hit in client.get("/api/search", params={"q": QUERY, "lang": "en"}).json()] == [EN_SEED]


@pytest.mark.parametrize("params, message", [
    ({}, "parameter 'q' (the query) is required"),
    ({"q": "Putin", "k": "0"}, "parameter 'k' must be a whole number from 1 to 100, not '0'"),
    ({"q": "Putin", "k": "101"}, "parameter 'k' must be a whole number from 1 to 100, not '101'"),
    ({"q": "Putin", "k": "ten"}, "parameter 'k' must be a whole number from 1 to 100, not 'ten'"),
    ({"q": "Putin", "mode": "fuzzy"}, "parameter 'mode' must be hybrid, keyword or semantic, not 'fuzzy'"),
    ({"q": "Putin", "lang": "fr"}, "parameter 'lang' must be id or en, not 'fr'"),
    ({"q": "Putin", "since": "11/09/2020"},
     "parameter 'since': '11/09/2020' is not a date: use YYYY-MM-DD, YYYY-MM or YYYY"),
    ({"q": "Putin", "until": "2020-9"}, "parameter 'until': '2020-9' is not a date: use YYYY-MM-DD, YYYY-MM or YYYY"),
    ({"q": "Putin", "until": "2020-02-31"},
     "parameter 'until': '2020-02-31' is not on the calendar (day is out of range for month)"),
    ({"q": "Putin", "since": "2021", "until": "2020-12"},
     "parameters 'since' and 'until': 2021 is after 2020-12: no day is in that range"),
    ({"q": "Putin", "group": "maybe"}, "parameter 'group' must be true or false, not 'maybe'"),
    ([("q", "Putin"), ("q", "Sochi")], "parameter 'q' is given more than once"),
])
def test_bad_parameters_are_400_with_a_message(client, params, message):
    answer = client.get("/api/search", params=params)
    assert (answer.status_code, answer.json()) == (400, {"error": message})
    page = client.get("/", params=params if params else {"k": "0"})
    assert page.status_code == 400
    assert 'class="error"' in page.text
    # the page names the fields by their labels (From, To), the API by the parameters' names
    assert ("parameter" not in page.text) == any(name in str(params) for name in ("since", "until"))


def test_blank_queries_are_400_and_punctuation_finds_nothing(client):
    """As on the command line: an empty query is an error, one of punctuation only finds nothing
    (and the page says why)."""
    for query in ("", "   ", "\x00\x1f"):
        answer = client.get("/api/search", params={"q": query})
        assert (answer.status_code, answer.json()) == (
            400, {"error": "parameter 'q' is empty; give the words to look for"}), repr(query)
    for query in ("?!…", "'\"()"):
        answer = client.get("/api/search", params={"q": query})
        assert (answer.status_code, answer.json()) == (200, []), repr(query)
        page = client.get("/", params={"q": query})
        assert '<p class="none">No results: the query has no letters or digits.</p>' in page.text


def test_a_query_over_the_limit_is_400_in_json_on_every_path(client):
    from search.engine import MAX_QUERY_CHARS

    words = "banjir " * (MAX_QUERY_CHARS // 7 + 1)
    answer = client.get("/api/search", params={"q": words})
    length = len(words.strip())
    assert (answer.status_code, answer.json()) == (400, {"error": f"parameter 'q' is {length:,} characters long, "
                                                                  f"over the limit of 2,000; give fewer words"})
    page = client.get("/", params={"q": words})
    assert page.status_code == 400 and f"The query is {length:,} characters long" in page.text
    assert client.get("/api/search", params={"q": words[:MAX_QUERY_CHARS]}).status_code == 200


def test_api_doc_is_show_json_with_the_story(runner, client, seeds_index):
    answer = client.get(f"/api/doc/{quote(KOMPAS, safe='')}")
    assert answer.status_code == 200
    assert answer.json() == run_json(runner, "show", KOMPAS, "--index", seeds_index)
    missing = client.get("/api/doc/nope")
    assert (missing.status_code, missing.json()) == (
        404, {"error": "no document 'nope' in the index; lintas search shows document ids"})


def test_api_info(client, seeds_index):
    info = client.get("/api/info").json()
    assert info["index"] == str(seeds_index)
    assert (info["documents"], info["languages"], info["sources"]) == (5, {"en": 1, "id": 4}, {"seeds": 3, "klikanggaran": 1, "kompas.com": 1})
    assert info["generation"] == "gen-000001"


def test_no_index_is_503_with_the_way_out(tmp_path):
    heard = []
    client = TestClient(create_app(tmp_path / "none", warn=heard.append), raise_server_exceptions=False)
    assert [str(problem) for problem in heard] == [f"no index at {tmp_path / 'none'}; run lintas index first"]
    answer = client.get("/api/search", params={"q": "Putin"})
    assert (answer.status_code, answer.json()) == (
        503, {"error": f"no index at {tmp_path / 'none'}; run lintas index first"})
    page = client.get("/", params={"q": "Putin"})
    assert page.status_code == 503 and "run lintas index first" in page.text


def test_page_shows_stories_with_highlighted_snippets(client):
    page = client.get("/", params={"q": "paratroopers", "mode": "keyword"})
    assert page.status_code == 200
    assert '<mark>paratroopers</mark>' in page.text
    assert f'href="/doc/{quote(EN_SEED, safe="")}?q=paratroopers&amp;mode=keyword"' in page.text
    hits = client.get("/api/search", params={"q": "Sochi", "mode": "keyword"}).json()
    page = client.get("/", params={"q": "Sochi", "mode": "keyword"})
    assert page.text.count('<li class="story">') == len({hit["group"] for hit in hits})


def test_article_page(client):
    page = client.get(f"/doc/{quote(KOMPAS, safe='')}")
    assert client.get(f"/doc/{KOMPAS}").text == page.text  # ids as paths, unencoded, reach it too
    assert page.status_code == 200
    assert "<h1>Terus Didesak Mundur, Presiden Belarus Akan ke Rusia Minta Bantuan Putin</h1>" in page.text
    assert "<p>Wanita berusia 38 tahun itu kini sedang berlindung di Lithuani usai terus mendapat tekanan.</p>" in page.text
    assert client.get("/doc/nope").status_code == 404


HOSTILE = [
    {"id": "feeds/wire.jsonl:12#a b?c%", "title": "<script>alert('title')</script>",
     "text": "<script>alert('text')</script> Petani kopi Gayo di Aceh panen raya. <b>bold</b>",
     "url": "javascript:alert('url')", "source": "<i>src</i>"},
    {"id": "feeds/safe", "title": "Kopi Gayo & teh \"Aceh\"", "text": "Kopi Gayo diekspor ke Eropa.",
     "url": "https://example.com/kopi?a=1&b=2"},
]


def test_every_text_is_escaped_and_every_id_link_works(runner, seeds_index, tmp_path):
    feed = tmp_path / "hostile.jsonl"
    feed.write_text("".join(json.dumps(row) + "\n" for row in HOSTILE), encoding="utf-8")
    assert run(runner, "add", feed, "--index", seeds_index).exit_code == 0
    hostile_id = f"{feed}#{HOSTILE[0]['id']}"  # /…/hostile.jsonl#feeds/wire.jsonl:12#a b?c%
    client = TestClient(create_app(seeds_index), raise_server_exceptions=False)
    page = client.get("/", params={"q": "Gayo <script>", "mode": "keyword"})
    assert page.status_code == 200
    assert "<script>" not in page.text and "<b>bold" not in page.text and "<i>" not in page.text
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page.text
    link = "/doc/" + quote(hostile_id, safe="")
    assert link.endswith("hostile.jsonl%23feeds%2Fwire.jsonl%3A12%23a%20b%3Fc%25")
    assert f'href="{link}?q=Gayo+%3Cscript%3E&amp;mode=keyword"' in page.text
    assert 'value="Gayo &lt;script&gt;"' in page.text
    article = client.get(link)
    assert article.status_code == 200
    assert "<h1>&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;</h1>" in article.text
    assert "javascript:" not in article.text and "<script>" not in article.text
    safe = client.get("/doc/feeds/safe")  # a bare explicit id names its document too
    assert '<a href="https://example.com/kopi?a=1&amp;b=2" rel="noopener noreferrer">original</a>' in safe.text
    assert client.get("/api/" + link[1:]).json()["title"] == HOSTILE[0]["title"]


def test_a_new_generation_is_picked_up_without_a_restart(runner, client, seeds_index, tmp_path):
    assert client.get("/api/search", params={"q": "Gayo", "mode": "keyword"}).json() == []
    article = tmp_path / "kopi.txt"
    article.write_text("Kopi Gayo\n\nPetani kopi Gayo di Aceh Tengah panen raya.", encoding="utf-8")
    assert run(runner, "add", article, "--index", seeds_index).exit_code == 0
    hits = client.get("/api/search", params={"q": "Gayo", "mode": "keyword"}).json()
    assert [hit["id"] for hit in hits] == [str(article)]
    assert client.get("/api/info").json()["generation"] == "gen-000002"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=3000))
def test_no_query_gives_a_500(client, query):
    from search.engine import query_problem

    refused = query_problem(query) is not None  # empty, or over the limit: 400 with the reason
    for path in ("/api/search", "/"):
        answer = client.get(path, params={"q": query})
        expected = 400 if refused and (path == "/api/search" or query.strip()) else 200
        assert answer.status_code == expected, (path, query, answer.text[:500])
    answer = client.get("/api/search", params={"q": query, "group": "false"})
    assert isinstance(answer.json(), dict if refused else list)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(
    st.sampled_from(["q", "k", "mode", "lang", "since", "until", "source", "group", "x"]),
    st.one_of(st.text(max_size=40), st.from_regex(r"\A\d{4}(-\d{2}(-\d{2})?)?\Z")), max_size=5))
def test_no_parameters_give_a_500(client, params):
    for path in ("/api/search", "/"):
        answer = client.get(path, params=params)
        assert answer.status_code in (200, 400), (path, params, answer.text[:500])
        if path == "/api/search":
            body = answer.json()
            assert isinstance(body, list) if answer.status_code == 200 else set(body) == {"error"}


def test_help_and_search_do_not_import_the_server_stack(seeds_index):
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from cli import app\n"
        f"for argv in (['--help'], ['search', 'Putin', '--index', {str(seeds_index)!r}], ['show', {KOMPAS!r}, '--index', {str(seeds_index)!r}]):\n"
        "    assert CliRunner().invoke(app, argv).exit_code == 0\n"
        "print(sorted(m for m in ('starlette', 'uvicorn', 'jinja2', 'anyio') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_serve_on_a_port_in_use_is_a_clear_error(runner, seeds_index):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(runner, "serve", "--port", port, "--index", seeds_index)
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Error: cannot listen on 127.0.0.1:{port} (Address already in use); "
                                     "choose another --port or --host")
