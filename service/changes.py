"""Stored vectors and the change log: written in the same transaction as the record they describe.

The database is the one place state lives. A write stores the record, its vectors (document and
query mode of every encoder, keyed by the encoder's fingerprint) and one change-log row; every
serving process then applies the change to its own in-memory indexes without encoding anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.db import Change, RecordVector, session_factory, writer

if TYPE_CHECKING:  # the index side; processes that only use Sessions (the e-mail sender) skip loading it
    from matcher.collection import EncodedDocs

MODES = {"d": "documents", "q": "queries"}
NOTIFY_CHANNEL = "bic_changes"
"""PostgreSQL LISTEN/NOTIFY channel: a write wakes every follower at once instead of at its next poll."""


@dataclass(frozen=True)
class Sessions:
    """Two session factories on one engine: reads (plain transactions) and writes (serialised)."""

    engine: Engine
    read: sessionmaker
    write_factory: sessionmaker

    @classmethod
    def for_engine(cls, engine: Engine) -> "Sessions":
        return cls(engine, session_factory(engine), session_factory(writer(engine)))

    def __call__(self) -> Session:
        return self.read()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any error."""
        with self.write_factory() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


def store_vectors(session: Session, side: str, encoded: EncodedDocs, fingerprints: Mapping[str, str]) -> None:
    """Replace the stored vectors of these records (every encoder, both modes)."""
    if not encoded.keys:
        return
    session.execute(delete(RecordVector).where(RecordVector.side == side, RecordVector.record_id.in_(encoded.keys)))
    for mode, attribute in MODES.items():
        for encoder_id, vectors in getattr(encoded, attribute).items():
            fingerprint = fingerprints[encoder_id]
            for key, vector in zip(encoded.keys, vectors):
                session.add(RecordVector(side=side, record_id=key, encoder=fingerprint, mode=mode,
                                         vector=np.asarray(vector, dtype=np.float32).tobytes()))


def log_change(session: Session, side: str, record_id: str, op: str) -> int:
    """Append one change; returns its sequence number (the transaction is the caller's)."""
    if op not in ("upsert", "delete"):
        raise ValueError(f"op must be upsert or delete, not {op!r}")
    if op == "delete":
        session.execute(delete(RecordVector).where(RecordVector.side == side, RecordVector.record_id == record_id))
    change = Change(side=side, record_id=record_id, op=op)
    session.add(change)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":  # delivered at commit; followers wake at once
        session.execute(text("SELECT pg_notify(:channel, :seq)"), {"channel": NOTIFY_CHANNEL, "seq": str(change.seq)})
    return int(change.seq)


def latest_seq(session: Session) -> int:
    return int(session.scalar(select(func.max(Change.seq))) or 0)


def changes_after(session: Session, seq: int, limit: int = 1000) -> list[Change]:
    return list(session.scalars(select(Change).where(Change.seq > seq).order_by(Change.seq).limit(limit)))


def load_vectors(session: Session, side: str, record_ids: Sequence[str], fingerprints: Mapping[str, str],
                 dimensions: Mapping[str, int]) -> tuple[EncodedDocs, list[str]]:
    """Stored vectors of these records for these encoders: (found, ids with something missing)."""
    by_fingerprint = {fp: eid for eid, fp in fingerprints.items()}
    found: dict[tuple[str, str, str], bytes] = {}
    for start in range(0, len(record_ids), 500):
        chunk = list(record_ids[start:start + 500])
        rows = session.execute(select(RecordVector.record_id, RecordVector.encoder, RecordVector.mode, RecordVector.vector)
                               .where(RecordVector.side == side, RecordVector.record_id.in_(chunk),
                                      RecordVector.encoder.in_(list(by_fingerprint))))
        for record_id, fingerprint, mode, blob in rows:
            found[(record_id, by_fingerprint[fingerprint], mode)] = blob
    complete = [rid for rid in record_ids
                if all((rid, eid, mode) in found for eid in fingerprints for mode in MODES)]
    complete_set = set(complete)
    missing = [rid for rid in record_ids if rid not in complete_set]
    from matcher.collection import EncodedDocs

    encoded = EncodedDocs(complete, {}, {})
    for mode, attribute in MODES.items():
        for eid in fingerprints:
            matrix = np.empty((len(complete), dimensions[eid]), dtype=np.float32)
            for i, rid in enumerate(complete):
                matrix[i] = np.frombuffer(found[(rid, eid, mode)], dtype=np.float32)
            getattr(encoded, attribute)[eid] = matrix
    return encoded, missing
