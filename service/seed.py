"""First-start seeding: the bundled demo corpus into an empty database, and a bootstrap admin key."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.corpora import load_demo

from service.auth import create_key, hash_key
from service.changes import log_change
from service.db import Agency, ApiKey, ChallengeRow, InnovatorRow


def agency_id_for(name: str) -> str:
    """Stable ASCII id for an agency name (Thai names have no natural ASCII slug)."""
    return "ag-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]


def seed_demo(session: Session) -> int:
    """Load the demo corpus when the database holds no records; returns how many records were added.

    Records enter the change log but carry no vectors yet: the index follower encodes and stores
    them in the background, so the server answers at once. Call it in a write session, so two
    workers starting together cannot both seed."""
    if session.scalar(select(func.count()).select_from(ChallengeRow)) or \
            session.scalar(select(func.count()).select_from(InnovatorRow)):
        return 0
    corpus = load_demo()
    for name in sorted({c.agency for c in corpus.challenges}):
        session.add(Agency(id=agency_id_for(name), name_th=name, name_en=name))
    session.flush()
    for c in corpus.challenges:
        c = c.model_copy(update={"agency_id": agency_id_for(c.agency)})
        session.add(ChallengeRow(id=c.id, agency_id=c.agency_id, status=c.status,
                                 confidential=c.confidential, data=c.model_dump(mode="json"),
                                 created_at=c.created_at, updated_at=c.updated_at))
        log_change(session, "challenges", c.id, "upsert")
    for i in corpus.innovators:
        session.add(InnovatorRow(id=i.id, data=i.model_dump(mode="json"), created_at=i.created_at, updated_at=i.updated_at))
        log_change(session, "innovators", i.id, "upsert")
    session.commit()
    return len(corpus.challenges) + len(corpus.innovators)


def ensure_admin_key(session: Session, key: str) -> None:
    if session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key))) is None:
        create_key(session, "admin", label="bootstrap", key=key)
        session.commit()
