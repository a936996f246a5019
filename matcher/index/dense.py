"""Dense vectors: a keyed vector store, and a FAISS index over it (flat, HNSW, IVF or IVF-PQ).

Record ids (strings) map to int64 FAISS labels through an IDMap2, so single records can be
added, replaced and removed without a rebuild. HNSW cannot delete in place, so removed labels
are kept as tombstones and excluded by an ID selector until the next rebuild.

A plain numpy copy of the vectors (row = label, float32 or float16) sits beside FAISS: fusion
needs the exact score of specific candidates (and IVF-PQ only keeps compressed codes), and a
fancy-indexed matrix product is far cheaper than one FAISS reconstruct call per candidate. The
same store, without FAISS, holds each record's query-mode vectors.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from matcher.index.manifest import IndexCorruptError, IndexMismatchError, atomic_write_bytes

IndexKind = Literal["auto", "flat", "hnsw", "ivf", "ivfpq"]
StoreDtype = Literal["float32", "float16"]
EXACT_SUBSET_LIMIT = 4096
"""Below this many allowed records, score them exactly instead of asking FAISS to filter."""
HNSW_FROM = 100_000
IVFPQ_FROM = 300_000
"""`auto` picks exact search below HNSW_FROM records, HNSW up to IVFPQ_FROM, IVF-PQ beyond:
exact flat search costs ~0.3 ms per 1,000 vectors per query on one core, and HNSW's float32
graph stops fitting comfortably next to two encoders' vectors at a few hundred thousand."""
FLOAT16_FROM = 100_000
"""Above this size the exact re-scoring copy is kept as float16 (half the memory)."""


def choose_kind(kind: str, expected_size: int) -> str:
    """Resolve `auto` to a concrete index kind for a collection of about this size."""
    if kind != "auto":
        return kind
    if expected_size >= IVFPQ_FROM:
        return "ivfpq"
    return "hnsw" if expected_size >= HNSW_FROM else "flat"


def choose_store_dtype(expected_size: int) -> StoreDtype:
    return "float16" if expected_size >= FLOAT16_FROM else "float32"


def _faiss():
    import faiss

    return faiss


def set_search_threads(threads: int) -> None:
    """FAISS's OpenMP thread count for this process. For one query at a time, one thread is faster
    on small machines; the application decides (the library never sets it on its own)."""
    _faiss().omp_set_num_threads(max(1, int(threads)))


class VectorStore:
    """Vectors by record id in one growable matrix (row = label); replaced rows become free labels.

    Labels are never reused, so a FAISS index that keys vectors by label stays consistent.
    """

    def __init__(self, dimension: int, dtype: StoreDtype = "float32"):
        self.dimension = dimension
        self.dtype: StoreDtype = dtype
        self._labels: dict[str, int] = {}
        self._keys: dict[int, str] = {}
        self._next_label = 0
        self._rows = np.zeros((0, dimension), dtype=dtype)

    def __len__(self) -> int:
        return len(self._labels)

    def __contains__(self, key: str) -> bool:
        return key in self._labels

    @property
    def keys(self) -> list[str]:
        return list(self._labels)

    def label(self, key: str) -> int:
        return self._labels[key]

    def key(self, label: int) -> str | None:
        return self._keys.get(label)

    def check(self, vectors: np.ndarray, n: int) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape != (n, self.dimension):
            raise ValueError(f"expected vectors of shape ({n}, {self.dimension}), got {vectors.shape}")
        return vectors

    def upsert(self, keys: Sequence[str], vectors: np.ndarray) -> tuple[np.ndarray, list[int]]:
        """Store vectors under fresh labels; returns (new labels, labels they replaced)."""
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate keys in one upsert")
        vectors = self.check(vectors, len(keys))
        replaced = self.remove([k for k in keys if k in self._labels])
        labels = np.arange(self._next_label, self._next_label + len(keys), dtype=np.int64)
        self._next_label += len(keys)
        if self._next_label > len(self._rows):
            grown = np.zeros((max(self._next_label, 2 * len(self._rows)), self.dimension), dtype=self._rows.dtype)
            grown[: len(self._rows)] = self._rows
            self._rows = grown
        self._rows[labels] = vectors
        for key, label in zip(keys, labels.tolist()):
            self._labels[key] = label
            self._keys[label] = key
        return labels, replaced

    def remove(self, keys: Iterable[str]) -> list[int]:
        labels = [self._labels.pop(k) for k in keys if k in self._labels]
        for label in labels:
            del self._keys[label]
        return labels

    def get(self, keys: Sequence[str]) -> np.ndarray:
        """float32 vectors of the given records (KeyError for unknown ones)."""
        return self._rows[[self._labels[key] for key in keys]].astype(np.float32, copy=False)

    def nbytes(self) -> int:
        return int(self._rows[: self._next_label].nbytes)

    def copy(self) -> "VectorStore":
        """An independent copy (for writing a snapshot while the original keeps changing)."""
        out = VectorStore(self.dimension, self.dtype)
        out._labels, out._keys, out._next_label = dict(self._labels), dict(self._keys), self._next_label
        out._rows = self._rows[: self._next_label].copy()
        return out

    def save(self, directory: Path, name: str) -> list[str]:
        import io

        meta = {"dimension": self.dimension, "dtype": self.dtype, "next_label": self._next_label,
                "labels": self._labels}
        atomic_write_bytes(directory / f"{name}.ids.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        buffer = io.BytesIO()
        np.save(buffer, self._rows[: self._next_label], allow_pickle=False)
        atomic_write_bytes(directory / f"{name}.vectors.npy", buffer.getvalue())
        return [f"{name}.ids.json", f"{name}.vectors.npy"]

    @classmethod
    def load(cls, directory: Path, name: str, dimension: int) -> "VectorStore":
        try:
            meta = json.loads((directory / f"{name}.ids.json").read_text(encoding="utf-8"))
            rows = np.load(directory / f"{name}.vectors.npy", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"cannot read vectors {name!r} in {directory}: {exc}") from exc
        if meta["dimension"] != dimension:
            raise IndexMismatchError(f"vectors {name!r} have dimension {meta['dimension']}, the encoder has {dimension}")
        out = cls(dimension, meta.get("dtype", "float32"))
        out._labels = {k: int(v) for k, v in meta["labels"].items()}
        out._keys = {v: k for k, v in out._labels.items()}
        out._next_label = int(meta["next_label"])
        out._rows = np.ascontiguousarray(rows, dtype=out.dtype)
        if out._rows.shape != (out._next_label, dimension):
            raise IndexCorruptError(f"vectors {name!r}: store has shape {out._rows.shape}, expected "
                                    f"({out._next_label}, {dimension})")
        return out


class DenseIndex:
    """A FAISS index over a VectorStore: approximate or exact candidates, exact re-scoring."""

    def __init__(self, dimension: int, kind: IndexKind = "flat", hnsw_m: int = 32, ivf_lists: int = 256,
                 store_dtype: StoreDtype = "float32"):
        if kind == "auto":
            raise ValueError("resolve 'auto' with choose_kind() before building a DenseIndex")
        self.dimension = dimension
        self.kind = kind
        self.hnsw_m = hnsw_m
        self.ivf_lists = ivf_lists
        self.store = VectorStore(dimension, store_dtype)
        self._tombstones: set[int] = set()
        self._index = self._new_index()

    @property
    def store_dtype(self) -> StoreDtype:
        return self.store.dtype

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
        elif self.kind == "ivfpq":
            # 8 dimensions per 1-byte sub-quantizer: 48 bytes per e5 vector, 64 per USE vector.
            quantizer = faiss.IndexFlatIP(self.dimension)
            base = faiss.IndexIVFPQ(quantizer, self.dimension, self.ivf_lists, self.dimension // 8, 8,
                                    faiss.METRIC_INNER_PRODUCT)
            base.nprobe = 32
        else:
            raise ValueError(f"unknown dense index kind {self.kind!r}; expected flat, hnsw, ivf or ivfpq")
        return faiss.IndexIDMap2(base)

    def __len__(self) -> int:
        return len(self.store)

    def __contains__(self, key: str) -> bool:
        return key in self.store

    @property
    def keys(self) -> list[str]:
        return self.store.keys

    def copy(self) -> "DenseIndex":
        """An independent copy: FAISS's own clone plus a copy of the vector store."""
        out = DenseIndex(self.dimension, self.kind, self.hnsw_m, self.ivf_lists, self.store_dtype)
        out._index = _faiss().clone_index(self._index)
        out.store = self.store.copy()
        out._tombstones = set(self._tombstones)
        return out

    def upsert(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Add records, replacing any with the same key."""
        vectors = self.store.check(vectors, len(keys))
        base = _faiss().downcast_index(self._index.index)
        if self.kind in ("ivf", "ivfpq") and not base.is_trained:
            if len(keys) < self.ivf_lists:
                raise ValueError(f"IVF needs at least {self.ivf_lists} vectors to train; use kind 'flat'")
            sample = vectors[np.random.default_rng(0).permutation(len(vectors))[: 64 * self.ivf_lists]]
            base.train(sample)
        labels, replaced = self.store.upsert(keys, vectors)
        self._forget(replaced)
        self._index.add_with_ids(vectors, labels)

    def remove(self, keys: Iterable[str]) -> int:
        labels = self.store.remove(keys)
        self._forget(labels)
        return len(labels)

    def _forget(self, labels: list[int]) -> None:
        if not labels:
            return
        if self.kind == "hnsw":
            self._tombstones.update(labels)
        else:
            self._index.remove_ids(np.asarray(labels, dtype=np.int64))

    def vectors(self, keys: Sequence[str]) -> np.ndarray:
        """Stored vectors of the given records as float32 (KeyError for unknown ones)."""
        return self.store.get(keys)

    def all_vectors(self) -> tuple[list[str], np.ndarray]:
        """(keys, float32 vectors) of every live record, in one consistent order."""
        keys = self.store.keys
        return keys, self.store.get(keys)

    def scores(self, query: np.ndarray, keys: Sequence[str]) -> np.ndarray:
        """Exact inner products of one query vector with the given records (the re-scoring copy)."""
        if not keys:
            return np.zeros(0, dtype=np.float32)
        return self.store.get(keys) @ np.asarray(query, dtype=np.float32).reshape(-1)

    def search(self, queries: np.ndarray, k: int, allowed: set[str] | None = None) -> list[list[tuple[str, float]]]:
        """Top-k (key, inner product) per query; `allowed` restricts the search to those keys."""
        queries = self.store.check(queries, len(queries))
        if not len(self) or k <= 0:
            return [[] for _ in range(len(queries))]
        if allowed is not None:
            allowed_keys = [key for key in allowed if key in self.store]
            if len(allowed_keys) <= EXACT_SUBSET_LIMIT:
                return self._exact_subset(queries, allowed_keys, k)
        faiss = _faiss()
        params = None
        if allowed is not None:
            ids = np.asarray([self.store.label(key) for key in allowed_keys], dtype=np.int64)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(ids))
        elif self._tombstones:
            ids = np.asarray(sorted(self._tombstones), dtype=np.int64)
            params = faiss.SearchParameters(sel=faiss.IDSelectorNot(faiss.IDSelectorBatch(ids)))
        fetch = min(k, len(self))
        scores, labels = self._index.search(queries, fetch, params=params)
        out = []
        for row_s, row_l in zip(scores, labels):
            hits = []
            for score, label in zip(row_s, row_l):
                key = self.store.key(int(label)) if label >= 0 else None
                if key is not None:
                    hits.append((key, float(score)))
            out.append(hits)
        return out

    def _exact_subset(self, queries: np.ndarray, keys: list[str], k: int) -> list[list[tuple[str, float]]]:
        if not keys:
            return [[] for _ in range(len(queries))]
        scores = queries @ self.store.get(keys).T
        out = []
        for row in scores:
            top = np.argsort(-row, kind="stable")[:k]
            out.append([(keys[i], float(row[i])) for i in top])
        return out

    # --- persistence -------------------------------------------------------------------------

    def save(self, directory: Path, name: str) -> list[str]:
        """Write `<name>.faiss`, `<name>.index.json` and the vector store atomically; returns the file names."""
        faiss = _faiss()
        atomic_write_bytes(directory / f"{name}.faiss", faiss.serialize_index(self._index).tobytes())
        meta = {"kind": self.kind, "dimension": self.dimension, "tombstones": sorted(self._tombstones),
                "ivf_lists": self.ivf_lists, "hnsw_m": self.hnsw_m}
        atomic_write_bytes(directory / f"{name}.index.json", json.dumps(meta).encode("utf-8"))
        return [f"{name}.faiss", f"{name}.index.json", *self.store.save(directory, name)]

    @classmethod
    def load(cls, directory: Path, name: str, dimension: int) -> "DenseIndex":
        faiss = _faiss()
        try:
            meta = json.loads((directory / f"{name}.index.json").read_text(encoding="utf-8"))
            index = faiss.deserialize_index(np.fromfile(directory / f"{name}.faiss", dtype=np.uint8))
        except (OSError, ValueError, RuntimeError) as exc:
            raise IndexCorruptError(f"cannot read dense index {name!r} in {directory}: {exc}") from exc
        if meta["dimension"] != dimension or index.d != dimension:
            raise IndexMismatchError(f"dense index {name!r} has dimension {index.d}, the encoder has {dimension}")
        store = VectorStore.load(directory, name, dimension)
        out = cls(dimension, meta["kind"], meta.get("hnsw_m", 32), meta.get("ivf_lists", 256), store.dtype)
        out.store = store
        out._index = index if isinstance(index, faiss.IndexIDMap2) else faiss.downcast_index(index)
        out._tombstones = set(meta["tombstones"])
        if out._index.ntotal != len(store) + len(out._tombstones):
            raise IndexCorruptError(f"dense index {name!r}: {out._index.ntotal} vectors but "
                                    f"{len(store)} ids; rebuild the index")
        return out
