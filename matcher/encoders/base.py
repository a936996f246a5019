"""The encoder interface: asymmetric query/document encoding to L2-normalised float32 vectors."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from matcher.text import is_blank

log = logging.getLogger(__name__)

BATCH_SIZE = 32


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Row-normalise; zero rows stay zero instead of becoming NaN."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32, copy=False)


def show_progress_default(show_progress: bool | None) -> bool:
    """None means: show a bar only when a person is watching a terminal."""
    if show_progress is not None:
        return show_progress
    import sys

    return sys.stderr.isatty()


class Encoder(ABC):
    """Maps texts to vectors. Queries and documents may be encoded differently (e5 prefixes).

    Every method returns a float32 array of shape (n, dimension), rows L2-normalised, so inner
    product is cosine everywhere downstream.
    """

    #: Stable identifier written into index manifests; an index is only valid for this id.
    id: str
    dimension: int

    @abstractmethod
    def _encode_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        """Encode one batch of texts (already validated) into raw vectors."""

    def encode_queries(self, texts: Sequence[str], show_progress: bool | None = False) -> np.ndarray:
        return self._encode(list(texts), True, show_progress)

    def encode_documents(self, texts: Sequence[str], show_progress: bool | None = False) -> np.ndarray:
        return self._encode(list(texts), False, show_progress)

    def _encode(self, texts: list[str], is_query: bool, show_progress: bool | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            if not isinstance(text, str) or is_blank(text):
                raise ValueError(f"text {i} is empty or not a string; encoders need non-blank text")
        from tqdm.auto import tqdm

        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        kind = "queries" if is_query else "documents"
        with tqdm(total=len(texts), desc=f"encode {kind} [{self.id}]", unit="text",
                  disable=not show_progress_default(show_progress), leave=False) as bar:
            for start in range(0, len(texts), BATCH_SIZE):
                batch = texts[start:start + BATCH_SIZE]
                out[start:start + len(batch)] = self._encode_batch(batch, is_query)
                bar.update(len(batch))
        return l2_normalize(out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, dimension={self.dimension})"
