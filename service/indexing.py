"""This process's indexes as a view of the database: snapshot + change log, applied in the background.

The database holds the records, their vectors and an ordered change log. Each serving process
(any number of workers and replicas) keeps its own in-memory collections and one follower thread:

- **start-up** (in the background, so `/v1/health` answers at once): load the newest valid
  snapshot from disk (a damaged one is skipped with a log line) or, without one, build the
  collections from the stored vectors; records without vectors (seeded, or from another encoder
  version) are encoded first by whichever process holds the `encode` lease, in committed batches,
  so the work resumes after a crash; then replay the change log from the snapshot's sequence;
- **steady state**: poll the change log every `poll_interval` seconds (a local write wakes the
  thread at once) and apply each change in O(changed records), reading the record and its stored
  vectors, never encoding;
- **snapshots**: every `snapshot_interval` seconds when something changed, and at shutdown, the
  collections are written to `snapshots/<seq>/` (files first, `SNAPSHOT.json` last, then an atomic
  rename), while searches go on.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select

from matcher.collection import Collection, EncodedDocs, IndexDoc, encode_docs
from matcher.documents import challenge_doc, innovator_doc
from matcher.engine import SIDES, MatchEngine, Side
from matcher.index.manifest import IndexError_, atomic_write_bytes
from matcher.records import Challenge, Innovator

from service.changes import Sessions, changes_after, latest_seq, load_vectors, store_vectors
from service.config import ServiceSettings
from service.db import PG_CONNECT_TIMEOUT, ChallengeRow, InnovatorRow, Lease, is_outage, outage_reason

log = logging.getLogger(__name__)

ROWS = {"challenges": ChallengeRow, "innovators": InnovatorRow}
SNAPSHOT_FILE = "SNAPSHOT.json"
KEEP_SNAPSHOTS = 2
ENCODE_BATCH = 64
LOAD_BATCH = 2000
LEASE_SECONDS = 60
PROGRESS_EVERY = 5.0


def doc_of(side: Side, data: dict[str, Any]) -> IndexDoc:
    """The index document of a stored record (one definition for every process)."""
    return challenge_doc(Challenge.model_validate(data)) if side == "challenges" else innovator_doc(Innovator.model_validate(data))


class Stopped(Exception):
    """Raised inside the background work when the process is shutting down."""


class IndexService:
    def __init__(self, settings: ServiceSettings, sessions: Sessions):
        self.settings = settings
        self.sessions = sessions
        # document vectors are cached on disk (a rebuild after a restart or an encoder change costs a
        # lookup); free-text queries only in a bounded memory LRU, never on disk
        self.engine = MatchEngine(cache_dir=settings.cache_dir, dense_kind=settings.dense_kind,
                                  query_memo=max(1, settings.query_cache_entries))
        self.engine.apply_floor = settings.relevance_floor
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.status = "starting"
        self.progress: dict[str, Any] = {"phase": "starting", "indexed": 0, "total": 0}
        self.report: dict[str, str] = {}
        self.last_seq = 0
        self._snapshot_seq = 0
        self._last_snapshot_at = time.monotonic()
        self._encoders_lock = threading.Lock()
        self._applied = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_progress_log = 0.0
        self._rebuilds: list[tuple[threading.Event, list[BaseException]]] = []
        self._writer: threading.Thread | None = None
        self._outage_since: float | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.status == "ready"

    def start(self) -> None:
        """Start the follower thread (and, on PostgreSQL, a LISTEN thread that wakes it); returns at once."""
        self._thread = threading.Thread(target=self._run, name="index-follower", daemon=True)
        self._thread.start()
        if self.sessions.engine.dialect.name == "postgresql":
            threading.Thread(target=self._listen, name="index-listen", daemon=True).start()

    def _listen(self) -> None:
        """Wake the follower on every NOTIFY of a committed change; reconnect after errors (the
        poll still catches up, so a lost notification only costs one poll interval)."""
        import psycopg

        from service.changes import NOTIFY_CHANNEL

        url = self.sessions.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        lost = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True, connect_timeout=PG_CONNECT_TIMEOUT) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    lost = False
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self._wake.set()
            except psycopg.Error as exc:
                if not lost:  # once per outage, not once per retry
                    log.warning("LISTEN connection lost (%s); retrying every second", outage_reason(exc))
                lost = True
                self._stop.wait(1.0)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop following and write a final snapshot if anything changed since the last one."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._writer is not None:
            self._writer.join(timeout)
        if self.ready and self.last_seq > self._snapshot_seq:
            try:
                self.snapshot()
            except OSError as exc:  # a full disk must not turn a clean shutdown into a crash
                log.warning("final snapshot failed: %s", exc)

    def _run(self) -> None:
        if not self._start_up():
            return
        while not self._stop.is_set():
            try:
                if self._rebuilds:
                    waiting, self._rebuilds = self._rebuilds, []
                    try:
                        self._build_from_database()
                    except Exception as exc:  # the callers get an answer either way: the error is theirs too
                        for done, outcome in waiting:
                            outcome.append(exc)
                            done.set()
                        raise
                    for done, _outcome in waiting:
                        done.set()
                applied = self.apply_pending()
                self._database_back()
                if self.settings.snapshot_interval > 0 and self.last_seq > self._snapshot_seq and \
                        time.monotonic() - self._last_snapshot_at >= self.settings.snapshot_interval:
                    self.snapshot(background=True)
            except Stopped:
                return
            except Exception as exc:  # a database hiccup: log, wait, retry (the change log is not lost)
                self._failed("applying changes", exc)
                applied = 0
                self._stop.wait(1.0)
            if not applied:
                self._wake.wait(self.settings.poll_interval)
                self._wake.clear()

    def _start_up(self) -> bool:
        """Bootstrap, retrying every second while the database is unreachable; False if stopped or
        failed for another reason (the status says why the process is not ready)."""
        while not self._stop.is_set():
            try:
                self._bootstrap()
                self._database_back()
                return True
            except Stopped:
                return False
            except Exception as exc:
                if not is_outage(exc):  # keep the process alive and say why it is not ready
                    log.exception("index start-up failed")
                    self.status = "failed"
                    return False
                self._failed("index start-up", exc)
                self._stop.wait(1.0)
        return False

    def _failed(self, what: str, exc: Exception) -> None:
        """One warning when the database becomes unreachable (not one traceback per second);
        a traceback for anything else."""
        if not is_outage(exc):
            log.exception("%s failed; retrying", what)
        elif self._outage_since is None:
            self._outage_since = time.monotonic()
            log.warning("%s: database unavailable (%s); retrying every second", what, outage_reason(exc))

    def _database_back(self) -> None:
        if self._outage_since is not None:
            log.warning("database reachable again after %.1f s; following the change log",
                        time.monotonic() - self._outage_since)
            self._outage_since = None

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise Stopped()

    def _set_progress(self, phase: str, indexed: int, total: int, force: bool = False) -> None:
        self.progress = {"phase": phase, "indexed": indexed, "total": total}
        now = time.monotonic()
        if force or now - self._last_progress_log >= PROGRESS_EVERY:
            self._last_progress_log = now
            log.info("index %s: %d / %d", phase, indexed, total)

    # --- encoders ----------------------------------------------------------------------------

    def encoders(self):
        with self._encoders_lock:
            return self.engine.encoders

    def fingerprints(self) -> dict[str, str]:
        return {eid: enc.fingerprint for eid, enc in self.encoders().items()}

    def encode(self, docs: Sequence[IndexDoc]) -> EncodedDocs:
        """Both modes of every encoder for records about to be written (outside any transaction)."""
        return encode_docs(docs, self.encoders())

    # --- start-up ----------------------------------------------------------------------------

    def _bootstrap(self) -> None:
        from service.seed import ensure_accounts, seed_demo

        self._set_progress("seeding the bundled corpus", 0, 0, force=True)
        with self.sessions.write() as session:
            added = seed_demo(session) if self.settings.seed_demo else 0
            created = ensure_accounts(session, self.settings)
        if added:
            log.info("seeded %d bundled records", added)
        if created:
            log.info("created accounts: %s", ", ".join(created))
        self._set_progress("loading encoders", 0, 0, force=True)
        self.encoders()
        self._check_stop()
        cleaned = clean_stale_temp(self._snapshot_root())
        if cleaned:
            log.warning("removed %d snapshot temp directories left by killed processes", len(cleaned))
            self.report["cleaned"] = f"{len(cleaned)} stale snapshot temp directories"
        loaded = self._load_newest_snapshot()
        if loaded is None:
            self._build_from_database()
        self._check_stop()
        self._set_progress("replaying changes", 0, 0, force=True)
        while self.apply_pending():
            self._check_stop()
        if loaded is not None and not self._matches_database():
            log.warning("index after snapshot %s and replay disagrees with the database; rebuilding", loaded)
            self.report["start"] = f"rebuilt (snapshot {loaded} disagreed with the database)"
            self._build_from_database()
            while self.apply_pending():
                self._check_stop()
        self.engine.refresh_hubness()
        self.engine.warm_up()
        self.status = "ready"
        self._set_progress("ready", sum(self.sizes().values()), sum(self.sizes().values()), force=True)

    def _matches_database(self) -> bool:
        """Same ids on both sides as the database (a cheap guard against a snapshot that is
        internally valid but not what its sequence number claims)."""
        with self.sessions() as session:
            for side in SIDES:
                stored = set(session.scalars(select(ROWS[side].id)))
                if stored != set(self.engine.collection(side).docs):
                    return False
        return True

    def _snapshot_root(self) -> Path:
        return self.settings.data_dir / "snapshots"

    def _load_newest_snapshot(self) -> int | None:
        root = self._snapshot_root()
        candidates = sorted((p for p in root.iterdir() if p.is_dir() and p.name.isdigit()), reverse=True) \
            if root.exists() else []
        for path in candidates:
            try:
                meta = json.loads((path / SNAPSHOT_FILE).read_text(encoding="utf-8"))
                collections = {side: Collection.load(path / side, self.encoders()) for side in SIDES}
            except (OSError, ValueError, KeyError, IndexError_) as exc:
                log.warning("skipping snapshot %s: %s", path, exc)
                self.report[f"skipped {path.name}"] = str(exc)
                continue
            for side, collection in collections.items():
                self.engine.set_collection(side, collection)
            self.last_seq = self._snapshot_seq = int(meta["seq"])
            self.report["start"] = f"snapshot {path.name}"
            log.info("loaded snapshot %s (%s)", path.name, self.sizes())
            return self.last_seq
        return None

    def _build_from_database(self) -> None:
        with self.sessions() as session:
            seq = latest_seq(session)  # read first: anything written during the build is replayed
            ids = {side: list(session.scalars(select(ROWS[side].id).order_by(ROWS[side].id))) for side in SIDES}
        total = sum(len(v) for v in ids.values())
        self._ensure_vectors(ids, total)
        done = 0
        for side in SIDES:
            docs: list[IndexDoc] = []
            parts: list[EncodedDocs] = []
            for start in range(0, len(ids[side]), LOAD_BATCH):
                self._check_stop()
                batch_docs, batch_encoded = self._read_records(side, ids[side][start:start + LOAD_BATCH])
                docs += batch_docs
                parts.append(batch_encoded)
                done += len(batch_docs)
                self._set_progress("loading vectors", done, total)
            encoded = _concat(parts, list(self.encoders()))
            collection = Collection.build(side, docs, self.encoders(), self.settings.dense_kind, encoded)
            self.engine.set_collection(side, collection)
        self.last_seq = seq
        self.report["start"] = "built from the database"

    def _read_records(self, side: Side, record_ids: Sequence[str]) -> tuple[list[IndexDoc], EncodedDocs]:
        """Docs and stored vectors of these records; any still without vectors are encoded here."""
        with self.sessions() as session:
            rows = session.scalars(select(ROWS[side]).where(ROWS[side].id.in_(list(record_ids))))
            docs = {row.id: doc_of(side, row.data) for row in rows}
            encoders = self.encoders()
            encoded, missing = load_vectors(session, side, list(docs), self.fingerprints(),
                                            {eid: e.dimension for eid, e in encoders.items()})
        if missing:
            encoded = _concat([encoded, encode_docs([docs[m] for m in missing], encoders)], list(encoders))
        ordered = [docs[k] for k in encoded.keys]
        return ordered, encoded

    def _ensure_vectors(self, ids: dict[str, list[str]], total: int) -> None:
        """Encode and store the vectors of records that have none for the current encoders.

        One process at a time does it (the `encode` lease); the others wait for the vectors.
        Batches are committed as they are done, so a restart resumes where it stopped."""
        encoders = self.encoders()
        dims = {eid: e.dimension for eid, e in encoders.items()}
        fingerprints = self.fingerprints()
        missing: dict[str, list[str]] = {}
        with self.sessions() as session:
            for side in SIDES:
                missing[side] = []
                for start in range(0, len(ids[side]), LOAD_BATCH):
                    _found, absent = load_vectors(session, side, ids[side][start:start + LOAD_BATCH], fingerprints, dims)
                    missing[side] += absent
        todo = sum(len(v) for v in missing.values())
        if not todo:
            return
        log.info("%d of %d records have no stored vectors for %s; encoding them", todo, total, list(fingerprints.values()))
        done = 0
        for side in SIDES:
            pending = list(missing[side])
            while pending:
                self._check_stop()
                if not self._take_lease("encode"):
                    self._set_progress("waiting for another process to encode", done, todo)
                    self._stop.wait(1.0)
                    with self.sessions() as session:
                        _found, pending = load_vectors(session, side, pending, fingerprints, dims)
                    continue
                batch, pending = pending[:ENCODE_BATCH], pending[ENCODE_BATCH:]
                with self.sessions() as session:
                    rows = session.scalars(select(ROWS[side]).where(ROWS[side].id.in_(batch)))
                    docs = [doc_of(side, row.data) for row in rows]
                encoded = encode_docs(docs, encoders)
                with self.sessions.write() as session:
                    store_vectors(session, side, encoded, fingerprints)
                done += len(batch)
                self._set_progress("encoding", done, todo)
        self._release_lease("encode")

    def _take_lease(self, name: str) -> bool:
        now = datetime.now(timezone.utc)
        with self.sessions.write() as session:
            lease = session.get(Lease, name)
            if lease is not None and lease.holder != self.holder:
                expires = lease.expires_at if lease.expires_at.tzinfo else lease.expires_at.replace(tzinfo=timezone.utc)
                if expires > now:
                    return False
            if lease is None:
                session.add(Lease(name=name, holder=self.holder, expires_at=now + timedelta(seconds=LEASE_SECONDS)))
            else:
                lease.holder, lease.expires_at = self.holder, now + timedelta(seconds=LEASE_SECONDS)
            return True

    def _release_lease(self, name: str) -> None:
        with self.sessions.write() as session:
            lease = session.get(Lease, name)
            if lease is not None and lease.holder == self.holder:
                session.delete(lease)

    # --- following the change log ------------------------------------------------------------

    def apply_pending(self, limit: int = 1000) -> int:
        """Apply the next changes after `last_seq`; returns how many were applied."""
        with self.sessions() as session:
            changes = changes_after(session, self.last_seq, limit)
        if not changes:
            return 0
        for side in SIDES:
            touched = list(dict.fromkeys(c.record_id for c in changes if c.side == side))
            if not touched:
                continue
            docs, encoded = self._read_records(side, touched)
            present = {d.key for d in docs}
            gone = [rid for rid in touched if rid not in present]
            collection = self.engine.collection(side)
            if docs:
                collection.upsert(docs, encoded)
            if gone:
                collection.remove(gone)
        with self._applied:
            self.last_seq = int(changes[-1].seq)
            self._applied.notify_all()
        return len(changes)

    def notify_write(self, seq: int, timeout: float = 5.0) -> bool:
        """Wake the follower after a local write and wait until it has applied `seq` (read-your-
        writes in this process). False if the index is still starting or the wait timed out."""
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._applied:
            while self.last_seq < seq:
                left = deadline - time.monotonic()
                if left <= 0 or not self.ready:
                    return False
                self._applied.wait(min(left, 0.05))
                self._wake.set()
        return True

    # --- snapshots ---------------------------------------------------------------------------

    def snapshot(self, background: bool = False) -> Path | None:
        """Write the collections at `last_seq` atomically; keeps the newest KEEP_SNAPSHOTS.

        The follower makes a detached copy of both collections (one short step, consistent at
        `last_seq` because only this thread applies changes); the files are written from the copy,
        in a separate thread when `background`, so neither searches nor the change feed wait for
        the disk. Also refreshes the CSLS references (the other side's query vectors), which
        drift as records arrive; new documents get their r(d) at once, old ones here."""
        if background and self._writer is not None and self._writer.is_alive():
            return None  # the previous snapshot is still being written; try at the next interval
        self.engine.refresh_hubness()
        seq = self.last_seq
        root = self._snapshot_root()
        final = root / f"{seq:012d}"
        self._snapshot_seq, self._last_snapshot_at = seq, time.monotonic()
        if final.exists():
            return final
        copies = {side: self.engine.collection(side).detached_copy() for side in SIDES}
        if background:
            self._writer = threading.Thread(target=self._write_snapshot, args=(copies, seq), name="snapshot-writer",
                                            daemon=True)
            self._writer.start()
            return final
        return self._write_snapshot(copies, seq)

    def _write_snapshot(self, copies: dict[str, Collection], seq: int) -> Path:
        root = self._snapshot_root()
        final = root / f"{seq:012d}"
        tmp = root / temp_name(seq)
        shutil.rmtree(tmp, ignore_errors=True)
        started = time.perf_counter()
        manifests = {side: copies[side].save(tmp / side, last_seq=seq) for side in SIDES}
        meta = {"seq": seq, "written_at": datetime.now(timezone.utc).isoformat(), "holder": self.holder,
                "counts": {side: m["count"] for side, m in manifests.items()}, "encoders": self.fingerprints()}
        atomic_write_bytes(tmp / SNAPSHOT_FILE, json.dumps(meta, indent=2).encode("utf-8"))
        try:
            os.rename(tmp, final)
        except OSError:  # another worker on this data dir wrote the same sequence first
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("snapshot %s written in %.1f s", final.name, time.perf_counter() - started)
        for old in sorted((p for p in root.iterdir() if p.is_dir() and p.name.isdigit()), reverse=True)[KEEP_SNAPSHOTS:]:
            shutil.rmtree(old, ignore_errors=True)
        return final

    # --- administration ----------------------------------------------------------------------

    def reindex(self, timeout: float = 600.0) -> dict[str, int]:
        """Rebuild both collections from the database (stored vectors; missing ones are encoded).

        The follower thread does it (it is the only writer of the in-memory collections); this
        waits until it is done."""
        done = threading.Event()
        outcome: list[BaseException] = []
        self._rebuilds.append((done, outcome))
        self._wake.set()
        done.wait(timeout)
        if outcome:  # e.g. the database went away during the rebuild: the request answers 503
            raise outcome[0]
        return self.sizes()

    def sizes(self) -> dict[str, int]:
        return {side: len(self.engine.collection(side)) for side in SIDES} if self.engine._encoders else \
            {side: 0 for side in SIDES}


TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 3600.0


def temp_name(seq: int) -> str:
    """A snapshot's directory while it is written: `.tmp-<seq>-<pid>-<thread>` (the pid tells a
    dead writer's leftovers from a live worker's work in progress on the same data directory)."""
    return f"{TEMP_PREFIX}{seq:012d}-{os.getpid()}-{threading.get_ident()}"


def clean_stale_temp(root: Path, max_age: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Remove snapshot temp directories whose writer is gone (killed mid-write: its pid no longer
    runs) or that are older than `max_age` seconds (a pid reused since); returns what was removed."""
    removed: list[Path] = []
    if not root.exists():
        return removed
    now = time.time()
    for path in root.iterdir():
        if not path.name.startswith(TEMP_PREFIX):
            continue
        parts = path.name[len(TEMP_PREFIX):].split("-")
        pid = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
        try:
            old = now - path.stat().st_mtime > max_age
        except FileNotFoundError:
            continue  # its writer renamed or removed it meanwhile
        if pid is None or old or not _running(pid):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _concat(parts: Sequence[EncodedDocs], encoder_ids: Sequence[str]) -> EncodedDocs:
    import numpy as np

    parts = [p for p in parts if p.keys]
    if not parts:
        return EncodedDocs([], {e: np.zeros((0, 1), dtype=np.float32) for e in encoder_ids},
                           {e: np.zeros((0, 1), dtype=np.float32) for e in encoder_ids})
    if len(parts) == 1:
        return parts[0]
    return EncodedDocs([k for p in parts for k in p.keys],
                       {e: np.concatenate([p.documents[e] for p in parts]) for e in encoder_ids},
                       {e: np.concatenate([p.queries[e] for p in parts]) for e in encoder_ids})
