"""Notifications against real components: the database (SQLite, and PostgreSQL when configured), a
real SMTP server (aiosmtpd) and a closed port for "the server is down".

- the outbox row is written with the event that causes it, and rolled back with it;
- each thing is announced once per person; e-mail only to e-mail logins;
- Thai subjects and bodies arrive byte for byte (UTF-8 MIME), with the row's Message-ID;
- SMTP down: retry with exponential backoff (capped), then delivered once when the server is back;
  a permanent refusal is not retried;
- the inbox API (a person's own notifications, mark as read) and the catalogue's texts per kind.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from sqlalchemy import func, select

from eval.notify_fault import RecordingSMTP
from eval.processes import free_port
from service import engagements, notify
from service.auth import Actor
from service.changes import Sessions
from service.db import (AlertMark, Agency, ChallengeRow, EngagementEvent, InnovatorRow, Notification, OutboxMessage, User,
                        aware, make_engine, migrate)
from service.messages import CATALOGUE, LANGUAGES
from service.notify_sender import Claimed, backoff, build_email, claim, email_text, send_all_due, send_due
from tests.service.conftest import _backends, _database_url

pytest.importorskip("aiosmtpd")
PASSWORD = "password-for-tests"
TITLE = "ระบบเตือนน้ำท่วมซอยด้วยเซนเซอร์ระดับน้ำ (flood alerts for sois)"


@pytest.fixture(scope="module")
def password_hash() -> str:
    """One argon2 hash for every account of this module (hashing costs about a second here)."""
    from service.accounts import hash_password

    return hash_password(PASSWORD)


def _person(session, login: str, name: str, role: str, password_hash: str, **owner: str) -> int:
    user = User(login=login, display_name=name, password_hash=password_hash, role=role, **owner)
    session.add(user)
    session.flush()
    return user.id


@pytest.fixture(params=_backends())
def db(request, tmp_path, password_hash):
    """(settings, sessions, people) on a fresh migrated database with one agency, one challenge,
    one innovator and their accounts (an e-mail login and a username-only one on each side)."""
    from service.config import ServiceSettings

    settings = ServiceSettings(data_dir=tmp_path, seed_demo=False, database_url=_database_url(request.param, tmp_path),
                               notify_retry_base=10.0, notify_retry_cap=35.0, notify_max_attempts=5,
                               smtp_timeout=5.0, public_url="http://bic.test")
    engine = make_engine(settings.db_url)
    migrate(engine)
    sessions = Sessions.for_engine(engine)
    with sessions.write() as session:
        session.add(Agency(id="ag-drain", name_th="สำนักการระบายน้ำ", name_en="Drainage and Sewerage Department"))
        session.add(ChallengeRow(id="c-flood", agency_id="ag-drain", status="open", confidential=False,
                                 data={"id": "c-flood", "title": TITLE, "status": "open"}))
        session.add(InnovatorRow(id="in-lab", data={"id": "in-lab", "name": "ห้องแล็บน้ำท่วม Flood Lab"}))
        session.flush()
        people = {
            "staff": _person(session, "staff@drain.example", "คุณสมศรี", "agency", password_hash, agency_id="ag-drain"),
            "staff2": _person(session, "drainduty", "เวรระบายน้ำ", "agency", password_hash, agency_id="ag-drain"),
            "founder": _person(session, "founder@floodlab.example", "คุณวิทย์", "innovator", password_hash,
                               innovator_id="in-lab"),
            "cofounder": _person(session, "floodlab2", "คุณนภา", "innovator", password_hash, innovator_id="in-lab")}
    yield settings, sessions, people
    engine.dispose()


def _counts(sessions: Sessions) -> tuple[int, int, int]:
    with sessions() as session:
        return tuple(int(session.scalar(select(func.count()).select_from(table)))
                     for table in (EngagementEvent, Notification, OutboxMessage))


AGENCY = Actor(role="agency", agency_id="ag-drain", name="คุณสมศรี")
INNOVATOR = Actor(role="innovator", innovator_id="in-lab", name="คุณวิทย์")


def test_outbox_rows_commit_and_roll_back_with_the_event(db):
    settings, sessions, people = db
    with pytest.raises(RuntimeError, match="after the event"):
        with sessions.write() as session:
            engagements.add_event(session, AGENCY, session.get(ChallengeRow, "c-flood"), "in-lab", "invited",
                                  "ขอเชิญนำเสนอ")
            assert _counts_in(session) == (1, 2, 1)  # inside the transaction: the event and its messages
            raise RuntimeError("a failure after the event, before the commit")
    assert _counts(sessions) == (0, 0, 0)
    with sessions.write() as session:
        engagements.record(session, AGENCY, session.get(ChallengeRow, "c-flood"), "in-lab", "invited", "ขอเชิญนำเสนอ")
    assert _counts(sessions) == (1, 2, 1)
    with sessions() as session:
        notes = list(session.scalars(select(Notification)))
        assert {n.user_id for n in notes} == {people["founder"], people["cofounder"]}  # the innovator's people
        outbox = session.scalars(select(OutboxMessage)).one()
        assert outbox.address == "founder@floodlab.example"  # the username-only account gets the inbox only
        assert outbox.message_id.startswith("<") and outbox.message_id.endswith(f"@{notify.MESSAGE_DOMAIN}>")
        assert (outbox.attempts, outbox.sent_at) == (0, None)


def _counts_in(session) -> tuple[int, int, int]:
    return tuple(int(session.scalar(select(func.count()).select_from(t)))
                 for t in (EngagementEvent, Notification, OutboxMessage))


def test_an_interest_tells_the_agency_staff_and_nothing_is_announced_twice(db):
    settings, sessions, people = db
    with sessions.write() as session:
        engagements.record(session, INNOVATOR, session.get(ChallengeRow, "c-flood"), "in-lab", "interested",
                           "เสนอเซนเซอร์ 40 จุด")
        engagements.record(session, AGENCY, session.get(ChallengeRow, "c-flood"), "in-lab", "shortlisted")
    with sessions() as session:
        notes = list(session.scalars(select(Notification)))
        assert sorted((n.user_id, n.kind) for n in notes) == sorted([(people["staff"], "interested"),
                                                                     (people["staff2"], "interested")])
        assert notes[0].params["note"] == "เสนอเซนเซอร์ 40 จุด"
    with sessions.write() as session:  # the same item again (a second scan, say): nobody hears it twice
        staff = notify.agency_people(session, "ag-drain")
        again = notify.announce(session, "interested", staff, notes[0].item_key, notes[0].params, challenge_id="c-flood")
        assert again == []
    assert _counts(sessions)[1:] == (2, 1)


def test_thai_mail_arrives_byte_exact_with_the_rows_message_id(db):
    settings, sessions, people = db
    with sessions.write() as session:
        engagements.record(session, AGENCY, session.get(ChallengeRow, "c-flood"), "in-lab", "invited",
                           "ขอเชิญนำเสนอภายในวันศุกร์ที่ ๑๒ ธันวาคม 🌧️")
    with RecordingSMTP() as smtp:
        report = send_all_due(sessions, settings.model_copy(update={"smtp_port": smtp.port}))
        assert (report.sent, report.retried, report.failed) == (1, 0, 0)
        assert send_all_due(sessions, settings.model_copy(update={"smtp_port": smtp.port})).sent == 0  # sent once
    [received] = smtp.messages
    with sessions() as session:
        row = session.scalars(select(OutboxMessage)).one()
        note = session.get(Notification, row.notification_id)
        assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""
        th = notify.render("invited", note.params, "th", "c-flood")
        en = notify.render("invited", note.params, "en", "c-flood")
    item = _claimed_copy(sessions, row)
    subject, body = email_text(item, settings.public_url)
    assert received.recipients == ("founder@floodlab.example",)
    message = message_from_bytes(received.content, policy=default_policy)
    assert message["Message-ID"] == row.message_id
    assert str(message["Subject"]) == subject == f"{th.subject} | {en.subject}"
    assert th.subject == f"สำนักการระบายน้ำ เชิญคุณร่วมแก้โจทย์ \"{TITLE}\""
    part = message.get_body(("plain",))
    assert part.get_content_charset() == "utf-8" and part["Content-Transfer-Encoding"] == "base64"
    raw = base64.b64decode(part.get_payload())
    assert raw == body.replace("\n", "\r\n").encode("utf-8")  # byte for byte (CRLF: MIME's canonical text)
    for text in (th.body, en.body, "ขอเชิญนำเสนอภายในวันศุกร์ที่ ๑๒ ธันวาคม 🌧️", "http://bic.test/challenges/c-flood?lang=th"):
        assert text in body
    assert received.content.isascii()  # 7-bit on the wire: no hop can mangle the Thai


def _claimed_copy(sessions: Sessions, row: OutboxMessage) -> Claimed:
    """The sent row as the sender saw it (for rendering the expected text)."""
    with sessions() as session:
        note = session.get(Notification, row.notification_id)
        return Claimed(row.id, row.address, row.message_id, row.attempts, False, note.kind, note.params,
                       note.challenge_id, row.created_at)


def test_smtp_down_retries_with_backoff_then_delivers_once(db):
    settings, sessions, people = db
    port = free_port()  # nothing listens here yet: connection refused
    settings = settings.model_copy(update={"smtp_port": port})
    with sessions.write() as session:
        engagements.record(session, AGENCY, session.get(ChallengeRow, "c-flood"), "in-lab", "invited")
    start = datetime.now(timezone.utc)
    clock = {"now": start}
    now = lambda: clock["now"]  # noqa: E731 - the sender's clock, moved forward instead of waiting

    def state() -> OutboxMessage:
        with sessions() as session:
            return session.scalars(select(OutboxMessage)).one()

    waits = []
    for attempt in (1, 2, 3):
        report = send_due(sessions, settings, now=now)
        assert (report.sent, report.retried) == (0, 1), report
        row = state()
        assert row.attempts == attempt and "Connection refused" in row.last_error and row.claimed_until is None
        waits.append((aware(row.next_attempt_at) - clock["now"]).total_seconds())
        assert send_due(sessions, settings, now=now).retried == 0  # not due again before its backoff
        clock["now"] = aware(row.next_attempt_at)
    assert waits == pytest.approx([10.0, 20.0, 35.0], abs=0.01)  # 10, 20, then the 35 s cap (not 40)
    with RecordingSMTP(port=port) as smtp:
        report = send_due(sessions, settings, now=now)
        assert (report.sent, report.retried) == (1, 0)
        assert send_due(sessions, settings, now=lambda: clock["now"] + timedelta(hours=1)).sent == 0
    row = state()
    assert row.attempts == 4 and row.sent_at is not None and row.last_error == ""
    assert [m.message_id for m in smtp.messages] == [row.message_id]




def test_backoff_doubles_up_to_the_cap():
    assert [backoff(n, 30, 3600) for n in (1, 2, 3, 7, 8, 20)] == [30, 60, 120, 30 * 2 ** 6, 3600, 3600]


def test_a_permanent_refusal_is_not_retried_and_the_rest_still_go(db):
    settings, sessions, people = db
    with sessions.write() as session:
        founder = session.get(User, people["founder"])
        founder.login = "nobody@floodlab.example"
        session.flush()
        engagements.record(session, AGENCY, session.get(ChallengeRow, "c-flood"), "in-lab", "invited")
        engagements.record(session, INNOVATOR, session.get(ChallengeRow, "c-flood"), "in-lab", "interested", "ข้อเสนอ")
    with RecordingSMTP(refuse=lambda address: address.startswith("nobody@")) as smtp:
        report = send_all_due(sessions, settings.model_copy(update={"smtp_port": smtp.port}))
    assert (report.sent, report.failed, report.retried) == (1, 1, 0)
    assert [m.recipients for m in smtp.messages] == [("staff@drain.example",)]
    with sessions() as session:
        refused = session.scalars(select(OutboxMessage).where(OutboxMessage.address.startswith("nobody@"))).one()
        assert refused.failed_at is not None and refused.sent_at is None and "550" in refused.last_error
    assert claim(sessions, datetime.now(timezone.utc) + timedelta(days=1), 60) == []  # nothing left to send


def test_every_kind_has_a_subject_and_body_in_both_languages_with_the_same_placeholders():
    for kind in notify.KINDS:
        for part in ("subject", "body"):
            assert set(CATALOGUE[f"notify_{kind}_{part}"]) == set(LANGUAGES)
    params = {"challenge": TITLE, "agency": {"th": "สำนักการระบายน้ำ", "en": "Drainage Dept"}, "innovator": "Flood Lab",
              "search": "น้ำท่วม", "band": {"th": "เหมาะมาก", "en": "strong fit"}, "note": ""}
    for kind in notify.KINDS:
        en = notify.render(kind, params, "en", "c-flood")
        th = notify.render(kind, params, "th", "c-flood")
        assert "{" not in en.subject + en.body + th.subject + th.body and en.link == "/challenges/c-flood"
        assert "สำนักการระบายน้ำ" not in en.subject + en.body  # a {th, en} value is picked per language


def test_email_keeps_the_rows_message_id_and_date_on_a_resend(db):
    settings, sessions, people = db
    with sessions.write() as session:
        engagements.record(session, AGENCY, session.get(ChallengeRow, "c-flood"), "in-lab", "invited")
    [first] = claim(sessions, datetime.now(timezone.utc), lease=0.001)
    [again] = claim(sessions, datetime.now(timezone.utc) + timedelta(seconds=1), lease=60)  # the lease ran out
    assert again.in_doubt and not first.in_doubt and again.attempts == 2
    one, two = (build_email(c, settings.smtp_from, settings.public_url).as_bytes() for c in (first, again))
    assert one == two  # the same message, byte for byte: a receiver can recognise the resend


def test_the_migration_creates_what_the_models_describe(db):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from service.db import Base

    settings, sessions, people = db
    mine = {"notifications", "outbox", "alert_marks"}
    with sessions.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diffs if mine & _tables_of(d)]
    assert ours == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(AlertMark)) == 0


def _tables_of(diff) -> set[str]:
    found = set()
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item if isinstance(item, tuple) else (item,):
            name = getattr(part, "name", None) if not isinstance(part, str) else part
            table = getattr(part, "table", None)
            found |= {n for n in (name, getattr(table, "name", None)) if isinstance(n, str)}
    return found


def test_the_last_allowed_attempt_marks_the_message_failed(db):
    settings, sessions, people = db
    settings = settings.model_copy(update={"smtp_port": free_port(), "notify_max_attempts": 2})
    with sessions.write() as session:
        engagements.record(session, AGENCY, session.get(ChallengeRow, "c-flood"), "in-lab", "invited")
    later = datetime.now(timezone.utc)
    first = send_due(sessions, settings, now=lambda: later)
    second = send_due(sessions, settings, now=lambda: later + timedelta(seconds=settings.notify_retry_base))
    assert (first.retried, first.failed, second.retried, second.failed) == (1, 0, 0, 1)
    with sessions() as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert row.attempts == 2 and row.failed_at is not None and row.sent_at is None
    assert claim(sessions, later + timedelta(days=30), 60) == []
