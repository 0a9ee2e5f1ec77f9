"""The README's screenshot of the search page: a real `lintas serve` in Debian's chromium.

    python bench/screenshot.py                    # writes docs/screenshot.png

Indexes seeds/ and the saved pages of tests/fixtures/pages/ into a temporary folder (vectors
from the cache), starts `lintas serve` on 127.0.0.1 and a free port, searches in English and
saves the results page. Needs the test extra (Playwright) and chromium (apt-get install
chromium); Playwright drives /usr/bin/chromium, it downloads nothing.
"""
from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
QUERY = "Lukashenko asks Putin for support"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    lintas = [sys.executable, str(ROOT / "cli.py")]
    with tempfile.TemporaryDirectory(prefix="lintas-shot-") as work:
        index_dir = Path(work) / "index"
        subprocess.run([*lintas, "index", "seeds", "tests/fixtures/pages", "--index", str(index_dir)],
                       cwd=ROOT, check=True)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen([*lintas, "serve", "--port", str(port), "--index", str(index_dir)], cwd=ROOT)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    urllib.request.urlopen(url + "/api/info", timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium")
                page = browser.new_page(viewport={"width": 1000, "height": 800})
                page.goto(f"{url}/?{urlencode({'q': QUERY})}")
                page.wait_for_selector("li.story")
                Path(args.out).parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=args.out, full_page=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"command: python bench/screenshot.py; wrote {args.out}")


if __name__ == "__main__":
    main()
