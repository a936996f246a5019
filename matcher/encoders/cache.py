"""Embedding caches keyed by (encoder fingerprint, mode, text hash): on disk for the CLI and the
evaluation, in memory for the service's free-text queries.

Re-indexing unchanged records, or re-running an evaluation, then costs a lookup instead of a
model call. SQLite gives atomic writes and safe concurrent readers with no extra service. Both
are bounded where strangers decide what goes in: query vectors are kept for the most recently used
`max_queries` texts only. A cache is a cache: a damaged file is set aside with a warning and a
fresh one is used, never an error for the caller.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matcher.encoders.base import Encoder, EncoderWrapper

log = logging.getLogger(__name__)
MAX_QUERIES = 20_000
"""Query vectors kept on disk (about 40 MB for the two bundled encoders); the oldest used go first."""


def text_key(fingerprint: str, is_query: bool, text: str) -> str:
    """Cache key: the encoder's fingerprint (not just its id), the mode and the text."""
    mode = "q" if is_query else "d"
    return hashlib.sha256(f"{fingerprint}\x00{mode}\x00{text}".encode("utf-8")).hexdigest()


class EmbeddingCache:
    """A small key -> float32 vector store in one SQLite file: document vectors (bounded by the
    corpora indexed) and query vectors (bounded by `max_queries`, least recently used evicted)."""

    def __init__(self, path: Path, max_queries: int = MAX_QUERIES):
        self.path = Path(path)
        self.max_queries = max_queries
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._queries = 0
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError as exc:
            self._conn = self._set_aside(exc)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        try:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            conn.execute("PRAGMA journal_mode=WAL")
            # A cache can lose its last writes in a power cut without harm; skipping the fsync per
            # commit keeps a cache miss from costing more than the encoding it saves.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            conn.execute("CREATE TABLE IF NOT EXISTS queries (key TEXT PRIMARY KEY, vector BLOB NOT NULL, "
                         "used INTEGER NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS queries_used ON queries (used)")
            conn.commit()
            self._queries = int(conn.execute("SELECT COUNT(*) FROM queries").fetchone()[0])
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _set_aside(self, exc: Exception) -> sqlite3.Connection:
        """Move a damaged cache file out of the way and start an empty one (logged, not raised)."""
        aside = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
        log.warning("embedding cache %s is damaged (%s); moved to %s and starting an empty cache", self.path, exc,
                    aside.name)
        for suffix in ("", "-wal", "-shm"):
            part = Path(str(self.path) + suffix)
            if part.exists():
                part.replace(Path(str(aside) + suffix))
        return self._open()

    def _run(self, work):
        """Run `work(conn)` under the lock; a damaged file is set aside once and the work retried."""
        with self._lock:
            try:
                return work(self._conn)
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    return None  # another process holds the file: behave as a miss, do not wait
                try:
                    self._conn.close()
                except sqlite3.Error:
                    pass
                self._conn = self._set_aside(exc)
                return work(self._conn)

    def get_many(self, keys: Sequence[str], queries: bool = False) -> dict[str, np.ndarray]:
        table = "queries" if queries else "vectors"

        def work(conn: sqlite3.Connection) -> dict[str, np.ndarray]:
            found: dict[str, np.ndarray] = {}
            for start in range(0, len(keys), 500):
                chunk = list(keys[start:start + 500])
                marks = ",".join("?" * len(chunk))
                for key, blob in conn.execute(f"SELECT key, vector FROM {table} WHERE key IN ({marks})", chunk):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
            if queries and found:
                now = time.time_ns()
                conn.executemany("UPDATE queries SET used = ? WHERE key = ?", [(now, k) for k in found])
                conn.commit()
            return found

        return self._run(work) or {}

    def put_many(self, items: dict[str, np.ndarray], queries: bool = False) -> None:
        def work(conn: sqlite3.Connection) -> None:
            rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()]
            if not queries:
                conn.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)", rows)
            else:
                now = time.time_ns()
                conn.executemany("INSERT OR REPLACE INTO queries (key, vector, used) VALUES (?, ?, ?)",
                                 [(k, v, now) for k, v in rows])
                self._queries += len(rows)
                if self._queries > self.max_queries * 1.1:  # evict in batches, not on every insert
                    conn.execute("DELETE FROM queries WHERE key IN (SELECT key FROM queries ORDER BY used DESC "
                                 "LIMIT -1 OFFSET ?)", (self.max_queries,))
                    self._queries = int(conn.execute("SELECT COUNT(*) FROM queries").fetchone()[0])
            conn.commit()

        self._run(work)

    def __len__(self) -> int:
        return int(self._run(lambda conn: conn.execute(
            "SELECT (SELECT COUNT(*) FROM vectors) + (SELECT COUNT(*) FROM queries)").fetchone()[0]) or 0)


class CachedEncoder(EncoderWrapper):
    """Wraps an encoder; only texts never seen before reach the model. With `queries=False` only
    documents are cached on disk (the service: what strangers type is never written to disk)."""

    def __init__(self, inner: Encoder, cache: EmbeddingCache, queries: bool = True):
        super().__init__(inner)
        self.cache = cache
        self.queries = queries

    def _encode(self, texts: list[str], is_query: bool, show_progress: bool | None) -> np.ndarray:
        if is_query and not self.queries:
            return self.inner._encode(texts, is_query, show_progress)
        fingerprint = self.fingerprint
        keys = [text_key(fingerprint, is_query, t) for t in texts]
        found = self.cache.get_many(keys, queries=is_query)
        missing: dict[str, str] = {}  # key -> text, each distinct text encoded once
        for key, text in zip(keys, texts):
            if key not in found:
                missing.setdefault(key, text)
        if missing:
            fresh = self.inner._encode(list(missing.values()), is_query, show_progress)
            new = dict(zip(missing, fresh))
            self.cache.put_many(new, queries=is_query)
            found.update(new)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)


class QueryMemo(EncoderWrapper):
    """Keeps the vectors of the last `max_entries` free-text queries in memory (least recently used
    evicted): repeated searches skip the model, and what anonymous users type can never grow
    without bound. Documents pass through (their vectors are stored with the records)."""

    def __init__(self, inner: Encoder, max_entries: int):
        super().__init__(inner)
        self.max_entries = max_entries
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._memo)

    def _encode(self, texts: list[str], is_query: bool, show_progress: bool | None) -> np.ndarray:
        if not is_query or self.max_entries <= 0:
            return self.inner._encode(texts, is_query, show_progress)
        with self._lock:
            found = {t: self._memo[t] for t in texts if t in self._memo}
            for text in found:
                self._memo.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = self.inner._encode(missing, True, show_progress)
            with self._lock:
                for text, vector in zip(missing, fresh):
                    self._memo[text] = found[text] = vector
                while len(self._memo) > self.max_entries:
                    self._memo.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)
