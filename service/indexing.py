"""Keeps the FAISS/BM25 indexes in step with the database.

The database is the source of truth. Every write commits to the database first, then updates
the in-memory collections (under their lock, so readers never see half an update) and persists
them. On start the persisted indexes are checked against the database (record count, encoder
ids, fingerprint of ids, texts and facets) and rebuilt from it when missing, stale or damaged;
the embedding cache makes a rebuild cheap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from matcher.collection import Collection, IndexDoc, fingerprint_docs
from matcher.documents import challenge_doc, innovator_doc
from matcher.engine import SIDES, MatchEngine, Side
from matcher.index.manifest import IndexError_
from matcher.records import Challenge, Innovator

from service.config import ServiceSettings
from service.db import ChallengeRow, InnovatorRow

log = logging.getLogger(__name__)


def docs_from_db(session: Session, side: Side) -> list[IndexDoc]:
    if side == "challenges":
        return [challenge_doc(Challenge.model_validate(row.data)) for row in session.scalars(select(ChallengeRow))]
    return [innovator_doc(Innovator.model_validate(row.data)) for row in session.scalars(select(InnovatorRow))]


class IndexService:
    def __init__(self, settings: ServiceSettings, sessions: sessionmaker):
        self.settings = settings
        self.sessions = sessions
        self.engine = MatchEngine(cache_dir=settings.cache_dir, dense_kind=settings.dense_kind)
        self._write_lock = threading.Lock()
        self.ready = False

    def sync(self) -> dict[str, str]:
        """Load each side from disk if it matches the database, else rebuild it. Returns what happened."""
        report = {}
        with self.sessions() as session:
            for side in SIDES:
                docs = docs_from_db(session, side)
                report[side] = self._load_or_rebuild(side, docs)
        self.ready = True
        return report

    def _load_or_rebuild(self, side: Side, docs: list[IndexDoc]) -> str:
        path = self.settings.index_dir / side
        reason = "missing"
        if (path / "manifest.json").exists():
            try:
                loaded = Collection.load(path, self.engine.encoders)
                if len(loaded) == len(docs) and loaded.fingerprint() == fingerprint_docs(docs):
                    self.engine.collections[side] = loaded
                    return "loaded"
                reason = "stale"
            except IndexError_ as exc:
                reason = f"damaged ({exc})"
        log.info("rebuilding %s index: %s", side, reason)
        self._rebuild(side, docs)
        return f"rebuilt ({reason})"

    def _rebuild(self, side: Side, docs: list[IndexDoc]) -> None:
        fresh = Collection.for_encoders(self.engine.encoders, dense_kind=self.settings.dense_kind, name=side)
        fresh.upsert(docs, self.engine.encoders)
        self.engine.warm_queries(docs)  # stored records are queried later: cache their query form
        fresh.save(self.settings.index_dir / side)
        self.engine.collections[side] = fresh  # one reference swap: readers see old or new, never half

    def reindex(self) -> dict[str, int]:
        with self._write_lock, self.sessions() as session:
            out = {}
            for side in SIDES:
                docs = docs_from_db(session, side)
                self._rebuild(side, docs)
                out[side] = len(docs)
            return out

    def upsert(self, side: Side, docs: Sequence[IndexDoc]) -> None:
        with self._write_lock:
            self.engine.upsert(side, docs)
            self.engine.collection(side).save(self.settings.index_dir / side)

    def remove(self, side: Side, keys: Sequence[str]) -> None:
        with self._write_lock:
            self.engine.remove(side, keys)
            self.engine.collection(side).save(self.settings.index_dir / side)

    def sizes(self) -> dict[str, int]:
        return {side: len(self.engine.collection(side)) for side in SIDES}
