"""The encoder interface: asymmetric query/document encoding to L2-normalised float32 vectors."""

from __future__ import annotations

import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import numpy as np

from matcher.text import is_blank

log = logging.getLogger(__name__)

BATCH_SIZE = 32


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Row-normalise; zero rows stay zero instead of becoming NaN."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32, copy=False)


@cache
def file_digest(path: str) -> str:
    """SHA-256 of a file, computed once per process (weights files are tens of MB)."""
    from matcher.index.manifest import sha256_file

    return sha256_file(Path(path))


def combine_fingerprint(encoder_id: str, parts: Iterable[str]) -> str:
    """`<id>@<12 hex>`: readable in a manifest, different whenever any part differs."""
    digest = hashlib.sha256("\x00".join([encoder_id, *parts]).encode("utf-8")).hexdigest()
    return f"{encoder_id}@{digest[:16]}"


def package_fingerprint_parts(distribution: str, files: Iterable[Path]) -> list[str]:
    """Library version plus the digest of each weights file: what decides a package encoder's output."""
    from importlib import metadata

    try:
        version = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        version = "unknown"
    return [f"{distribution}=={version}", *(file_digest(str(f)) for f in files)]


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

    #: Human-readable identifier used in configurations (e.g. "e5-small+center").
    id: str
    dimension: int

    @property
    def fingerprint(self) -> str:
        """Identity of the vectors this encoder produces: id, library version, weights digest and,
        for wrappers, the digests of what they add (centering means). It keys the embedding
        cache, the stored vectors and every index manifest, so vectors from another model or
        other means are never mixed with these. Computed once per instance."""
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            cached = self.__dict__["_fingerprint"] = combine_fingerprint(self.id, self.fingerprint_parts())
        return cached

    def fingerprint_parts(self) -> list[str]:
        """What decides this encoder's output besides its id; backends override."""
        return []

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


class EncoderWrapper(Encoder):
    """An encoder that adds something around another one (a cache, shipped vectors, centering).

    It answers for the same id and dimension and, unless it changes the vectors, the same
    fingerprint; subclasses override `_encode`."""

    def __init__(self, inner: Encoder):
        self.inner = inner
        self.id = inner.id
        self.dimension = inner.dimension

    def fingerprint_parts(self) -> list[str]:
        return self.inner.fingerprint_parts()

    def _encode_batch(self, texts: list[str], is_query: bool) -> np.ndarray:  # pragma: no cover - unused
        return self.inner._encode_batch(texts, is_query)
