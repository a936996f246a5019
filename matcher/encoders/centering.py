"""Language-neutral embeddings: subtract a per-language mean before normalising.

Multilingual encoders carry a strong language component, so a Thai query prefers Thai documents
whatever they say. Removing each language's mean vector (Libovický et al. 2020), estimated once on
comparable Thai and English text and separately for query and document modes, removes most of that
preference. The means must not be estimated from the index being searched: a one-language index
would make the other language's mean meaningless. Mixed-script text gets the mean interpolated by
its share of Thai letters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcher.encoders.base import Encoder, EncoderWrapper, l2_normalize
from matcher.text import thai_share

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class LanguageMeans:
    """Mean vectors per language and mode for one encoder id."""

    encoder_id: str
    th_query: np.ndarray
    en_query: np.ndarray
    th_document: np.ndarray
    en_document: np.ndarray

    def shift(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        th, en = (self.th_query, self.en_query) if is_query else (self.th_document, self.en_document)
        shares = np.array([thai_share(t) for t in texts], dtype=np.float32)[:, None]
        return shares * th[None, :] + (1 - shares) * en[None, :]

    def digest(self) -> str:
        """SHA-256 over the mean vectors: part of the centered encoder's fingerprint."""
        import hashlib

        digest = hashlib.sha256(self.encoder_id.encode("utf-8"))
        for vector in (self.th_query, self.en_query, self.th_document, self.en_document):
            digest.update(np.ascontiguousarray(vector, dtype=np.float32).tobytes())
        return digest.hexdigest()

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, encoder_id=np.array(self.encoder_id), th_query=self.th_query, en_query=self.en_query,
                 th_document=self.th_document, en_document=self.en_document)

    @classmethod
    def load(cls, path: Path) -> "LanguageMeans":
        with np.load(path) as data:
            return cls(str(data["encoder_id"]), *(data[k].astype(np.float32) for k in
                                                   ("th_query", "en_query", "th_document", "en_document")))


def means_path(encoder_id: str) -> Path:
    safe = encoder_id.replace(":", "_").replace("/", "_")
    return DATA_DIR / f"language-means-{safe}.npz"


def estimate_language_means(encoder: Encoder, thai_texts: Sequence[str], english_texts: Sequence[str],
                            show_progress: bool | None = None) -> LanguageMeans:
    """Average the normalised embeddings of comparable Thai and English texts, in both modes."""
    if len(thai_texts) < 20 or len(english_texts) < 20:
        raise ValueError("need at least 20 Thai and 20 English texts to estimate language means")
    vectors = {
        (lang, mode): (encoder.encode_queries if mode == "q" else encoder.encode_documents)(texts, show_progress).mean(0)
        for lang, texts in (("th", thai_texts), ("en", english_texts)) for mode in ("q", "d")
    }
    return LanguageMeans(encoder.id, vectors["th", "q"], vectors["en", "q"], vectors["th", "d"], vectors["en", "d"])


class LanguageCenteredEncoder(EncoderWrapper):
    """Wraps an encoder and removes the language component of every vector."""

    def __init__(self, inner: Encoder, means: LanguageMeans, means_digest: str = ""):
        if means.encoder_id != inner.id:
            raise ValueError(f"language means were estimated for {means.encoder_id!r}, not {inner.id!r}")
        super().__init__(inner)
        self.means = means
        self.means_digest = means_digest or means.digest()
        self.id = f"{inner.id}+center"

    def fingerprint_parts(self) -> list[str]:
        return [self.inner.fingerprint, f"means:{self.means_digest}"]

    def _encode(self, texts: list[str], is_query: bool, show_progress: bool | None) -> np.ndarray:
        raw = self.inner._encode(texts, is_query, show_progress)
        if not texts:
            return raw
        return l2_normalize(raw - self.means.shift(texts, is_query))
