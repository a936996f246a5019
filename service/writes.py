"""The one write path for challenges and innovators: record, vectors and change log, atomically.

1. read the current row and its version; build the new record from it (validation, merge);
2. encode it (only when its searchable text changed), outside any transaction;
3. in one serialised write transaction: re-check the version (a concurrent writer that committed
   in between makes us start again from 1, so its change is merged, never overwritten), write the
   row, its vectors and one change-log entry;
4. wake this process's index follower and wait until it applied the change (read-your-writes);
   every other process picks it up from the change log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from matcher.engine import Side

from service.changes import log_change, store_vectors
from service.db import Tombstone
from service.errors import ServiceError, not_found, precondition_failed, taken
from service.indexing import ROWS, IndexService, doc_of

MAX_ATTEMPTS = 8

Builder = Callable[[dict[str, Any] | None], dict[str, Any]]
"""Given the stored record data (None when creating), return the new record data (validated)."""


def save_record(index: IndexService, side: Side, record_id: str, build: Builder, *, create: bool,
                columns: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                after: Callable[[Any, dict[str, Any]], None] | None = None,
                expected_version: int | None = None) -> tuple[dict[str, Any], int]:
    """Create or update one record; returns the stored data and its version. `columns` maps the
    data to extra row columns (status, agency...); `after(session, data)` runs inside the same
    transaction. `expected_version` (a client's If-Match) makes the update conditional: a 412 when
    the stored version is another, instead of merging onto it."""
    model = ROWS[side]
    kind = side[:-1]
    for _attempt in range(MAX_ATTEMPTS):
        with index.sessions() as session:
            row = session.get(model, record_id)
            if create and (row is not None or session.get(Tombstone, (side, record_id)) is not None):
                raise taken(kind, record_id)
            if not create and row is None:
                raise not_found(kind, record_id)
            version = row.version if row is not None else 0
            if expected_version is not None and version != expected_version:
                raise precondition_failed(kind, record_id, expected_version, version)
            old = dict(row.data) if row is not None else None
        data = build(old)
        new_doc = doc_of(side, data)
        text_changed = old is None or doc_of(side, old).text != new_doc.text
        encoded = index.encode([new_doc]) if text_changed else None
        extra = columns(data) if columns else {}
        with index.sessions.write() as session:
            current = session.get(model, record_id)
            if create and (current is not None or session.get(Tombstone, (side, record_id)) is not None):
                raise taken(kind, record_id)
            if not create and (current is None or current.version != version):
                if current is None:
                    raise not_found(kind, record_id)
                if expected_version is not None:
                    raise precondition_failed(kind, record_id, expected_version, current.version)
                continue  # someone else committed first: merge onto their version
            now = datetime.now(timezone.utc)
            if current is None:
                current = model(id=record_id, data=data, version=1, created_at=_stamp(data, "created_at", now),
                                updated_at=_stamp(data, "updated_at", now), **extra)
                session.add(current)
            else:
                current.data, current.version, current.updated_at = data, version + 1, _stamp(data, "updated_at", now)
                for name, value in extra.items():
                    setattr(current, name, value)
            session.flush()
            if encoded is not None:
                store_vectors(session, side, encoded, index.fingerprints())
            if after is not None:
                after(session, data)
            seq = log_change(session, side, record_id, "upsert")
            stored_version = current.version
        index.notify_write(seq)
        return data, stored_version
    raise ServiceError(409, "conflict", f"{kind} {record_id!r} is being changed by others; try again", "id")


def delete_record(index: IndexService, side: Side, record_id: str,
                  before: Callable[[Any], None] | None = None, expected_version: int | None = None,
                  owner: str | None = None) -> None:
    """Delete one record (and its vectors) with a change-log entry and a tombstone (the id is never
    given out again, so no history can attach to a newcomer), in one transaction; conditional on
    `expected_version` like save_record."""
    with index.sessions.write() as session:
        row = session.get(ROWS[side], record_id)
        if row is None:
            raise not_found(side[:-1], record_id)
        if expected_version is not None and row.version != expected_version:
            raise precondition_failed(side[:-1], record_id, expected_version, row.version)
        if before is not None:
            before(session)
        session.delete(row)
        session.add(Tombstone(side=side, record_id=record_id, owner=owner, deleted_at=datetime.now(timezone.utc)))
        session.flush()
        seq = log_change(session, side, record_id, "delete")
    index.notify_write(seq)


def _stamp(data: dict[str, Any], name: str, default: datetime) -> datetime:
    value = data.get(name)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        except ValueError:
            return default
    return default
