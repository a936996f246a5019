"""Lexical BM25 index (bm25s) over Thai-segmented and stemmed English tokens.

BM25 statistics (IDF, average length) depend on the whole collection, so bm25s cannot update
one document in place. We keep every record's tokens, mark the model stale on a write and rebuild
it lazily from the stored tokens at the next search: no re-tokenisation, and well under a second
for tens of thousands of records.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matcher.index.manifest import IndexCorruptError, atomic_write_bytes


class LexicalIndex:
    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1 = k1
        self.b = b
        self._tokens: dict[str, list[str]] = {}
        self._order: list[str] = []
        self._position: dict[str, int] = {}
        self._model = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tokens)

    def tokens(self, key: str) -> list[str]:
        return self._tokens[key]

    def upsert(self, keys: Sequence[str], token_lists: Sequence[list[str]]) -> None:
        for key, tokens in zip(keys, token_lists, strict=True):
            self._tokens[key] = list(tokens)
        self._model = None

    def remove(self, keys: Sequence[str]) -> int:
        removed = sum(self._tokens.pop(k, None) is not None for k in keys)
        if removed:
            self._model = None
        return removed

    def _ensure_model(self):
        with self._lock:
            if self._model is None:
                import bm25s

                self._order = list(self._tokens)
                self._position = {k: i for i, k in enumerate(self._order)}
                model = bm25s.BM25(k1=self.k1, b=self.b)
                if self._order:
                    # An empty token list would make bm25s drop the document; keep positions aligned.
                    model.index([self._tokens[k] or ["\x00empty"] for k in self._order], show_progress=False)
                self._model = model
            return self._model, self._order, self._position

    def scores(self, query_tokens: list[str], allowed: set[str] | None = None) -> tuple[list[str], np.ndarray]:
        """BM25 score of every record (0 where no term matches); disallowed records score 0."""
        model, order, position = self._ensure_model()
        if not order or not query_tokens:
            return order, np.zeros(len(order), dtype=np.float32)
        mask = None
        if allowed is not None:
            mask = np.zeros(len(order), dtype=np.float32)
            mask[[position[k] for k in allowed if k in position]] = 1.0
        known = [t for t in query_tokens if t in model.vocab_dict]
        if not known:
            return order, np.zeros(len(order), dtype=np.float32)
        return order, np.asarray(model.get_scores(known, weight_mask=mask), dtype=np.float32)

    def search(self, query_tokens: list[str], k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        order, scores = self.scores(query_tokens, allowed)
        return self.top(order, scores, k)

    @staticmethod
    def top(order: list[str], scores: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k best records with a positive score, best first."""
        if not len(order) or k <= 0:
            return []
        k = min(k, len(order))
        candidates = np.argpartition(-scores, k - 1)[:k] if k < len(order) else np.arange(len(order))
        candidates = candidates[np.argsort(-scores[candidates], kind="stable")]
        return [(order[i], float(scores[i])) for i in candidates if scores[i] > 0]

    def positions(self, keys: list[str]) -> np.ndarray:
        """Positions of records in the arrays returned by `scores`."""
        _model, _order, position = self._ensure_model()
        return np.fromiter((position[k] for k in keys), dtype=np.int64, count=len(keys))

    def save(self, directory: Path, name: str = "lexical") -> list[str]:
        payload = {"k1": self.k1, "b": self.b, "tokens": self._tokens}
        atomic_write_bytes(directory / f"{name}.tokens.json", json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        return [f"{name}.tokens.json"]

    @classmethod
    def load(cls, directory: Path, name: str = "lexical") -> "LexicalIndex":
        try:
            payload = json.loads((directory / f"{name}.tokens.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"cannot read lexical index in {directory}: {exc}") from exc
        out = cls(payload["k1"], payload["b"])
        out._tokens = payload["tokens"]
        return out
