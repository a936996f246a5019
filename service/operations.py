"""What the service does, independent of HTTP: the JSON API and the web pages both call these.

Every function takes a session, the index service and the actor, checks permissions, validates,
writes the database first and then the indexes.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from matcher.collection import Hit
from matcher.config import RetrievalConfig
from matcher.engine import Side, UnknownRecordError
from matcher.filters import Filters
from matcher.policy import may_see_challenge
from matcher.records import Challenge, Innovator

from service.auth import Actor, create_key
from service import engagements
from service.db import Agency, ApiKey, ChallengeRow, InnovatorRow, SavedSearchRow
from service.errors import ServiceError, conflict, forbidden, invalid, not_found
from service.indexing import IndexService
from service.writes import delete_record, save_record



def _now() -> datetime:
    return datetime.now(timezone.utc)


def ready(index: IndexService) -> IndexService:
    """The index, or 503 while this process is still preparing it (with its progress)."""
    if not index.ready:
        progress = index.progress
        raise ServiceError(503, "starting", f"the index is being prepared ({progress['phase']}: "
                                            f"{progress['indexed']} / {progress['total']}); retry shortly")
    return index


def being_indexed(kind: str, record_id: str) -> ServiceError:
    """A record that is in the database but not yet in this process's index (written a moment ago
    through another process): retry shortly."""
    return ServiceError(503, "indexing", f"{kind} {record_id!r} was just saved and is still being indexed here; "
                                         "retry in a moment")


def validation_error(exc: ValidationError) -> ServiceError:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    return invalid(f"{field}: {first['msg']}" if field else first["msg"], field)


def _validate(model, data: dict[str, Any]):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


# --- challenges -----------------------------------------------------------------------------

def can_see_challenge(actor: Actor, row: ChallengeRow) -> bool:
    return may_see_challenge(actor.viewer, row.confidential, row.agency_id)


def _owns_challenge(actor: Actor, row: ChallengeRow) -> bool:
    return actor.is_admin or (actor.role == "agency" and actor.agency_id == row.agency_id)


def load_challenge(session: Session, actor: Actor, challenge_id: str) -> ChallengeRow:
    """Load or 404; a confidential challenge is a 404 for anyone who may not see it."""
    row = session.get(ChallengeRow, challenge_id)
    if row is None or not can_see_challenge(actor, row):
        raise not_found("challenge", challenge_id)
    return row


def owned_challenge(session: Session, actor: Actor, challenge_id: str) -> ChallengeRow:
    actor.require("agency", "admin")
    row = load_challenge(session, actor, challenge_id)
    if not _owns_challenge(actor, row):
        raise forbidden(f"challenge {challenge_id!r} belongs to another agency")
    return row


def challenge_public(row: ChallengeRow) -> dict[str, Any]:
    return {**row.data, "agency_id": row.agency_id}


def _challenge_columns(data: dict[str, Any]) -> dict[str, Any]:
    return {"agency_id": data.get("agency_id"), "status": data["status"], "confidential": data["confidential"]}


def create_challenge(session: Session, index: IndexService, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    actor.require("agency", "admin")
    data = dict(data)
    agency_id = data.pop("agency_id", None)
    if actor.role == "agency":
        if agency_id not in (None, actor.agency_id):
            raise forbidden("an agency key can only post challenges for its own agency")
        agency_id = actor.agency_id
    elif agency_id is not None and session.get(Agency, agency_id) is None:
        raise invalid(f"unknown agency {agency_id!r}", "agency_id")
    for stamp in ("created_at", "updated_at"):
        data.pop(stamp, None)
    record: Challenge = _validate(Challenge, {**data, "agency_id": agency_id})
    stored = save_record(index, "challenges", record.id, lambda _old: record.model_dump(mode="json"), create=True,
                         columns=_challenge_columns)
    return {**stored, "agency_id": agency_id}


def update_challenge(session: Session, index: IndexService, actor: Actor, challenge_id: str,
                     patch: dict[str, Any]) -> dict[str, Any]:
    row = owned_challenge(session, actor, challenge_id)
    if "id" in patch and patch["id"] != challenge_id:
        raise invalid("id cannot be changed", "id")
    patch = {k: v for k, v in patch.items() if k not in ("created_at", "updated_at", "agency_id")}

    def build(old: dict[str, Any] | None) -> dict[str, Any]:
        merged = {**(old or {}), **patch, "agency_id": row.agency_id, "updated_at": _now().isoformat()}
        if "language" not in patch and ("title" in patch or "description" in patch):
            merged["language"] = None
        return _validate(Challenge, merged).model_dump(mode="json")

    stored = save_record(index, "challenges", challenge_id, build, create=False, columns=_challenge_columns)
    return {**stored, "agency_id": row.agency_id}


def list_challenges(session: Session, actor: Actor, *, status: str | None = None, agency_id: str | None = None,
                    sector: str | None = None, theme: str | None = None, district: str | None = None,
                    skip: int = 0, limit: int = 50) -> dict[str, Any]:
    query = select(ChallengeRow).order_by(ChallengeRow.created_at.desc(), ChallengeRow.id)
    if status:
        query = query.where(ChallengeRow.status == status)
    if agency_id:
        query = query.where(ChallengeRow.agency_id == agency_id)
    rows = [r for r in session.scalars(query) if can_see_challenge(actor, r)]
    rows = [r for r in rows if (not sector or sector in r.data.get("sectors", []))
            and (not theme or theme in r.data.get("themes", [])) and (not district or r.data.get("district") == district)]
    return {"data": [challenge_public(r) for r in rows[skip:skip + limit]], "count": len(rows)}


def similar_challenges(session: Session, index: IndexService, actor: Actor, text: str, k: int = 5) -> list[dict]:
    """Possible duplicates of a pain point before it is posted, from the same index."""
    return hits_payload(ready(index).engine.similar_challenges(text, k, actor.viewer))


# --- matching and feedback ------------------------------------------------------------------

def latest_states(session: Session, challenge_id: str) -> dict[str, str]:
    """innovator id -> the pair's current engagement state, for one challenge."""
    return {i: row.state for (_c, i), row in engagements.states(session, challenge_id=challenge_id).items()}


def hits_payload(hits: list[Hit], states: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Hits as JSON; `states` (innovator id -> engagement state) adds each suggestion's state."""
    return [h.to_dict(state=(states or {}).get(h.key)) for h in hits]


def retrieval_config(mode: str | None) -> RetrievalConfig | None:
    if mode is None:
        return None
    if mode not in ("dense", "lexical", "hybrid"):
        raise invalid("mode must be dense, lexical or hybrid", "mode")
    return RetrievalConfig(mode=mode)


def match_challenge(session: Session, index: IndexService, actor: Actor, challenge_id: str, k: int = 10,
                    mode: str | None = None, filters: Filters | None = None,
                    include_weak: bool = False) -> list[dict[str, Any]]:
    """Ranked innovators for the agency's own challenge; ones the agency declined are not suggested again."""
    owned_challenge(session, actor, challenge_id)
    current = engagements.states(session, challenge_id=challenge_id)
    declined = [i for (_c, i), row in current.items() if row.state == "declined" and row.actor_role != "innovator"]
    try:
        hits = ready(index).engine.match_challenge(challenge_id, k, filters, retrieval_config(mode), exclude=declined,
                                                   floor=False if include_weak else None)
    except UnknownRecordError:
        raise being_indexed("challenge", challenge_id) from None
    return hits_payload(hits, {i: row.state for (_c, i), row in current.items()})


def engage(session: Session, actor: Actor, challenge_id: str, innovator_id: str, state: str,
           note: str = "") -> dict[str, Any]:
    """Move a pair: the owning agency invites or decides; an innovator shows interest or declines."""
    if actor.role == "innovator":
        challenge = load_challenge(session, actor, challenge_id)
    else:
        challenge = owned_challenge(session, actor, challenge_id)
    return engagements.record(session, actor, challenge, innovator_id, state, note)


def undo_engagement(session: Session, actor: Actor, challenge_id: str, innovator_id: str) -> dict[str, Any]:
    if actor.role == "innovator":
        load_challenge(session, actor, challenge_id)
    else:
        owned_challenge(session, actor, challenge_id)
    return engagements.undo(session, actor, challenge_id, innovator_id)


def challenge_engagements(session: Session, actor: Actor, challenge_id: str) -> dict[str, Any]:
    """The owning agency sees every pair of its challenge; an innovator only its own."""
    if actor.role == "innovator":
        load_challenge(session, actor, challenge_id)
        data = engagements.history(session, challenge_id=challenge_id, innovator_id=actor.innovator_id)
    else:
        owned_challenge(session, actor, challenge_id)
        data = engagements.history(session, challenge_id=challenge_id)
    return {"data": data, "count": len(data)}


def innovator_engagements(session: Session, actor: Actor, innovator_id: str) -> dict[str, Any]:
    owned_innovator(session, actor, innovator_id)
    data = engagements.history(session, innovator_id=innovator_id)
    return {"data": data, "count": len(data)}


def record_feedback(session: Session, actor: Actor, challenge_id: str, innovator_id: str, decision: str,
                    note: str = "") -> dict[str, Any]:
    """The first API's decisions (shortlist / accept / reject), recorded as engagement events."""
    if decision not in engagements.LEGACY_DECISIONS:
        raise invalid(f"decision must be one of {', '.join(engagements.LEGACY_DECISIONS)}", "decision",
                      "literal_error", expected=list(engagements.LEGACY_DECISIONS))
    return engage(session, actor, challenge_id, innovator_id, engagements.LEGACY_DECISIONS[decision], note)


def export_pairs_tsv(session: Session, actor: Actor) -> str:
    """Latest agency decision per pair as graded labeled pairs (accepted 2, shortlisted 1, declined 0)."""
    actor.require("admin")
    return engagements.pairs_tsv(session)


# --- innovators -----------------------------------------------------------------------------

def load_innovator(session: Session, innovator_id: str) -> InnovatorRow:
    row = session.get(InnovatorRow, innovator_id)
    if row is None:
        raise not_found("innovator", innovator_id)
    return row


def owned_innovator(session: Session, actor: Actor, innovator_id: str) -> InnovatorRow:
    actor.require("innovator", "admin")
    row = load_innovator(session, innovator_id)
    if not actor.is_admin and actor.innovator_id != innovator_id:
        raise forbidden(f"innovator {innovator_id!r} is another party's profile")
    return row


def register_innovator(session: Session, index: IndexService, actor: Actor, data: dict[str, Any]) -> tuple[dict, str]:
    """Public registration: creates the profile and returns it with a new innovator API key (shown once)."""
    data = {k: v for k, v in data.items() if k not in ("created_at", "updated_at")}
    record: Innovator = _validate(Innovator, data)
    keys: list[str] = []

    def issue_key(write_session: Session, _data: dict[str, Any]) -> None:
        keys.append(create_key(write_session, "innovator", innovator_id=record.id,
                               label=f"self-registered {actor.label()}"))

    stored = save_record(index, "innovators", record.id, lambda _old: record.model_dump(mode="json"), create=True,
                         after=issue_key)
    return stored, keys[0]


def update_innovator(session: Session, index: IndexService, actor: Actor, innovator_id: str,
                     patch: dict[str, Any]) -> dict[str, Any]:
    owned_innovator(session, actor, innovator_id)
    if "id" in patch and patch["id"] != innovator_id:
        raise invalid("id cannot be changed", "id")
    patch = {k: v for k, v in patch.items() if k not in ("created_at", "updated_at")}

    def build(old: dict[str, Any] | None) -> dict[str, Any]:
        return _validate(Innovator, {**(old or {}), **patch, "updated_at": _now().isoformat()}).model_dump(mode="json")

    return save_record(index, "innovators", innovator_id, build, create=False)


def delete_innovator(session: Session, index: IndexService, actor: Actor, innovator_id: str) -> None:
    owned_innovator(session, actor, innovator_id)

    def revoke(write_session: Session) -> None:
        write_session.execute(delete(SavedSearchRow).where(SavedSearchRow.innovator_id == innovator_id))
        for key in write_session.scalars(select(ApiKey).where(ApiKey.innovator_id == innovator_id)):
            key.revoked = True

    delete_record(index, "innovators", innovator_id, before=revoke)


def list_innovators(session: Session, skip: int = 0, limit: int = 50) -> dict[str, Any]:
    rows = list(session.scalars(select(InnovatorRow).order_by(InnovatorRow.created_at.desc(), InnovatorRow.id)))
    return {"data": [r.data for r in rows[skip:skip + limit]], "count": len(rows)}


def match_innovator(session: Session, index: IndexService, actor: Actor, innovator_id: str, k: int = 10,
                    mode: str | None = None, filters: Filters | None = None) -> list[dict[str, Any]]:
    """Open, non-confidential challenges for the innovator's own profile."""
    owned_innovator(session, actor, innovator_id)
    try:
        hits = ready(index).engine.match_innovator(innovator_id, k, filters, retrieval_config(mode), actor.viewer)
    except UnknownRecordError:
        raise being_indexed("innovator", innovator_id) from None
    return hits_payload(hits)


# --- search and saved searches --------------------------------------------------------------

def search(session: Session, index: IndexService, actor: Actor, text: str, target: Side, k: int = 10,
           filters: Filters | None = None, mode: str | None = None) -> list[dict[str, Any]]:
    if target not in ("challenges", "innovators"):
        raise invalid("target must be challenges or innovators", "target")
    if not text or not text.strip():
        raise invalid("text must not be empty", "text")
    hits = ready(index).engine.search_text(text, target, k, filters, retrieval_config(mode), actor.viewer)
    return hits_payload(hits)


def create_saved_search(session: Session, actor: Actor, innovator_id: str, text: str, filters: Filters) -> dict:
    owned_innovator(session, actor, innovator_id)
    if not text.strip():
        raise invalid("text must not be empty", "text")
    row = SavedSearchRow(innovator_id=innovator_id, text=text, filters=filters.model_dump(), last_seen_at=_now(),
                         created_at=_now())
    session.add(row)
    session.commit()
    return saved_search_public(row)


def saved_search_public(row: SavedSearchRow) -> dict[str, Any]:
    return {"id": row.id, "innovator_id": row.innovator_id, "text": row.text, "filters": row.filters,
            "last_seen_at": row.last_seen_at.isoformat(), "created_at": row.created_at.isoformat()}


def list_saved_searches(session: Session, actor: Actor, innovator_id: str) -> dict[str, Any]:
    owned_innovator(session, actor, innovator_id)
    rows = list(session.scalars(select(SavedSearchRow).where(SavedSearchRow.innovator_id == innovator_id)))
    return {"data": [saved_search_public(r) for r in rows], "count": len(rows)}


def new_for_saved_search(session: Session, index: IndexService, actor: Actor, innovator_id: str, search_id: int,
                         k: int = 20, mark_seen: bool = False) -> dict[str, Any]:
    """Open challenges matching a saved search that were posted since it was last seen."""
    owned_innovator(session, actor, innovator_id)
    row = session.get(SavedSearchRow, search_id)
    if row is None or row.innovator_id != innovator_id:
        raise not_found("saved search", str(search_id))
    since = row.last_seen_at if row.last_seen_at.tzinfo else row.last_seen_at.replace(tzinfo=timezone.utc)
    hits = search(session, index, actor, row.text, "challenges", max(k, 50), Filters.model_validate(row.filters))
    fresh = []
    for hit in hits:
        challenge = session.get(ChallengeRow, hit["id"])
        created = challenge.created_at if challenge.created_at.tzinfo else challenge.created_at.replace(tzinfo=timezone.utc)
        if created > since:
            fresh.append(hit)
    if mark_seen:
        row.last_seen_at = _now()
        session.commit()
    return {"saved_search": saved_search_public(row), "data": fresh[:k], "count": len(fresh[:k])}


# --- exports --------------------------------------------------------------------------------

def hits_csv(hits: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["rank", "id", "title", "fit", "band", "language", "state", "cross_lingual", "shared_terms",
                     "why_en", "why_th"])
    for h in hits:
        why = h["explanation"]
        writer.writerow([h["rank"], h["id"], h["title"], "" if h.get("fit") is None else h["fit"], h.get("band") or "",
                         h["language"], h.get("state") or "",
                         why.get("cross_lingual"), " ".join(why.get("shared_terms", [])),
                         why.get("summary", {}).get("en", ""), why.get("summary", {}).get("th", "")])
    return buffer.getvalue()


# --- administration -------------------------------------------------------------------------

def create_agency(session: Session, actor: Actor, agency_id: str, name_th: str, name_en: str) -> dict[str, Any]:
    actor.require("admin")
    if session.get(Agency, agency_id) is not None:
        raise conflict("agency", agency_id)
    row = Agency(id=agency_id, name_th=name_th, name_en=name_en, created_at=_now())
    session.add(row)
    session.commit()
    return agency_public(row)


def agency_public(row: Agency) -> dict[str, Any]:
    return {"id": row.id, "name_th": row.name_th, "name_en": row.name_en}


def list_agencies(session: Session) -> dict[str, Any]:
    rows = list(session.scalars(select(Agency).order_by(Agency.id)))
    return {"data": [agency_public(r) for r in rows], "count": len(rows)}


def issue_key(session: Session, actor: Actor, role: str, agency_id: str | None, innovator_id: str | None,
              label: str = "") -> str:
    actor.require("admin")
    key = create_key(session, role, agency_id, innovator_id, label)
    session.commit()
    return key
