"""The search page in a real headless browser: Debian's chromium driven by Playwright, against
`lintas serve` started as a user starts it, on 127.0.0.1 and a free port.

Playwright drives the packaged /usr/bin/chromium (never `playwright install`, which downloads a
browser of its own); `.ci/run` installs chromium with apt when it is missing. Outside CI the test
is skipped, saying why, on a machine without chromium or Playwright.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from typer.testing import CliRunner

from conftest import EN_SEED, ID_SEEDS, ROOT, SUPPORT_QUERY_TOP, run, seed_id

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
QUERY = "Lukashenko asks Putin for support"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: pip install -e '.[test]'"
    if not Path(CHROMIUM).exists():
        return "no chromium: apt-get install chromium"
    return None


if _missing() and not os.environ.get("CI"):
    pytest.skip(_missing(), allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(seeds_index, tmp_path):
    """`lintas serve` in its own process, until the test ends."""
    port = _free_port()
    log = open(tmp_path / "server.log", "w")
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "serve", "--port", str(port),
                                "--index", str(seeds_index)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # the server warms up (opens the index, loads the model) before it listens
            try:
                urllib.request.urlopen(f"{url}/api/info", timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "server.log").read_text()
                time.sleep(0.1)
        else:
            raise AssertionError("lintas serve did not answer within 30 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def shown_id(link) -> str:
    """The document a result's link opens (the link also carries the search, to come back to)."""
    return unquote(link.get_attribute("href").removeprefix("/doc/").split("?")[0])


def test_search_page_in_chromium(server, seeds_index, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(server + "/")
            page.fill("input[name=q]", QUERY)
            page.press("input[name=q]", "Enter")
            page.wait_for_selector("li.story")
            page.screenshot(path=str(tmp_path / "results.png"), full_page=True)
            print(f"screenshot: {tmp_path / 'results.png'}")

            # The English article and the Indonesian one of the phone call first; the other
            # Indonesian ones shown too, as hits or in "also:" lines.
            links = page.locator("li.story a[href^='/doc/']")
            shown = [shown_id(link) for link in links.all()]
            assert set(shown[:2]) == SUPPORT_QUERY_TOP
            assert set(shown) == ID_SEEDS | {EN_SEED}
            languages = page.locator("li.story .lang").all_inner_texts()
            assert languages.count("EN") == 1 and languages.count("ID") == 4  # shown in upper case

            # Open an Indonesian article from the results: its title once (a .txt file's first
            # line is its title), and a link back to these results.
            page.click(f"a[href^='/doc/{quote(seed_id('004_111cb5bf34ac05bb'), safe='')}?']")
            page.wait_for_selector("article h1")
            title = "Terus Didesak Mundur, Presiden Belarus Akan ke Rusia Minta Bantuan Putin"
            assert page.inner_text("article h1") == title
            assert title not in page.inner_text("article .text")
            assert "Wanita berusia 38 tahun itu kini sedang berlindung di Lithuani" in page.inner_text("article")
            page.screenshot(path=str(tmp_path / "article.png"), full_page=True)

            # Back to the results by the page's own link, then keep only English articles.
            page.click("p.back a")
            page.wait_for_selector("li.story")
            assert page.input_value("input[name=q]") == QUERY
            page.select_option("select[name=lang]", "en")
            page.click("form.search button")
            page.wait_for_url("**lang=en**")
            shown = [shown_id(link) for link in page.locator("li.story a[href^='/doc/']").all()]
            assert shown == [EN_SEED]
            assert page.input_value("input[name=q]") == QUERY
            assert page.locator("select[name=lang]").input_value() == "en"

            # Nothing related in the archive: no results, the weak matches folded under the notice.
            page.fill("input[name=q]", "zzqqxx")
            page.select_option("select[name=lang]", "")
            page.press("input[name=q]", "Enter")
            page.wait_for_selector("p.none")
            assert page.inner_text("p.none").startswith("No good match")
            assert page.locator("ol.results.weak li.story").count() == 5
            assert page.locator("ol.results:not(.weak)").count() == 0
            page.screenshot(path=str(tmp_path / "filtered.png"), full_page=True)

            # A title taken from a long first sentence is clamped to two lines, as in the terminal.
            long_title = tmp_path / "long.txt"
            long_title.write_text(" ".join(["Gubernur Aceh meresmikan pabrik kopi Gayo di Takengon"] * 8) +
                                  ".\n\nPetani kopi Gayo menyambut pabrik baru itu.", encoding="utf-8")
            assert run(CliRunner(), "add", long_title, "--index", seeds_index).exit_code == 0
            page.goto(server + "/?q=kopi+Gayo+Takengon&mode=keyword")
            link = page.locator("li.story a.title").first
            line = float(link.evaluate("a => getComputedStyle(a).lineHeight").removesuffix("px"))
            assert link.bounding_box()["height"] <= 2 * line + 1
        finally:
            browser.close()
    assert (tmp_path / "results.png").stat().st_size > 10_000


def test_phrases_sorting_counts_pages_and_more_like_this_in_chromium(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            # A phrase and an exclusion typed in the box: the one seed that holds the phrase
            # and does not name Lukashenko (it spells him Lukashenka).
            page.goto(server + "/")
            page.fill("input[name=q]", '"Vladimir Putin" -Lukashenko')
            page.press("input[name=q]", "Enter")
            page.wait_for_selector("li.story")
            assert [shown_id(a) for a in page.locator("li.story a.title").all()] == [seed_id("002_a5b2618d017f9403")]

            # Newest first, from the page's own switch; the counts beside the results.
            page.fill("input[name=q]", "Lukashenko Putin")
            page.select_option("select[name=sort]", "date")
            page.click("form.search button")
            page.wait_for_url("**sort=date**")
            dates = [text.split(" · ")[1] for text in page.locator("li.story > .meta").all_inner_texts()
                     if text.count(" · ") >= 1 and text.split(" · ")[1][:1].isdigit()]
            assert dates == sorted(dates, reverse=True) and len(dates) >= 2
            assert page.locator("aside.facets .facet-lang a").count() == 2
            page.screenshot(path=str(tmp_path / "facets.png"), full_page=True)

            # A count is a link that applies its filter.
            page.click("aside.facets .facet-lang a:text-is('en')")
            page.wait_for_url("**lang=en**")
            assert [shown_id(a) for a in page.locator("li.story a.title").all()] == [EN_SEED]
            assert page.locator("select[name=lang]").input_value() == "en"

            # Pages: two stories a page, next then previous, never the same story twice.
            page.goto(server + "/?q=Lukashenko+Putin&k=2&group=false")
            first = [shown_id(a) for a in page.locator("li.story a.title").all()]
            page.click("nav.pages a.next")
            page.wait_for_url("**offset=2**")
            second = [shown_id(a) for a in page.locator("li.story a.title").all()]
            assert len(first) == 2 and second and not set(first) & set(second)
            page.click("nav.pages a.previous")
            page.wait_for_selector("li.story")
            assert [shown_id(a) for a in page.locator("li.story a.title").all()] == first

            # More like this, from an article.
            page.goto(server + "/doc/" + quote(EN_SEED, safe=""))
            page.click("a.similar")
            page.wait_for_selector("h1.similar")
            assert {shown_id(a) for a in page.locator("li.story a.title").all()} == ID_SEEDS
        finally:
            browser.close()


def test_a_500_kb_query_is_answered_in_the_api_json_by_the_real_server(server):
    """uvicorn's HTTP parser alone would answer a request line this long with a plain-text
    "Invalid HTTP request"; the server lets it through to the query limit's JSON 400."""
    import json
    import urllib.error

    words = "banjir+" * 75_000  # 525,000 bytes of request line
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{server}/api/search?q={words}", timeout=30)
    assert refused.value.code == 400
    assert refused.value.headers["content-type"] == "application/json"
    assert json.loads(refused.value.read()) == {
        "error": "parameter 'q' is 524,999 characters long, over the limit of 2,000; give fewer words"}
