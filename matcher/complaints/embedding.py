"""Complaint vectors: both bundled encoders, language-centered, fused into one normalised vector.

Each encoder's query-mode vector (e5's `query:` prefix is the one meant for symmetric tasks such as
clustering) is already L2-normalised and language-centered by the `+center` encoders. The fused
vector concatenates them scaled by 1/sqrt(n), so the dot product of two fused vectors is the mean
of the encoders' cosines: the same equal weighting as the default dense fusion, on a scale a
clustering distance can use. The text encoded is the complaint's problem lines (cleaning.py):
the Traffy form fields would otherwise make complaints cluster by form rather than by problem.
Query-mode vectors of the same texts are what the gap map searches with, so with the on-disk
cache (keyed by encoder fingerprint) one encoding serves both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from matcher.complaints.cleaning import problem_text
from matcher.encoders import Encoder, l2_normalize


def encoded_text(text: str) -> str:
    """What is embedded for a complaint (its problem lines, or the text itself when they are empty)."""
    return problem_text(text) or text


def encode_texts(texts: Sequence[str], encoders: Mapping[str, Encoder],
                 show_progress: bool | None = None) -> dict[str, np.ndarray]:
    """Per encoder id, the query-mode vectors of these complaint texts (rows in order)."""
    prepared = [encoded_text(t) for t in texts]
    return {eid: enc.encode_queries(prepared, show_progress) for eid, enc in encoders.items()}


def fuse(per_encoder: Mapping[str, np.ndarray]) -> np.ndarray:
    """Concatenate normalised per-encoder vectors with weight 1/sqrt(n): dot product = mean cosine."""
    if not per_encoder:
        raise ValueError("need at least one encoder")
    parts = [l2_normalize(v) for v in per_encoder.values()]
    return (np.hstack(parts) / np.sqrt(len(parts))).astype(np.float32)
