"""Vectors shipped with the bundled corpus, so indexing it for the first time needs no model calls.

Encoding the 1,580 bundled records with e5-small takes about ten minutes on two cores; the demo,
the service's first start and the evaluation splits would all pay it. `corpora/bic/vectors.npz`
holds their raw (uncentred) vectors as float16, keyed exactly like the embedding cache: by the
base encoder's fingerprint, the mode and the text. A text that is not there, or another model
version (another fingerprint), is simply encoded. Nothing depends on it for correctness.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from matcher.encoders.base import Encoder, EncoderWrapper
from matcher.encoders.cache import text_key


def seed_file() -> Path:
    from matcher.corpora import MAIN_DIR

    return MAIN_DIR / "vectors.npz"


def _slot(fingerprint: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in fingerprint)


@cache
def load_seed(path: Path) -> dict[str, np.ndarray]:
    """key -> float32 vector, for every encoder in the file (empty when the file is absent)."""
    if not path.exists():
        return {}
    out: dict[str, np.ndarray] = {}
    with np.load(path, allow_pickle=False) as data:
        for name in data.files:
            if name.startswith("keys_"):
                slot = name[len("keys_"):]
                vectors = data[f"vectors_{slot}"].astype(np.float32)
                out.update(zip(data[name].tolist(), vectors))
    return out


def write_seed(path: Path, encoders: list[Encoder], texts: list[str]) -> int:
    """Encode `texts` in both modes with each (base) encoder and write the seed file."""
    arrays: dict[str, np.ndarray] = {}
    count = 0
    for encoder in encoders:
        keys, rows = [], []
        for is_query in (False, True):
            vectors = encoder.encode_queries(texts, True) if is_query else encoder.encode_documents(texts, True)
            keys += [text_key(encoder.fingerprint, is_query, t) for t in texts]
            rows.append(vectors)
        arrays[f"keys_{_slot(encoder.fingerprint)}"] = np.asarray(keys)
        arrays[f"vectors_{_slot(encoder.fingerprint)}"] = np.concatenate(rows).astype(np.float16)
        count += len(keys)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    load_seed.cache_clear()
    return count


class SeededEncoder(EncoderWrapper):
    """Wraps a base encoder; texts whose vectors ship in the seed file are not encoded again."""

    def __init__(self, inner: Encoder, path: Path | None = None):
        super().__init__(inner)
        self.path = path or seed_file()

    def _encode(self, texts: list[str], is_query: bool, show_progress: bool | None) -> np.ndarray:
        seeds = load_seed(self.path)
        if not seeds or not texts:
            return self.inner._encode(texts, is_query, show_progress)
        fingerprint = self.fingerprint
        keys = [text_key(fingerprint, is_query, t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in seeds]
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for i, k in enumerate(keys):
            if k in seeds:
                out[i] = seeds[k]
        if missing:
            out[missing] = self.inner._encode([texts[i] for i in missing], is_query, show_progress)
        return out
