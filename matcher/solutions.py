"""Which of an innovator's solutions answers a query: the "matched solution" shown with a suggestion.

An innovator is indexed as one document (profile and every solution), so the ranking says *who*
fits, not *which offer*. An agency needs the offer: its title, readiness level and a snippet. The
solution is chosen by the cosine between the query and each solution's own text under one of the
index's encoders (the fastest: USE-m3 takes ~2 ms a text here, so the solutions of ten suggestions
cost a few tens of ms the first time). Solution vectors are cached by their text, so a page shown
again, or an innovator suggested for many challenges, is not encoded again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.encoders.base import Encoder

SNIPPET_CHARS = 220


@dataclass(frozen=True)
class MatchedSolution:
    index: int
    """Position in the innovator's `solutions` list."""
    similarity: float

    def payload(self, solution) -> dict:
        """The JSON shape: title, TRL and a snippet of the description (whole words)."""
        return {"index": self.index, "title": solution.title, "trl": solution.trl,
                "snippet": snippet(solution.description), "similarity": round(self.similarity, 4)}


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.6 else cut).rstrip(" ,.;:") + "…"


def solution_text(solution) -> str:
    return f"{solution.title}: {solution.description}"


class SolutionMatcher:
    """Picks the best solution per innovator under one encoder, with a bounded cache of vectors."""

    def __init__(self, encoder: Encoder, capacity: int = 50_000):
        self.encoder = encoder
        self.capacity = capacity
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        with self._lock:
            found = {k: self._cache[k] for k in keys if k in self._cache}
            for k in found:
                self._cache.move_to_end(k)
        missing = list(dict.fromkeys(i for i, k in enumerate(keys) if k not in found))
        if missing:
            fresh = self.encoder.encode_documents([texts[i] for i in missing])
            with self._lock:
                for i, vector in zip(missing, fresh):
                    found[keys[i]] = self._cache[keys[i]] = vector
                while len(self._cache) > self.capacity:
                    self._cache.popitem(last=False)
        return np.stack([found[k] for k in keys])

    def best(self, query_vector: np.ndarray, solution_lists: Sequence[Sequence]) -> list[MatchedSolution | None]:
        """For each innovator's solutions (in order), the one closest to the query; None for an empty list.
        All solutions are encoded in one batch."""
        texts = [solution_text(s) for solutions in solution_lists for s in solutions]
        if not texts:
            return [None] * len(solution_lists)
        similarities = self._vectors(texts) @ np.asarray(query_vector, dtype=np.float32)
        out: list[MatchedSolution | None] = []
        start = 0
        for solutions in solution_lists:
            if not solutions:
                out.append(None)
                continue
            chunk = similarities[start:start + len(solutions)]
            best = int(np.argmax(chunk))
            out.append(MatchedSolution(best, float(chunk[best])))
            start += len(solutions)
        return out
