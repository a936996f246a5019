"""Fusion of component scores and explanations: pure functions over arrays and small records.

Scores of different components are not comparable (cosines of two encoders, unbounded BM25), so
each is standardised per query (z-score over the candidate pool) before a weighted sum.

BM25 is language-aware. It carries no signal between Thai and English text, so adding it to every
candidate rewards documents for merely sharing the query's script: plain RRF with BM25 drops
Thai->English quality sharply, and even a same-language z-score lifts same-language documents
into the top slots. So lexical evidence only decides *which* same-language candidate fills each
same-language slot: the dense fusion fixes how the two languages interleave (the slots), the
hybrid score (dense + weighted in-language BM25 z-score) orders the same-language candidates, and
they take over the dense scores of those slots in that order. Cross-language candidates keep
their dense score and position, so hybrid equals dense on cross-lingual matches by construction
and can only reorder within the query's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from matcher.text import same_language

LEXICAL = "bm25"
BRIDGE = "bridge"


def zscore(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Standardise scores over the masked entries; others (and a constant vector) get 0."""
    scores = np.asarray(scores, dtype=np.float64)
    out = np.zeros_like(scores)
    sel = np.ones(len(scores), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if sel.sum() < 2:
        return out
    values = scores[sel]
    std = values.std()
    if std <= 1e-12:
        return out
    out[sel] = (values - values.mean()) / std
    return out


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each entry by descending score (ties broken by position)."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    out = np.empty(len(order), dtype=np.int64)
    out[order] = np.arange(1, len(order) + 1)
    return out


def rrf(rank_lists: Sequence[np.ndarray], weights: Sequence[float], k: int = 60) -> np.ndarray:
    """Weighted reciprocal-rank fusion: sum_c w_c / (k + rank_c)."""
    total = np.zeros(len(rank_lists[0]), dtype=np.float64)
    for r, w in zip(rank_lists, weights, strict=True):
        total += w / (k + np.asarray(r, dtype=np.float64))
    return total


def reorder_within_slots(slot_scores: np.ndarray, order_scores: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Members take the members' slot scores, re-assigned in order of `order_scores`.

    Non-members keep their slot score, so their positions in the final ranking do not change.
    """
    out = np.asarray(slot_scores, dtype=np.float64).copy()
    idx = np.flatnonzero(members)
    if len(idx) < 2:
        return out
    slots = np.sort(out[idx])[::-1]
    ranked = idx[np.argsort(-np.asarray(order_scores)[idx], kind="stable")]
    out[ranked] = slots
    return out


def hubness(doc_vectors: np.ndarray, reference_vectors: np.ndarray, k: int = 10, batch: int = 4096) -> np.ndarray:
    """r(d): mean cosine of each document to its k nearest reference vectors (CSLS, Conneau et al. 2018).

    In a bilingual pool a few documents ("hubs") sit near many queries, mostly queries of their own
    language; CSLS scores 2*cos(q, d) - r(d), so a document is rewarded for being close to this
    query rather than for being close to every query. The references are vectors of the *other*
    side (the queries, or the records that will be used as queries), never the documents themselves.
    """
    docs = np.asarray(doc_vectors, dtype=np.float32)
    refs = np.asarray(reference_vectors, dtype=np.float32)
    out = np.zeros(len(docs), dtype=np.float32)
    if not len(docs) or not len(refs):
        return out
    k = max(1, min(k, len(refs)))
    for start in range(0, len(docs), batch):
        sims = docs[start:start + batch] @ refs.T
        top = np.partition(sims, len(refs) - k, axis=1)[:, len(refs) - k:] if k < len(refs) else sims
        out[start:start + batch] = top.mean(axis=1)
    return out


def csls(cosines: np.ndarray, doc_hubness: np.ndarray) -> np.ndarray:
    """2*cos(q, d) - r(d) (the query's own r(q) is constant within one ranking and is dropped)."""
    return 2.0 * np.asarray(cosines, dtype=np.float32) - np.asarray(doc_hubness, dtype=np.float32)


@dataclass
class ComponentScores:
    """Raw scores of one component over the candidate pool."""

    name: str
    scores: np.ndarray
    weight: float
    lexical: bool = False
    cross: bool = False
    """A cross-language signal (the lexical bridge): standardised over, and added to, only the
    candidates in the other language, before the same-language slots are reordered."""


@dataclass
class Fused:
    scores: np.ndarray
    normalized: dict[str, np.ndarray]
    ranks: dict[str, np.ndarray]
    same_language: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


def fuse(components: Sequence[ComponentScores], query_lang: str, doc_langs: Sequence[str],
         method: str = "zscore", rrf_k: int = 60, language_aware_lexical: bool = True) -> Fused:
    """Fuse per-component pool scores into one score per candidate."""
    if not components:
        raise ValueError("nothing to fuse: no components")
    same = np.array([same_language(query_lang, d) for d in doc_langs], dtype=bool)
    normalized: dict[str, np.ndarray] = {}
    component_ranks: dict[str, np.ndarray] = {}
    for comp in components:
        mask = ~same if comp.cross else (same if (comp.lexical and language_aware_lexical) else None)
        normalized[comp.name] = zscore(comp.scores, mask)
        component_ranks[comp.name] = ranks(comp.scores)
    if method == "zscore":
        dense_total = sum((c.weight * normalized[c.name] for c in components if not c.lexical), np.zeros(len(same)))
        dense_total = dense_total + sum((c.weight * normalized[c.name] for c in components if c.cross), np.zeros(len(same)))
        total = dense_total + sum((c.weight * normalized[c.name] for c in components if c.lexical and not c.cross),
                                  np.zeros(len(same)))
        in_language = [c for c in components if c.lexical and not c.cross]
        if language_aware_lexical and in_language and any(not c.lexical for c in components):
            total = reorder_within_slots(dense_total, total, same)
    elif method == "rrf":
        total = rrf([component_ranks[c.name] for c in components], [c.weight for c in components], rrf_k)
    else:
        raise ValueError(f"unknown fusion method {method!r}; expected zscore or rrf")
    return Fused(np.asarray(total, dtype=np.float64), normalized, component_ranks, same)
