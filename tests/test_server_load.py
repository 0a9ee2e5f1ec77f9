"""`lintas serve` under load: searches in flight at once, and new index generations taken over
while clients keep asking, without one failed request."""
from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from typer.testing import CliRunner

from conftest import ROOT, run

QUERIES = ["Lukashenko asks Putin for support", "Presiden Belarus minta dukungan Rusia", "Sochi talks",
           "protes di Minsk", "Kremlin spokesman", "banjir Jakarta"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(index_dir: Path, log: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "serve", "--port", str(port),
                                "--index", str(index_dir)], cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/info", timeout=1).close()
            return process, port
        except OSError:
            assert process.poll() is None, log.read_text()
            time.sleep(0.1)
    process.terminate()
    raise AssertionError("lintas serve did not answer within 60 s")


def _info(port: int) -> dict:
    return json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/info", timeout=60))


def test_new_generations_are_taken_over_under_load_without_a_failed_request(seeds_index, tmp_path):
    process, port = _serve(seeds_index, tmp_path / "server.log")
    stop = threading.Event()
    answers: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        turn = number
        while not stop.is_set():
            query = QUERIES[turn % len(QUERIES)]
            turn += 1
            path = "/api/search?" + urlencode({"q": query, "k": 3} if turn % 3 else {"q": query, "sort": "date"})
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                problem = None if response.status == 200 and isinstance(json.loads(body), list) else \
                    f"{response.status}: {body[:200]!r}"
            except (OSError, http.client.HTTPException, ValueError) as error:
                problem = f"{type(error).__name__}: {error}"
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with lock:
                (failures.append(problem) if problem else answers.append(turn))

    clients = [threading.Thread(target=client, args=(n,)) for n in range(50)]
    try:
        for thread in clients:
            thread.start()
        # Three new generations while fifty clients search: each adds an article of its own.
        for n in range(3):
            article = tmp_path / f"banjir-{n}.txt"
            article.write_text(f"Banjir rendam Jakarta, gelombang {n}\n\nBanjir setinggi {n + 1} meter merendam "
                               f"ratusan rumah di Jakarta Utara pada gelombang ke-{n}.", encoding="utf-8")
            result = run(CliRunner(), "add", article, "--index", seeds_index)
            assert result.exit_code == 0, result.stderr
            time.sleep(1.0)
        # ... and the query engine's choice (torch loaded and timed in the background, maybe a
        # switch of engine: index.embedding.choose.QueryEngine) made while they search too.
        for _ in range(360):
            if "not measured yet" not in _info(port)["query_engine"]:
                break
            time.sleep(0.5)
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=120)
    try:
        assert failures == [], failures[:5]
        assert len(answers) > 40  # the clients kept asking through all three swaps
        assert "not measured yet" not in _info(port)["query_engine"]
        found = json.load(urllib.request.urlopen(
            f"http://127.0.0.1:{port}/api/search?" + urlencode({"q": "banjir Jakarta gelombang", "k": 10}), timeout=60))
        assert {Path(hit["id"]).name for hit in found} >= {"banjir-0.txt", "banjir-1.txt", "banjir-2.txt"}
    finally:
        process.terminate()
        process.wait(timeout=30)
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log
    assert "query engine: " in log  # what was chosen, and why, said once


def test_threads_search_one_reader_at_once_and_get_what_one_thread_gets(seeds_index):
    from search.engine import find
    from search.reader import IndexReader

    reader = IndexReader(seeds_index)
    alone = {query: [hit.to_json() for hit in find(reader, query, k=5).hits] for query in QUERIES}
    seen: dict[str, list] = {}
    problems: list[BaseException] = []

    def ask(number: int) -> None:
        try:
            for turn in range(12):
                query = QUERIES[(number + turn) % len(QUERIES)]
                hits = [hit.to_json() for hit in find(reader, query, k=5).hits]
                if hits != alone[query]:
                    seen[query] = hits
        except BaseException as error:  # noqa: BLE001 - a thread's failure is reported by the test
            problems.append(error)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == [] and seen == {}
    assert len(reader._searchers) >= 2  # each thread read Whoosh through a searcher of its own
    reader.close()


def test_a_query_asked_again_is_not_embedded_again(seeds_index):
    from search.engine import find
    from search.reader import IndexReader

    reader = IndexReader(seeds_index)
    real = reader.embedder
    asked: list[str] = []

    class Counting:
        def __getattr__(self, name):
            return getattr(real, name)

        def embed_query(self, text):
            asked.append(text)
            return real.embed_query(text)

    reader.__dict__["embedder"] = Counting()
    first = find(reader, "Lukashenko asks Putin for support", k=2)
    find(reader, "Lukashenko asks Putin for support", k=2, offset=2)  # the next page
    find(reader, "Lukashenko asks Putin for support", k=2, sort="date", lang="id")  # a sort and a filter
    find(reader, '"Lukashenko" asks Putin for support')  # the same words, one of them quoted
    again = find(reader, "Lukashenko asks Putin for support", k=2)
    assert asked == ["Lukashenko asks Putin for support"]
    assert [hit.to_json() for hit in again.hits] == [hit.to_json() for hit in first.hits]
