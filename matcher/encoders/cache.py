"""On-disk embedding cache keyed by (encoder fingerprint, mode, text hash).

Re-indexing unchanged records, or re-running an evaluation, then costs a lookup instead of a
model call. SQLite gives atomic writes and safe concurrent readers with no extra service.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matcher.encoders.base import Encoder, EncoderWrapper


def text_key(fingerprint: str, is_query: bool, text: str) -> str:
    """Cache key: the encoder's fingerprint (not just its id), the mode and the text."""
    mode = "q" if is_query else "d"
    return hashlib.sha256(f"{fingerprint}\x00{mode}\x00{text}".encode("utf-8")).hexdigest()


class EmbeddingCache:
    """A small key -> float32 vector store in one SQLite file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # A cache can lose its last writes in a power cut without harm; skipping the fsync per
        # commit keeps a cache miss from costing more than the encoding it saves.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self._conn.commit()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start:start + 500])
                marks = ",".join("?" * len(chunk))
                for key, blob in self._conn.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )
            self._conn.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])


class CachedEncoder(EncoderWrapper):
    """Wraps an encoder; only texts never seen before reach the model."""

    def __init__(self, inner: Encoder, cache: EmbeddingCache):
        super().__init__(inner)
        self.cache = cache

    def _encode(self, texts: list[str], is_query: bool, show_progress: bool | None) -> np.ndarray:
        fingerprint = self.fingerprint
        keys = [text_key(fingerprint, is_query, t) for t in texts]
        found = self.cache.get_many(keys)
        missing: dict[str, str] = {}  # key -> text, each distinct text encoded once
        for key, text in zip(keys, texts):
            if key not in found:
                missing.setdefault(key, text)
        if missing:
            fresh = self.inner._encode(list(missing.values()), is_query, show_progress)
            new = dict(zip(missing, fresh))
            self.cache.put_many(new)
            found.update(new)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)
