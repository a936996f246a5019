"""Dense vector index on FAISS: exact inner product by default, HNSW or IVF for large sets.

Record ids (strings) map to int64 FAISS labels through an IDMap2, so single records can be
added, replaced and removed without a rebuild. HNSW cannot delete in place, so removed labels
are kept as tombstones and excluded by an ID selector until the next rebuild.

A plain numpy copy of the vectors (row = label) sits beside FAISS: fusion needs the exact score
of specific candidates, and a fancy-indexed matrix product is far cheaper than one FAISS
reconstruct call per candidate.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from matcher.index.manifest import IndexCorruptError, IndexMismatchError, atomic_write_bytes

IndexKind = Literal["flat", "hnsw", "ivf"]
EXACT_SUBSET_LIMIT = 4096
"""Below this many allowed records, score them exactly instead of asking FAISS to filter."""


def _faiss():
    import faiss

    return faiss


def set_search_threads(threads: int) -> None:
    """FAISS's OpenMP thread count for this process. For one query at a time, one thread is faster
    on small machines; the application decides (the library never sets it on its own)."""
    _faiss().omp_set_num_threads(max(1, int(threads)))


class DenseIndex:
    def __init__(self, dimension: int, kind: IndexKind = "flat", hnsw_m: int = 32, ivf_lists: int = 256):
        self.dimension = dimension
        self.kind = kind
        self.hnsw_m = hnsw_m
        self.ivf_lists = ivf_lists
        self._labels: dict[str, int] = {}
        self._keys: dict[int, str] = {}
        self._next_label = 0
        self._tombstones: set[int] = set()
        self._rows = np.zeros((0, dimension), dtype=np.float32)
        self._index = self._new_index()

    def _new_index(self):
        faiss = _faiss()
        if self.kind == "flat":
            base = faiss.IndexFlatIP(self.dimension)
        elif self.kind == "hnsw":
            base = faiss.IndexHNSWFlat(self.dimension, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efSearch = 128
        elif self.kind == "ivf":
            quantizer = faiss.IndexFlatIP(self.dimension)
            base = faiss.IndexIVFFlat(quantizer, self.dimension, self.ivf_lists, faiss.METRIC_INNER_PRODUCT)
            base.nprobe = 16
        else:
            raise ValueError(f"unknown dense index kind {self.kind!r}; expected flat, hnsw or ivf")
        return faiss.IndexIDMap2(base)

    def __len__(self) -> int:
        return len(self._labels)

    def __contains__(self, key: str) -> bool:
        return key in self._labels

    @property
    def keys(self) -> list[str]:
        return list(self._labels)

    def _check(self, vectors: np.ndarray, n: int) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape != (n, self.dimension):
            raise ValueError(f"expected vectors of shape ({n}, {self.dimension}), got {vectors.shape}")
        return vectors

    def upsert(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Add records, replacing any with the same key."""
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate keys in one upsert")
        vectors = self._check(vectors, len(keys))
        self.remove([k for k in keys if k in self._labels])
        base = _faiss().downcast_index(self._index.index)
        if self.kind == "ivf" and not base.is_trained:
            if len(keys) < self.ivf_lists:
                raise ValueError(f"IVF needs at least {self.ivf_lists} vectors to train; use kind 'flat'")
            base.train(vectors)
        labels = np.arange(self._next_label, self._next_label + len(keys), dtype=np.int64)
        self._next_label += len(keys)
        self._index.add_with_ids(vectors, labels)
        if self._next_label > len(self._rows):
            grown = np.zeros((max(self._next_label, 2 * len(self._rows)), self.dimension), dtype=np.float32)
            grown[: len(self._rows)] = self._rows
            self._rows = grown
        self._rows[labels] = vectors
        for key, label in zip(keys, labels.tolist()):
            self._labels[key] = label
            self._keys[label] = key

    def remove(self, keys: Iterable[str]) -> int:
        labels = [self._labels.pop(k) for k in keys if k in self._labels]
        for label in labels:
            del self._keys[label]
        if not labels:
            return 0
        if self.kind == "hnsw":
            self._tombstones.update(labels)
        else:
            self._index.remove_ids(np.asarray(labels, dtype=np.int64))
        return len(labels)

    def vectors(self, keys: Sequence[str]) -> np.ndarray:
        """Stored vectors of the given records (KeyError for unknown ones)."""
        return self._rows[[self._labels[key] for key in keys]]

    def scores(self, query: np.ndarray, keys: Sequence[str]) -> np.ndarray:
        """Exact inner products of one query vector with the given records."""
        if not keys:
            return np.zeros(0, dtype=np.float32)
        return self.vectors(keys) @ np.asarray(query, dtype=np.float32).reshape(-1)

    def search(self, queries: np.ndarray, k: int, allowed: set[str] | None = None) -> list[list[tuple[str, float]]]:
        """Top-k (key, inner product) per query; `allowed` restricts the search to those keys."""
        queries = self._check(queries, len(queries))
        if not len(self) or k <= 0:
            return [[] for _ in range(len(queries))]
        if allowed is not None:
            allowed_keys = [key for key in allowed if key in self._labels]
            if len(allowed_keys) <= EXACT_SUBSET_LIMIT:
                return self._exact_subset(queries, allowed_keys, k)
        faiss = _faiss()
        params = None
        excluded = self._tombstones
        if allowed is not None:
            ids = np.asarray([self._labels[key] for key in allowed_keys], dtype=np.int64)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(ids))
        elif excluded:
            ids = np.asarray(sorted(excluded), dtype=np.int64)
            params = faiss.SearchParameters(sel=faiss.IDSelectorNot(faiss.IDSelectorBatch(ids)))
        fetch = min(k, len(self))
        scores, labels = self._index.search(queries, fetch, params=params)
        return [[(self._keys[int(label)], float(score)) for score, label in zip(row_s, row_l)
                 if label >= 0 and int(label) in self._keys] for row_s, row_l in zip(scores, labels)]

    def _exact_subset(self, queries: np.ndarray, keys: list[str], k: int) -> list[list[tuple[str, float]]]:
        if not keys:
            return [[] for _ in range(len(queries))]
        scores = queries @ self.vectors(keys).T
        out = []
        for row in scores:
            top = np.argsort(-row, kind="stable")[:k]
            out.append([(keys[i], float(row[i])) for i in top])
        return out

    # --- persistence -------------------------------------------------------------------------

    def save(self, directory: Path, name: str) -> list[str]:
        """Write `<name>.faiss` and `<name>.ids.json` atomically; returns the file names."""
        faiss = _faiss()
        data = faiss.serialize_index(self._index).tobytes()
        atomic_write_bytes(directory / f"{name}.faiss", data)
        meta = {"kind": self.kind, "dimension": self.dimension, "next_label": self._next_label,
                "labels": self._labels, "tombstones": sorted(self._tombstones)}
        atomic_write_bytes(directory / f"{name}.ids.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        import io

        buffer = io.BytesIO()
        np.save(buffer, self._rows[: self._next_label], allow_pickle=False)
        atomic_write_bytes(directory / f"{name}.vectors.npy", buffer.getvalue())
        return [f"{name}.faiss", f"{name}.ids.json", f"{name}.vectors.npy"]

    @classmethod
    def load(cls, directory: Path, name: str, dimension: int) -> "DenseIndex":
        faiss = _faiss()
        try:
            meta = json.loads((directory / f"{name}.ids.json").read_text(encoding="utf-8"))
            raw = np.fromfile(directory / f"{name}.faiss", dtype=np.uint8)
            index = faiss.deserialize_index(raw)
            rows = np.load(directory / f"{name}.vectors.npy", allow_pickle=False)
        except (OSError, ValueError, RuntimeError) as exc:
            raise IndexCorruptError(f"cannot read dense index {name!r} in {directory}: {exc}") from exc
        if meta["dimension"] != dimension or index.d != dimension:
            raise IndexMismatchError(f"dense index {name!r} has dimension {index.d}, the encoder has {dimension}")
        out = cls(dimension, meta["kind"])
        out._index = faiss.downcast_index(index) if not isinstance(index, faiss.IndexIDMap2) else index
        out._labels = {k: int(v) for k, v in meta["labels"].items()}
        out._keys = {v: k for k, v in out._labels.items()}
        out._next_label = int(meta["next_label"])
        out._tombstones = set(meta["tombstones"])
        out._rows = np.ascontiguousarray(rows, dtype=np.float32)
        if out._rows.shape != (out._next_label, dimension):
            raise IndexCorruptError(f"dense index {name!r}: vector store has shape {out._rows.shape}")
        if out._index.ntotal != len(out._labels) + len(out._tombstones):
            raise IndexCorruptError(f"dense index {name!r}: {out._index.ntotal} vectors but "
                                    f"{len(out._labels)} ids; rebuild the index")
        return out
