"""Lexical BM25 over Thai-segmented and stemmed English tokens, updated one record at a time.

bm25s precomputes a document-by-term score matrix whose every entry depends on the collection's
size and average length, so it cannot take one new document without re-indexing everything: a
write would cost O(collection). This index keeps an inverted file instead (term -> rows and term
frequencies, in growable arrays) plus document lengths and document frequencies, and computes the
BM25 weights at query time. A write appends the record's postings, a delete or replacement
tombstones its row; rows are compacted when tombstones pile up. Scores are exactly bm25s's
"lucene" BM25 (Kamphuis et al. 2020): idf = ln(1 + (N - df + 0.5) / (df + 0.5)),
tf part = tf / (tf + k1 * (1 - b + b * |d| / avgdl)), each query token occurrence counted once.
"""

from __future__ import annotations

import json
import math
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from matcher.index.manifest import IndexCorruptError, atomic_write_bytes

COMPACT_DEAD_SHARE = 0.3
"""Compact the postings when this share of rows are tombstones."""


class _Postings:
    """Rows and term frequencies of one term, in arrays that grow in place."""

    __slots__ = ("rows", "tfs")

    def __init__(self) -> None:
        self.rows = array("i")
        self.tfs = array("f")


class LexicalIndex:
    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1 = k1
        self.b = b
        self._tokens: dict[str, list[str]] = {}
        self._row: dict[str, int] = {}
        self._keys: list[str | None] = []
        self._lengths = array("f")
        self._postings: dict[str, _Postings] = {}
        self._df: Counter[str] = Counter()
        self._total_length = 0.0
        self._dead = 0

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, key: str) -> bool:
        return key in self._row

    @property
    def keys(self) -> list[str]:
        return list(self._row)

    def tokens(self, key: str) -> list[str]:
        return self._tokens[key]

    def document_frequency(self, token: str) -> int:
        return self._df.get(token, 0)

    def idf(self, token: str) -> float:
        """Lucene BM25 idf of a token in the live collection (0 for an unknown token)."""
        df = self._df.get(token, 0)
        n = len(self._row)
        return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df and n else 0.0

    # --- writes ------------------------------------------------------------------------------

    def upsert(self, keys: Sequence[str], token_lists: Sequence[list[str]]) -> None:
        """Add or replace records: O(tokens of these records)."""
        for key, tokens in zip(keys, token_lists, strict=True):
            self._drop(key)
            row = len(self._keys)
            self._keys.append(key)
            self._row[key] = row
            tokens = list(tokens)
            self._tokens[key] = tokens
            self._lengths.append(float(len(tokens)))
            self._total_length += len(tokens)
            for token, count in Counter(tokens).items():
                postings = self._postings.get(token)
                if postings is None:
                    postings = self._postings[token] = _Postings()
                postings.rows.append(row)
                postings.tfs.append(float(count))
                self._df[token] += 1
        self._maybe_compact()

    def remove(self, keys: Iterable[str]) -> int:
        removed = sum(self._drop(key) for key in keys)
        self._maybe_compact()
        return removed

    def _drop(self, key: str) -> bool:
        row = self._row.pop(key, None)
        if row is None:
            return False
        tokens = self._tokens.pop(key)
        self._keys[row] = None
        self._total_length -= len(tokens)
        self._dead += 1
        for token in set(tokens):
            self._df[token] -= 1
            if self._df[token] <= 0:
                del self._df[token]
        return True

    def _maybe_compact(self) -> None:
        if self._dead and self._dead >= COMPACT_DEAD_SHARE * max(len(self._keys), 1):
            self.compact()

    def compact(self) -> None:
        """Rebuild the postings without tombstoned rows (row numbers change)."""
        live = [(key, self._tokens[key]) for key in self._keys if key is not None]
        self._tokens, self._row, self._keys = {}, {}, []
        self._lengths, self._postings, self._df = array("f"), {}, Counter()
        self._total_length, self._dead = 0.0, 0
        if live:
            keys, tokens = zip(*live)
            self.upsert(list(keys), list(tokens))

    # --- search ------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of rows, dead ones included: the length of `score_rows` arrays."""
        return len(self._keys)

    def score_rows(self, query_tokens: Sequence[str] | Mapping[str, float]) -> np.ndarray:
        """BM25 score of every row (tombstones and non-matching rows score 0). A mapping gives each
        query token a weight (translated tokens of the lexical bridge); a list counts occurrences."""
        scores = np.zeros(len(self._keys), dtype=np.float32)
        n = len(self._row)
        if not n or not query_tokens:
            return scores
        lengths = np.frombuffer(self._lengths, dtype=np.float32)
        avgdl = self._total_length / n if self._total_length > 0 else 1.0
        norm = self.k1 * (1 - self.b + self.b * lengths / avgdl)
        alive = None
        weights = query_tokens if isinstance(query_tokens, Mapping) else Counter(query_tokens)
        for token, times in weights.items():
            postings = self._postings.get(token)
            if postings is None or token not in self._df:
                continue
            rows = np.frombuffer(postings.rows, dtype=np.int32)
            tfs = np.frombuffer(postings.tfs, dtype=np.float32)
            weight = times * self.idf(token)
            scores[rows] += weight * tfs / (tfs + norm[rows])
        if self._dead:
            alive = np.fromiter((k is not None for k in self._keys), dtype=bool, count=len(self._keys))
            scores[~alive] = 0.0
        return scores

    def rows(self, keys: Sequence[str]) -> np.ndarray:
        """Positions of records in `score_rows` arrays."""
        return np.fromiter((self._row[k] for k in keys), dtype=np.int64, count=len(keys))

    def top(self, scores: np.ndarray, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """The k best live records with a positive score (restricted to `allowed`), best first."""
        if k <= 0 or not len(scores):
            return []
        if allowed is not None:
            mask = np.zeros(len(scores), dtype=bool)
            mask[[self._row[key] for key in allowed if key in self._row]] = True
            scores = np.where(mask, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        if len(positive) > k:
            positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
        positive = positive[np.argsort(-scores[positive], kind="stable")]
        return [(self._keys[i], float(scores[i])) for i in positive]  # type: ignore[misc]

    def search(self, query_tokens: Sequence[str] | Mapping[str, float], k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        return self.top(self.score_rows(query_tokens), k, allowed)

    def copy_for_save(self) -> "LexicalIndex":
        """A copy that can be saved (the tokens of the live records) while this one keeps changing."""
        out = LexicalIndex(self.k1, self.b)
        out._tokens = {key: self._tokens[key] for key in self._row}
        out._row = dict(self._row)
        return out

    # --- persistence -------------------------------------------------------------------------

    def save(self, directory: Path, name: str = "lexical") -> list[str]:
        """Tokens of every live record: the postings are rebuilt from them on load (fast, no tokenizer)."""
        payload = {"k1": self.k1, "b": self.b, "tokens": {k: self._tokens[k] for k in self._row}}
        atomic_write_bytes(directory / f"{name}.tokens.json", json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        return [f"{name}.tokens.json"]

    @classmethod
    def load(cls, directory: Path, name: str = "lexical") -> "LexicalIndex":
        try:
            payload = json.loads((directory / f"{name}.tokens.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"cannot read lexical index in {directory}: {exc}") from exc
        out = cls(payload["k1"], payload["b"])
        tokens = payload["tokens"]
        out.upsert(list(tokens), list(tokens.values()))
        return out
