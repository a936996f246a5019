"""SQLAlchemy 2 models and session factory. The database is the source of truth; indexes follow it."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint, create_engine, event)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(moment: datetime) -> datetime:
    """A stored time as UTC-aware: SQLite gives back naive datetimes (it keeps no zone), and every
    time the service stores is UTC. JSON answers must carry the zone (OpenAPI `date-time`)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class Agency(Base):
    __tablename__ = "agencies"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name_th: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


SEQUENCE = BigInteger().with_variant(Integer, "sqlite")
"""Change-log sequence numbers: 64-bit on PostgreSQL; SQLite's rowid alias must be INTEGER."""


class ChallengeRow(Base):
    __tablename__ = "challenges"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    agency_row: Mapped[Agency | None] = relationship(lazy="joined", viewonly=True)
    """The posting agency (its Thai and English names are shown with the challenge)."""


class InnovatorRow(Base):
    __tablename__ = "innovators"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordVector(Base):
    """A record's vector for one encoder fingerprint and mode ('d' document, 'q' query), computed
    once at write time so that any process can index or match the record without encoding."""

    __tablename__ = "record_vectors"
    side: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    encoder: Mapped[str] = mapped_column(String(160), primary_key=True)
    mode: Mapped[str] = mapped_column(String(1), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class Change(Base):
    """The ordered change log: one row per write, in the write's own transaction."""

    __tablename__ = "changes"
    seq: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    side: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(128))
    op: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Tombstone(Base):
    """What a deleted challenge or innovator leaves: its id, never to be reused (so no history can
    attach to a newcomer) and, for a challenge, the owning agency (who alone may learn it existed)."""

    __tablename__ = "tombstones"
    side: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Lease(Base):
    """A named, expiring lock held by one process (who encodes missing vectors, for instance)."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column()


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"))
    innovator_id: Mapped[str | None] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(200), default="")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person who logs in with e-mail (or username) and password; role and agency as API keys have."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"))
    innovator_id: Mapped[str | None] = mapped_column(String(128), index=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A login session; the cookie holds the token, the database only its SHA-256."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class LoginFailure(Base):
    """One failed login, per login name and client address: the rate limiter counts these."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(254), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class StaffInvitation(Base):
    """An admin's invitation for a person to join an agency (or as admin); single use, expiring."""

    __tablename__ = "staff_invitations"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"))
    role: Mapped[str] = mapped_column(String(16))
    login: Mapped[str] = mapped_column(String(254))
    created_by: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class EngagementEvent(Base):
    """One step between a challenge and an innovator: invited (agency), interested (innovator, with a
    proposal in `note`), shortlisted / accepted / declined. The pair's state is its latest event not
    undone; undo marks an event `undone_at` (history is never deleted)."""

    __tablename__ = "engagement_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    innovator_id: Mapped[str] = mapped_column(String(128), index=True)
    state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(nullable=True)


class SavedSearchRow(Base):
    __tablename__ = "saved_searches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    innovator_id: Mapped[str] = mapped_column(ForeignKey("innovators.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """One message for one person (the in-app inbox): what happened (`kind`), about which challenge
    and innovator, and the values its Thai and English texts are rendered from (`params`).
    `item_key` names the thing announced ("event:12", "saved:3:c-9", "suggest:c-9:in-4"): unique per
    recipient, so the same thing is never announced to the same person twice."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("user_id", "item_key", name="uq_notifications_user_item"),
                      Index("ix_notifications_user_read", "user_id", "read_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    item_key: Mapped[str] = mapped_column(String(300))
    challenge_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    innovator_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)


class OutboxMessage(Base):
    """One e-mail to send: a notification for one address, written in the event's transaction.
    `message_id` is fixed at creation, so a resend after a crash carries the same Message-ID;
    `claimed_until` is a sender's lease; `sent_at` is set once, after the SMTP server accepted."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("notification_id", "address", name="uq_outbox_notification_address"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(254))
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    failed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertMark(Base):
    """What the alert scan has seen: (topic, item) pairs such as ("challenge:c-9", "in-4") for an
    innovator already above the fit band, and (topic, "") for "this topic was scanned at seen_at"."""

    __tablename__ = "alert_marks"
    topic: Mapped[str] = mapped_column(String(200), primary_key=True)
    item: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column()


WRITE_OPTION = "bic_write"
"""Execution option marking a connection that will write: on SQLite its transaction starts with
BEGIN IMMEDIATE (the write lock is taken up front, so two writers queue instead of one failing
with a stale snapshot); on PostgreSQL it takes a transaction-scoped advisory lock, so change-log
sequence numbers are committed in order and no follower can skip one."""
WRITE_LOCK_KEY = 0x42494301


def is_outage(exc: BaseException) -> bool:
    """A database that cannot be reached (down, restarting, connection cut), as opposed to a bad
    statement: the request is answered 503 with Retry-After and the follower retries. OperationalError
    and InterfaceError are the DB-API's classes for "not operational"; any other DBAPIError counts
    when SQLAlchemy saw the connection die under it."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    return isinstance(exc, (OperationalError, InterfaceError)) or \
        (isinstance(exc, DBAPIError) and bool(exc.connection_invalidated))


def outage_reason(exc: BaseException) -> str:
    """The first line of the driver's message, for one quiet log line instead of a traceback."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


PG_CONNECT_TIMEOUT = 5
"""Seconds a PostgreSQL connection attempt may take: a host that drops packets (instead of refusing)
must give an answer (503) in seconds, not after the kernel's two-minute TCP retries."""


def make_engine(url: str, durable: bool = True) -> Engine:
    """Engine with Thai-preserving JSON and, on SQLite, foreign keys and WAL for concurrent readers.

    `durable=False` (the e-mail sender's own bookkeeping, service.notify_sender): a commit does not
    wait for the disk (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit=off); it survives a
    crash of the process, not a power loss. The sender only ever loses a "sent" mark that way, which
    means a resend with the same Message-ID, never a lost message; in exchange its crash window
    shrinks from a disk flush to a memory write."""
    kwargs: dict[str, Any] = {"json_serializer": lambda obj: json.dumps(obj, ensure_ascii=False)}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 60}
    elif url.startswith("postgresql"):
        kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT}
        if not durable:
            kwargs["connect_args"]["options"] = "-c synchronous_commit=off"
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - driver callback
            dbapi_conn.isolation_level = None  # SQLAlchemy's begin event below issues BEGIN
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            if not durable:
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - driver callback
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")
    else:
        @event.listens_for(engine, "begin")
        def _pg_write_lock(conn):  # pragma: no cover - driver callback
            if conn.get_execution_options().get(WRITE_OPTION):
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine (and pool) with writes serialised: see WRITE_OPTION."""
    return engine.execution_options(**{WRITE_OPTION: True})


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with writer(engine).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)


class ComplaintRow(Base):
    """A citizen complaint imported as evidence of demand (Traffy Fondue or a mapped CSV); the text is
    kept verbatim for quoting, the district as a taxonomy key when the raw name resolves."""

    __tablename__ = "complaints"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    district: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    district_raw: Mapped[str | None] = mapped_column(String(200), nullable=True)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    state: Mapped[str | None] = mapped_column(String(100), nullable=True)
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
