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

from conftest import EN_SEED, ID_SEEDS, ROOT, SUPPORT_QUERY_TOP, seed_id

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


def test_search_page_in_chromium(server, tmp_path):
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
            shown = [unquote(link.get_attribute("href").removeprefix("/doc/")) for link in links.all()]
            assert set(shown[:2]) == SUPPORT_QUERY_TOP
            assert set(shown) == ID_SEEDS | {EN_SEED}
            languages = page.locator("li.story .lang").all_inner_texts()
            assert languages.count("EN") == 1 and languages.count("ID") == 4  # shown in upper case

            # Open an Indonesian article from the results.
            page.click(f"a[href='/doc/{quote(seed_id('004_111cb5bf34ac05bb'), safe='')}']")
            page.wait_for_selector("article h1")
            assert page.inner_text("article h1") == \
                "Terus Didesak Mundur, Presiden Belarus Akan ke Rusia Minta Bantuan Putin"
            assert "Wanita berusia 38 tahun itu kini sedang berlindung di Lithuani" in page.inner_text("article")
            page.screenshot(path=str(tmp_path / "article.png"), full_page=True)

            # Back to the results, then keep only English articles.
            page.go_back()
            page.select_option("select[name=lang]", "en")
            page.click("form.search button")
            page.wait_for_url("**lang=en**")
            shown = [unquote(link.get_attribute("href").removeprefix("/doc/"))
                     for link in page.locator("li.story a[href^='/doc/']").all()]
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
        finally:
            browser.close()
    assert (tmp_path / "results.png").stat().st_size > 10_000
