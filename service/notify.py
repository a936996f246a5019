"""Notifications: who hears about what, how it reads in Thai and English, and the in-app inbox.

One owner for these rules:

- an invitation tells the innovator's people; an interest tells the owning agency's staff; the
  alert scan (service.notify_alerts) adds saved-search matches and new strong suggestions;
- each announcement is one `Notification` per person (the inbox) plus one `OutboxMessage` per
  e-mail address (the sender, service.notify_sender, delivers those), added to the caller's
  transaction: the event and its messages commit or roll back together;
- `item_key` names the thing announced, unique per person, so nobody is told twice about it;
- texts are rendered when read, from the catalogue (service/messages/notifications.py) and the
  stored `params` (a value is a string or a {"th": ..., "en": ...} pair), so both languages stay
  available and a wording fix reaches old notifications too.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.auth import Actor
from service.db import ChallengeRow, EngagementEvent, InnovatorRow, Notification, OutboxMessage, User, aware
from service.errors import forbidden, not_found, unauthorized
from service.i18n import STRINGS
from service.messages import LANGUAGES

KINDS = ("invited", "interested", "saved_search", "new_suggestion")
"""Every kind of notification; each has notify_<kind>_subject and notify_<kind>_body texts."""
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MESSAGE_DOMAIN = "notifications.bic.example"
"""Right-hand side of every Message-ID the service mints (the id is unique, the domain fixed)."""


def _now() -> datetime:
    return datetime.now(timezone.utc)



def email_address(user: User) -> str | None:
    """The address a person is mailed at: the login when it is an e-mail address (a username-only
    account, such as a demo log-in, gets the in-app inbox only)."""
    return user.login if EMAIL.fullmatch(user.login) else None


def new_message_id() -> str:
    """A Message-ID fixed when the outbox row is written: every resend of that row carries it."""
    return f"<{uuid.uuid4().hex}@{MESSAGE_DOMAIN}>"


# --- who is told ---------------------------------------------------------------------------------

def innovator_people(session: Session, innovator_id: str) -> list[User]:
    return list(session.scalars(select(User).where(User.innovator_id == innovator_id, User.role == "innovator",
                                                   User.disabled.is_(False)).order_by(User.id)))


def agency_people(session: Session, agency_id: str | None) -> list[User]:
    if agency_id is None:
        return []
    return list(session.scalars(select(User).where(User.agency_id == agency_id, User.role == "agency",
                                                   User.disabled.is_(False)).order_by(User.id)))


def announce(session: Session, kind: str, people: Iterable[User], item_key: str, params: dict[str, Any], *,
             challenge_id: str | None = None, innovator_id: str | None = None,
             now: datetime | None = None) -> list[Notification]:
    """Add a notification (and an outbox row per e-mail address) for each person not yet told about
    `item_key`, in the caller's transaction; returns the new notifications."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    now = now or _now()
    people = [p for p in people if not p.disabled]
    if not people:
        return []
    told = set(session.scalars(select(Notification.user_id).where(Notification.item_key == item_key,
                                                                  Notification.user_id.in_([p.id for p in people]))))
    created = []
    for person in people:
        if person.id in told:
            continue
        told.add(person.id)
        note = Notification(user_id=person.id, kind=kind, item_key=item_key, challenge_id=challenge_id,
                            innovator_id=innovator_id, params=params, created_at=now)
        session.add(note)
        session.flush()
        address = email_address(person)
        if address:
            session.add(OutboxMessage(notification_id=note.id, address=address, message_id=new_message_id(),
                                      attempts=0, next_attempt_at=now, last_error="", created_at=now))
        created.append(note)
    session.flush()
    return created


def challenge_params(challenge: ChallengeRow) -> dict[str, Any]:
    """What a text needs to name a challenge: its title and the posting agency in both languages."""
    agency = challenge.agency_row
    name = {"th": agency.name_th, "en": agency.name_en} if agency else challenge.data.get("agency", "")
    return {"challenge": challenge.data.get("title", challenge.id), "agency": name}


def innovator_name(session: Session, innovator_id: str) -> str:
    row = session.get(InnovatorRow, innovator_id)
    return row.data.get("name", innovator_id) if row else innovator_id


def on_engagement(session: Session, event: EngagementEvent, challenge: ChallengeRow) -> list[Notification]:
    """An invitation tells the innovator's people; an interest tells the owning agency's staff."""
    params = {**challenge_params(challenge), "innovator": innovator_name(session, event.innovator_id),
              "note": event.note}
    if event.state == "invited":
        people = innovator_people(session, event.innovator_id)
    elif event.state == "interested":
        people = agency_people(session, challenge.agency_id)
    else:
        return []
    return announce(session, event.state, people, f"event:{event.id}", params, challenge_id=challenge.id,
                    innovator_id=event.innovator_id, now=aware(event.created_at))


# --- how it reads ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Rendered:
    """A notification's text in one language (subject line, body, link to the page it is about)."""

    subject: str
    body: str
    link: str


def _value(value: Any, lang: str) -> str:
    return str(value.get(lang, "")) if isinstance(value, dict) else str(value)


def render(kind: str, params: dict[str, Any], lang: str, challenge_id: str | None = None) -> Rendered:
    values = {key: _value(value, lang) for key, value in params.items()}
    subject = STRINGS[f"notify_{kind}_subject"][lang].format(**values)
    body = STRINGS[f"notify_{kind}_body"][lang].format(**values)
    if values.get("note"):
        body += "\n\n" + STRINGS["notify_note"][lang].format(note=values["note"])
    return Rendered(subject, body, f"/challenges/{challenge_id}" if challenge_id else "/inbox")


def notification_public(note: Notification) -> dict[str, Any]:
    texts = {lang: render(note.kind, note.params, lang, note.challenge_id) for lang in LANGUAGES}
    return {"id": note.id, "kind": note.kind, "challenge_id": note.challenge_id, "innovator_id": note.innovator_id,
            "params": note.params, "created_at": aware(note.created_at).isoformat(),
            "read_at": aware(note.read_at).isoformat() if note.read_at else None, "link": texts["th"].link,
            "texts": {lang: {"subject": r.subject, "body": r.body} for lang, r in texts.items()}}


# --- the inbox -------------------------------------------------------------------------------

def person_of(actor: Actor) -> int:
    """The account whose inbox this is; API keys have no inbox (notifications belong to people)."""
    if actor.role is None:
        raise unauthorized()
    if actor.user_id is None:
        raise forbidden("notifications belong to a person's account: log in (an API key has no inbox)")
    return actor.user_id


def unread_count(session: Session, user_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0)


def inbox(session: Session, actor: Actor, *, unread_only: bool = False, skip: int = 0,
          limit: int = 20) -> dict[str, Any]:
    """The person's notifications, newest first, with the total and the unread count."""
    user_id = person_of(actor)
    where = [Notification.user_id == user_id] + ([Notification.read_at.is_(None)] if unread_only else [])
    count = int(session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0)
    rows = session.scalars(select(Notification).where(*where).order_by(Notification.created_at.desc(),
                                                                        Notification.id.desc())
                           .offset(skip).limit(limit))
    return {"data": [notification_public(r) for r in rows], "count": count, "unread": unread_count(session, user_id),
            "skip": skip, "limit": limit}


def mark_read(session: Session, actor: Actor, notification_id: int) -> dict[str, Any]:
    """Mark one of the person's notifications read (reading it again keeps the first time)."""
    user_id = person_of(actor)
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != user_id:
        raise not_found("notification", str(notification_id))
    if note.read_at is None:
        note.read_at = _now()
        session.flush()
    return notification_public(note)


def mark_all_read(session: Session, actor: Actor) -> int:
    user_id = person_of(actor)
    result = session.execute(update(Notification).where(Notification.user_id == user_id,
                                                        Notification.read_at.is_(None)).values(read_at=_now()))
    return int(result.rowcount or 0)
