"""First-start seeding: the bundled demo corpus into an empty database, and a bootstrap admin key."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.corpora import load_agencies, load_corpus

from service.auth import create_key, hash_key
from service.changes import log_change
from service.db import Agency, ApiKey, ChallengeRow, InnovatorRow


def seed_demo(session: Session) -> int:
    """Load the bundled corpus when the database holds no records; returns how many records were added.

    Agencies come from the corpus's agency list (one agency with its Thai and English names).
    Records enter the change log without vectors; the index follower stores them at start-up, in
    the background (from the vectors shipped with the corpus, else by encoding), so the server
    answers at once.
    Call it in a write session, so two workers starting together cannot both seed."""
    if session.scalar(select(func.count()).select_from(ChallengeRow)) or \
            session.scalar(select(func.count()).select_from(InnovatorRow)):
        return 0
    corpus = load_corpus()
    for agency in load_agencies():
        if session.get(Agency, agency["id"]) is None:
            session.add(Agency(id=agency["id"], name_th=agency["name_th"], name_en=agency["name_en"]))
    session.flush()
    for c in corpus.challenges:
        session.add(ChallengeRow(id=c.id, agency_id=c.agency_id, status=c.status, confidential=c.confidential,
                                 data=c.model_dump(mode="json"), created_at=c.created_at, updated_at=c.updated_at))
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


DEMO_ACCOUNTS = (
    ("admin", "ผู้ดูแลระบบ (demo)", "admin", None),
    ("drainage", "เจ้าหน้าที่ สำนักการระบายน้ำ (demo)", "agency", "ag-drainage"),
    ("environment", "เจ้าหน้าที่ สำนักสิ่งแวดล้อม (demo)", "agency", "ag-environment"),
    ("health", "เจ้าหน้าที่ สำนักอนามัย (demo)", "agency", "ag-health"),
)
"""Demo log-ins for the bundled corpus (login, display name, role, agency); password DEMO_PASSWORD."""


def ensure_accounts(session: Session, settings) -> list[str]:
    """The bootstrap admin account and, in development with the demo data, the demo log-ins;
    returns the logins created now."""
    from service.accounts import ensure_user
    from service.config import DEMO_PASSWORD

    created = []
    if settings.bootstrap_admin_login:
        if ensure_user(session, settings.bootstrap_admin_login, settings.bootstrap_admin_password, "admin",
                       "Administrator"):
            created.append(settings.bootstrap_admin_login)
    if settings.wants_demo_accounts:
        for login, name, role, agency in DEMO_ACCOUNTS:
            if agency is None or session.get(Agency, agency) is not None:
                if ensure_user(session, login, DEMO_PASSWORD, role, name, agency):
                    created.append(login)
    return created
