"""The e-mail sender: delivers outbox rows over SMTP, each marked sent once, retried with backoff.

The guarantee (README "Notifications"): every outbox row is delivered at least once, and marked
sent exactly once; a crash (kill -9) at any moment loses nothing. The one window that cannot be
closed by the sender alone is between the SMTP server's acceptance of a message (its "250" after
DATA) and the commit of `sent_at`: a crash there means the row is sent again after its lease runs
out. That resend carries the same Message-ID (fixed when the row was written), and the window is
bounded: one message per crashed sender (messages are sent and committed one at a time), lasting
one reply and one small commit. The kill -9 runs (eval/notify_fault.py) measure how often it hits.

Steps for each batch:
1. claim due rows in one write transaction (lease `claimed_until`, `attempts` + 1, so a crash
   counts as an attempt and another sender takes over only after the lease);
2. for each row: send it on one reused SMTP connection, then commit `sent_at` (only where it is
   still NULL) before the next message;
   (the sender's engine commits without waiting for the disk: service.db.make_engine durable=False);
3. on a temporary failure (connection refused, 4xx, timeout) the row waits
   min(base * 2^(attempts-1), cap) seconds; a permanent refusal (5xx) or the last allowed
   attempt marks it failed, with the error kept in `last_error`.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from typing import Any

from sqlalchemy import or_, select, update

from service import notify
from service.changes import Sessions
from service.config import ServiceSettings
from service.db import Notification, OutboxMessage, aware
from service.i18n import STRINGS
from service.messages import LANGUAGES

log = logging.getLogger(__name__)
BATCH = 20


def _now() -> datetime:
    return datetime.now(timezone.utc)



@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to hand e-mail over (ServiceSettings smtp_*, env MATCHER_SMTP_*)."""

    host: str
    port: int
    sender: str
    tls: str = "none"
    username: str | None = None
    password: str | None = None
    timeout: float = 20.0

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> "SmtpConfig":
        return cls(settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_tls,
                   settings.smtp_username, settings.smtp_password, settings.smtp_timeout)

    def connect(self) -> smtplib.SMTP:
        if self.tls == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if self.username:
            smtp.login(self.username, self.password or "")
        return smtp


@dataclass(frozen=True)
class Claimed:
    """One claimed outbox row and what its e-mail is rendered from."""

    id: int
    address: str
    message_id: str
    attempts: int
    in_doubt: bool
    """Claimed before by a sender whose lease ran out: it may have been delivered just before that
    sender died (the resend carries the same Message-ID)."""
    kind: str
    params: dict[str, Any]
    challenge_id: str | None
    created_at: datetime


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    in_doubt: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int, base: float, cap: float) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: base, 2·base, 4·base, ... at most cap."""
    return min(cap, base * 2 ** max(attempts - 1, 0))


def email_text(item: Claimed, public_url: str) -> tuple[str, str]:
    """(subject, body) of one outbox row's e-mail: Thai first, then English (an account has no
    language of its own), each with the link to the page it is about."""
    base = public_url.rstrip("/")
    parts, subjects = [], []
    for lang in LANGUAGES:
        text = notify.render(item.kind, item.params, lang, item.challenge_id)
        subjects.append(text.subject)
        footer = STRINGS["notify_email_footer"][lang].format(inbox=f"{base}/inbox?lang={lang}")
        parts.append(f"{text.subject}\n\n{text.body}\n\n{base}{text.link}?lang={lang}\n\n{footer}\n")
    return " | ".join(subjects), "\n----\n\n".join(parts)


def build_email(item: Claimed, sender: str, public_url: str) -> EmailMessage:
    """The e-mail of one outbox row: UTF-8 in base64, so Thai arrives byte for byte through any
    7-bit hop (lines end in CRLF, MIME's canonical text form); the Message-ID and Date are the
    row's own, so a resend is the same message."""
    subject, body = email_text(item, public_url)
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = item.address
    message["Message-ID"] = item.message_id
    message["Date"] = format_datetime(aware(item.created_at))
    message.set_content(body, charset="utf-8", cte="base64")
    return message


def claim(sessions: Sessions, now: datetime, lease: float, limit: int = BATCH) -> list[Claimed]:
    """Take up to `limit` due rows for `lease` seconds (one write transaction)."""
    with sessions.write() as session:
        rows = list(session.scalars(
            select(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
                                        OutboxMessage.next_attempt_at <= now,
                                        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)))
        notes = {n.id: n for n in session.scalars(select(Notification).where(
            Notification.id.in_([r.notification_id for r in rows])))} if rows else {}
        claimed = []
        for row in rows:
            in_doubt = row.claimed_until is not None
            row.claimed_until = now + timedelta(seconds=lease)
            row.attempts += 1
            note = notes[row.notification_id]
            claimed.append(Claimed(row.id, row.address, row.message_id, row.attempts, in_doubt, note.kind,
                                   dict(note.params), note.challenge_id, aware(row.created_at)))
    return claimed


def mark_sent(sessions: Sessions, outbox_id: int) -> bool:
    """Record the SMTP server's acceptance; only the first acceptance counts (sent once)."""
    with sessions.write() as session:
        result = session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id,
                                                             OutboxMessage.sent_at.is_(None))
                                 .values(sent_at=_now(), claimed_until=None, last_error=""))
        return bool(result.rowcount)


def mark_failure(sessions: Sessions, item: Claimed, error: str, permanent: bool, settings: ServiceSettings,
                 now: datetime) -> bool:
    """Reschedule with backoff, or give up (permanent refusal, or the last attempt); True if given up."""
    give_up = permanent or item.attempts >= settings.notify_max_attempts
    values: dict[str, Any] = {"claimed_until": None, "last_error": error[:2000]}
    if give_up:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = now + timedelta(seconds=backoff(item.attempts, settings.notify_retry_base,
                                                                    settings.notify_retry_cap))
    with sessions.write() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == item.id, OutboxMessage.sent_at.is_(None))
                        .values(**values))
    return give_up


def release(sessions: Sessions, items: list[Claimed]) -> None:
    """Hand back claims this sender will not use (stopping, or its lease is nearly over)."""
    if not items:
        return
    with sessions.write() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_([i.id for i in items]),
                                                    OutboxMessage.sent_at.is_(None))
                        .values(claimed_until=None, attempts=OutboxMessage.attempts - 1))


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def send_due(sessions: Sessions, settings: ServiceSettings, *, now: Callable[[], datetime] = _now,
             stop: threading.Event | None = None, limit: int = BATCH) -> SendReport:
    """Claim one batch of due rows and deliver it; the report says what happened."""
    report = SendReport()
    config = SmtpConfig.from_settings(settings)
    started = time.monotonic()
    items = claim(sessions, now(), settings.notify_lease, limit)
    connection: smtplib.SMTP | None = None
    try:
        for position, item in enumerate(items):
            # Never send on a claim that may already be another sender's: stop while the lease
            # still covers one more SMTP exchange (one timeout, or half the lease).
            if (stop is not None and stop.is_set()) or \
                    time.monotonic() - started > settings.notify_lease - min(config.timeout, settings.notify_lease / 2):
                release(sessions, items[position:])
                break
            if item.in_doubt:
                report.in_doubt += 1
                log.info("outbox %s: resending %s, claimed by a sender that stopped (maybe delivered)",
                         item.id, item.message_id)
            message = build_email(item, config.sender, settings.public_url)
            try:
                connection = connection or config.connect()
                connection.sendmail(config.sender, [item.address], message.as_bytes(policy=SMTP_POLICY))
            except (smtplib.SMTPException, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                report.errors.append(error)
                if mark_failure(sessions, item, error, _permanent(exc), settings, now()):
                    report.failed += 1
                else:
                    report.retried += 1
                if not isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                                        smtplib.SMTPSenderRefused)):
                    connection = _close(connection)
                continue
            if mark_sent(sessions, item.id):
                report.sent += 1
    finally:
        _close(connection)
    return report


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is not None:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()
    return None


def warm_up(sessions: Sessions) -> None:
    """Open a connection and compile the "sent" statement before the first message, so the first
    message's crash window is as short as every other's."""
    mark_sent(sessions, -1)


def send_all_due(sessions: Sessions, settings: ServiceSettings, *, stop: threading.Event | None = None) -> SendReport:
    """Batches until nothing is due now (failures wait for their backoff, so this ends)."""
    warm_up(sessions)
    total = SendReport()
    while stop is None or not stop.is_set():
        report = send_due(sessions, settings, stop=stop)
        for name in ("sent", "retried", "failed", "in_doubt"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.errors += report.errors
        if not (report.sent or report.retried or report.failed):
            break
    return total


def run(sessions: Sessions, settings: ServiceSettings, stop: threading.Event, *,
        scan: Callable[[], None] | None = None, scan_interval: float = 0.0,
        echo: Callable[[str], None] = lambda line: None) -> None:
    """The sender loop: deliver what is due, scan for alerts every `scan_interval` seconds (when
    given), sleep `notify_poll_interval`; returns when `stop` is set (SIGTERM)."""
    next_scan = time.monotonic()
    while not stop.is_set():
        if scan is not None and scan_interval > 0 and time.monotonic() >= next_scan:
            scan()
            next_scan = time.monotonic() + scan_interval
        report = send_all_due(sessions, settings, stop=stop)
        if report.sent or report.retried or report.failed:
            echo(f"sent {report.sent}, retrying {report.retried}, failed {report.failed}"
                 + (f" (last error: {report.errors[-1]})" if report.errors else ""))
        stop.wait(settings.notify_poll_interval)
