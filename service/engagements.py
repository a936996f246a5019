"""The two-sided flow between a challenge and an innovator: invitations, interests and decisions.

One owner for "where does this pair stand": the pair's state is its latest engagement event that
was not undone. Who may move a pair to which state:

- the owning agency (or an admin): invited, shortlisted, accepted, declined;
- the innovator: interested (with a short proposal), declined (turning an invitation down).

Undo marks the pair's latest active event as undone (the history stays), and only the side that
made it may undo it. Agency decisions are also the labeled pairs analysts export for training
(accepted 2, shortlisted 1, declined by the agency 0).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import notify
from service.auth import Actor
from service.db import ChallengeRow, EngagementEvent, InnovatorRow, aware
from service.errors import ServiceError, forbidden, invalid, not_found

STATES = ("invited", "interested", "shortlisted", "accepted", "declined")
AGENCY_STATES = ("invited", "shortlisted", "accepted", "declined")
INNOVATOR_STATES = ("interested", "declined")
GRADE = {"accepted": 2, "shortlisted": 1, "declined": 0}
"""Graded relevance of an agency's decision, for `matcher eval` / `matcher train`."""
LEGACY_DECISIONS = {"shortlist": "shortlisted", "accept": "accepted", "reject": "declined"}
"""The decision words of the first API (`POST /v1/challenges/{id}/feedback`)."""
AGENCY_SIDE = ("agency", "admin")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def side_of(actor: Actor) -> str:
    return "innovator" if actor.role == "innovator" else "agency"


def event_public(row: EngagementEvent) -> dict[str, Any]:
    return {"id": row.id, "challenge_id": row.challenge_id, "innovator_id": row.innovator_id, "state": row.state,
            "note": row.note, "by": row.actor_name, "by_side": "innovator" if row.actor_role == "innovator" else "agency",
            "created_at": aware(row.created_at).isoformat(),
            "undone_at": aware(row.undone_at).isoformat() if row.undone_at else None}




def _events(session: Session, *, challenge_id: str | None = None, innovator_id: str | None = None,
            active_only: bool = False) -> list[EngagementEvent]:
    query = select(EngagementEvent).order_by(EngagementEvent.created_at, EngagementEvent.id)
    if challenge_id is not None:
        query = query.where(EngagementEvent.challenge_id == challenge_id)
    if innovator_id is not None:
        query = query.where(EngagementEvent.innovator_id == innovator_id)
    if active_only:
        query = query.where(EngagementEvent.undone_at.is_(None))
    return list(session.scalars(query))


def active_events(session: Session) -> list[EngagementEvent]:
    """Every event not undone, oldest first (what the dashboard counts pairs and first interests from)."""
    return _events(session, active_only=True)


def states(session: Session, *, challenge_id: str | None = None,
           innovator_id: str | None = None) -> dict[tuple[str, str], EngagementEvent]:
    """(challenge_id, innovator_id) -> the event that gives the pair its current state."""
    latest: dict[tuple[str, str], EngagementEvent] = {}
    for row in _events(session, challenge_id=challenge_id, innovator_id=innovator_id, active_only=True):
        latest[(row.challenge_id, row.innovator_id)] = row
    return latest


def declined_by_agency(session: Session, challenge_id: str) -> list[str]:
    """Innovators the agency declined for this challenge: never suggested (or announced) again."""
    return [i for (_c, i), row in states(session, challenge_id=challenge_id).items()
            if row.state == "declined" and row.actor_role != "innovator"]


def check_move(actor: Actor, state: str, challenge: ChallengeRow, innovator_id: str) -> None:
    """Raise unless `actor` may put the pair into `state` (ownership is checked by the caller)."""
    if state not in STATES:
        raise invalid(f"state must be one of {', '.join(STATES)}", "state", "literal_error", expected=list(STATES))
    if actor.role in AGENCY_SIDE and state not in AGENCY_STATES:
        raise invalid(f"an agency can set {', '.join(AGENCY_STATES)}", "state", "literal_error",
                      expected=list(AGENCY_STATES))
    if actor.role == "innovator":
        if state not in INNOVATOR_STATES:
            raise invalid(f"an innovator can set {', '.join(INNOVATOR_STATES)}", "state", "literal_error",
                          expected=list(INNOVATOR_STATES))
        if actor.innovator_id != innovator_id:
            raise forbidden("an innovator can only respond for its own profile")
        if state == "interested" and challenge.status != "open":
            raise ServiceError(409, "closed", f"challenge {challenge.id!r} is closed", "state", key="err_closed")


def record(session: Session, actor: Actor, challenge: ChallengeRow, innovator_id: str, state: str,
           note: str = "") -> dict[str, Any]:
    """Append one event and commit it with its notifications (the caller has checked that the actor
    may act on this challenge)."""
    row = add_event(session, actor, challenge, innovator_id, state, note)
    session.commit()
    return event_public(row)


def add_event(session: Session, actor: Actor, challenge: ChallengeRow, innovator_id: str, state: str,
              note: str = "") -> EngagementEvent:
    """Add one event and the notifications it causes (service.notify) to the session's transaction,
    without committing: the event and its outbox rows commit, or roll back, together."""
    check_move(actor, state, challenge, innovator_id)
    if session.get(InnovatorRow, innovator_id) is None:
        raise not_found("innovator", innovator_id)
    if state == "interested" and not note.strip():
        raise invalid("a short proposal is needed with an interest", "note", "missing")
    row = EngagementEvent(challenge_id=challenge.id, innovator_id=innovator_id, state=state, note=note.strip(),
                          actor_role=actor.role or "anonymous", actor_name=actor.display_name(), created_at=_now())
    session.add(row)
    session.flush()
    notify.on_engagement(session, row, challenge)
    return row


def undo(session: Session, actor: Actor, challenge_id: str, innovator_id: str) -> dict[str, Any]:
    """Undo the pair's latest active event, if this actor's side made it; returns the pair's new state."""
    active = _events(session, challenge_id=challenge_id, innovator_id=innovator_id, active_only=True)
    if not active:
        raise ServiceError(409, "nothing_to_undo", "nothing to undo for this innovator", "innovator_id",
                           key="err_nothing_to_undo")
    last = active[-1]
    last_side = "innovator" if last.actor_role == "innovator" else "agency"
    if last_side != side_of(actor):
        raise forbidden("only the side that made the last step can undo it")
    if actor.role == "innovator" and actor.innovator_id != innovator_id:
        raise forbidden("an innovator can only undo its own steps")
    last.undone_at = _now()
    session.commit()
    remaining = active[:-1]
    return {"undone": event_public(last), "state": remaining[-1].state if remaining else None}


def history(session: Session, *, challenge_id: str | None = None, innovator_id: str | None = None) -> list[dict]:
    return [event_public(r) for r in _events(session, challenge_id=challenge_id, innovator_id=innovator_id)]


def pairs_tsv(session: Session) -> str:
    """Latest active agency decision per pair as graded labeled pairs (the eval/train format)."""
    latest: dict[tuple[str, str], str] = {}
    for row in _events(session, active_only=True):
        if row.actor_role in AGENCY_SIDE and row.state in GRADE:
            latest[(row.challenge_id, row.innovator_id)] = row.state
    lines = ["challenge_id\tinnovator_id\tgrade\tsplit"]
    lines += [f"{c}\t{i}\t{GRADE[s]}\ttrain" for (c, i), s in sorted(latest.items())]
    return "\n".join(lines) + "\n"
