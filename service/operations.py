"""What the service does, independent of HTTP: the JSON API and the web pages both call these.

Every function takes a session, the index service and the actor, checks permissions, validates,
writes the database first and then the indexes.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from matcher.collection import Hit
from matcher.config import RetrievalConfig
from matcher.engine import Side, UnknownRecordError
from matcher.filters import Filters
from matcher.policy import may_see_challenge, may_see_contact
from matcher.records import Challenge, Innovator
from matcher.text import TextProblem, check_text, cut_query

from service.auth import Actor, create_key
from service import accounts, engagements, suggestions
from service.db import Agency, ApiKey, ChallengeRow, InnovatorRow, SavedSearchRow, aware
from service.errors import RETRY_AFTER_SECONDS, ServiceError, conflict, forbidden, from_pydantic, invalid, not_found
from service.indexing import IndexService
from service import queries
from service.schemas import ChallengeQuery, InnovatorQuery
from service.writes import delete_record, save_record



NewAccount = tuple[str, str, str]
"""(login, display name, password) of a person's account created with a profile."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def ready(index: IndexService) -> IndexService:
    """The index, or 503 while this process is still preparing it (with its progress)."""
    if not index.ready:
        progress = index.progress
        raise ServiceError(503, "starting", f"the index is being prepared ({progress['phase']}: "
                                            f"{progress['indexed']} / {progress['total']}); retry shortly",
                           headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return index


def being_indexed(kind: str, record_id: str) -> ServiceError:
    """A record that is in the database but not yet in this process's index (written a moment ago
    through another process): retry shortly."""
    return ServiceError(503, "indexing", f"{kind} {record_id!r} was just saved and is still being indexed here; "
                                         "retry in a moment", headers={"Retry-After": "1"})


def validation_error(exc: ValidationError) -> ServiceError:
    """A record's (or a query's) pydantic errors as one 422 listing every invalid field."""
    return from_pydantic(exc.errors())


def _validate(model, data: dict[str, Any]):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


# --- challenges -----------------------------------------------------------------------------

def can_see_challenge(actor: Actor, row: ChallengeRow) -> bool:
    return may_see_challenge(actor.viewer, row.confidential, row.agency_id)


def owns_challenge(actor: Actor, row: ChallengeRow) -> bool:
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
    if not owns_challenge(actor, row):
        raise forbidden(f"challenge {challenge_id!r} belongs to another agency")
    return row


def challenge_public(row: ChallengeRow) -> dict[str, Any]:
    """The stored record plus the posting agency's names in both languages."""
    agency = row.agency_row
    names = {"th": agency.name_th, "en": agency.name_en} if agency else {"th": row.data.get("agency", ""),
                                                                         "en": row.data.get("agency", "")}
    return {**row.data, "agency_id": row.agency_id, "agency_name": names, "version": row.version}


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
    agency = session.get(Agency, agency_id) if agency_id else None
    if agency is not None:
        data["agency"] = agency.name_th  # the posting agency is the account's, never a free field
    record: Challenge = _validate(Challenge, {**data, "agency_id": agency_id})
    stored, version = save_record(index, "challenges", record.id, lambda _old: record.model_dump(mode="json"),
                                  create=True, columns=_challenge_columns)
    return {**stored, "agency_id": agency_id, "version": version}


def update_challenge(session: Session, index: IndexService, actor: Actor, challenge_id: str,
                     patch: dict[str, Any], expected_version: int | None = None) -> dict[str, Any]:
    row = owned_challenge(session, actor, challenge_id)
    if "id" in patch and patch["id"] != challenge_id:
        raise invalid("id cannot be changed", "id")
    fixed = ("created_at", "updated_at", "agency_id") + (("agency",) if row.agency_id else ())
    patch = {k: v for k, v in patch.items() if k not in fixed}

    def build(old: dict[str, Any] | None) -> dict[str, Any]:
        merged = {**(old or {}), **patch, "agency_id": row.agency_id, "updated_at": _now().isoformat()}
        if "language" not in patch and ("title" in patch or "description" in patch):
            merged["language"] = None
        return _validate(Challenge, merged).model_dump(mode="json")

    stored, version = save_record(index, "challenges", challenge_id, build, create=False, columns=_challenge_columns,
                                  expected_version=expected_version)
    return {**stored, "agency_id": row.agency_id, "version": version}


def list_challenges(session: Session, actor: Actor, *, status: str | None = None, agency_id: str | None = None,
                    sector: str | None = None, theme: str | None = None, district: str | None = None,
                    deadline_before: date | str | None = None, deadline_after: date | str | None = None,
                    q: str | None = None, skip: int = 0, limit: int = 50) -> dict[str, Any]:
    """The challenges `actor` may see, filtered, newest first, one page: {data, count, skip, limit}.
    Values are checked like the API's query (service.schemas.ChallengeQuery): an unknown status,
    sector, theme or district is a 422 naming the field; labels resolve to keys. Filtering, paging
    and counting happen in the database (service.queries)."""
    query = _validate(ChallengeQuery, {"status": status, "agency_id": agency_id, "sector": sector, "theme": theme,
                                       "district": district, "deadline_before": deadline_before,
                                       "deadline_after": deadline_after, "q": q, "skip": skip, "limit": limit})
    rows, count = queries.challenge_page(session, actor.viewer, **query.model_dump())
    return {"data": [challenge_public(r) for r in rows], "count": count, "skip": query.skip, "limit": query.limit}


def similar_challenges(session: Session, index: IndexService, actor: Actor, text: str, k: int = 5) -> list[dict]:
    """Possible duplicates of a pain point before it is posted, from the same index."""
    text, _cut = query_text(text)
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
    declined = engagements.declined_by_agency(session, challenge_id)
    try:
        hits = ready(index).engine.match_challenge(challenge_id, k, filters, retrieval_config(mode), exclude=declined,
                                                   floor=False if include_weak else None)
    except UnknownRecordError:
        raise being_indexed("challenge", challenge_id) from None
    payload = hits_payload(hits, {i: row.state for (_c, i), row in current.items()})
    return suggestions.innovator_cards(session, index.engine, payload, actor.viewer, challenge_id=challenge_id)


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


def innovator_public(session: Session, actor: Actor, innovator_id: str) -> dict[str, Any]:
    """A profile as this actor may see it: the contact only where matcher.policy allows."""
    row = load_innovator(session, innovator_id)
    data = {**row.data, "version": row.version}
    if not may_see_contact(actor.viewer, bool(data.get("share_contact", True)),
                           actor.is_admin or actor.innovator_id == innovator_id):
        data["contact"] = None
    return data


def owned_innovator(session: Session, actor: Actor, innovator_id: str) -> InnovatorRow:
    actor.require("innovator", "admin")
    row = load_innovator(session, innovator_id)
    if not actor.is_admin and actor.innovator_id != innovator_id:
        raise forbidden(f"innovator {innovator_id!r} is another party's profile")
    return row


def register_innovator(session: Session, index: IndexService, actor: Actor, data: dict[str, Any],
                       account: NewAccount | None = None) -> tuple[dict, str | None, int | None]:
    """Public registration: the profile plus either a person's account (`account`: login, display
    name, password; from the web page) or a new innovator API key (integrations; shown once).
    Returns (record, api key or None, user id or None); the profile and its credential are written in
    one transaction, and every invalid field of both is reported at once."""
    data = {k: v for k, v in data.items() if k not in ("created_at", "updated_at")}
    errors = list(accounts.account_errors(*account)) if account else []
    try:
        record: Innovator = Innovator.model_validate(data)
    except ValidationError as exc:
        raise ServiceError(422, "invalid", "invalid registration", errors=errors + validation_error(exc).errors) from None
    if errors:
        raise ServiceError(422, "invalid", "invalid account", errors=errors)
    if account:
        accounts.check_login_free(session, account[0])
    credentials: list[Any] = []

    def issue_credential(write_session: Session, _data: dict[str, Any]) -> None:
        if account:
            login, display_name, password = account
            credentials.append(accounts.new_user(write_session, login, display_name, password, "innovator",
                                                 innovator_id=record.id).id)
        else:
            credentials.append(create_key(write_session, "innovator", innovator_id=record.id,
                                          label=f"self-registered {actor.label()}"))

    stored, version = save_record(index, "innovators", record.id, lambda _old: record.model_dump(mode="json"),
                                  create=True, after=issue_credential)
    stored = {**stored, "version": version}
    return (stored, None, credentials[0]) if account else (stored, credentials[0], None)


def update_innovator(session: Session, index: IndexService, actor: Actor, innovator_id: str,
                     patch: dict[str, Any], expected_version: int | None = None) -> dict[str, Any]:
    owned_innovator(session, actor, innovator_id)
    if "id" in patch and patch["id"] != innovator_id:
        raise invalid("id cannot be changed", "id")
    patch = {k: v for k, v in patch.items() if k not in ("created_at", "updated_at")}

    def build(old: dict[str, Any] | None) -> dict[str, Any]:
        return _validate(Innovator, {**(old or {}), **patch, "updated_at": _now().isoformat()}).model_dump(mode="json")

    stored, version = save_record(index, "innovators", innovator_id, build, create=False,
                                  expected_version=expected_version)
    return {**stored, "version": version}


def delete_innovator(session: Session, index: IndexService, actor: Actor, innovator_id: str,
                     expected_version: int | None = None) -> None:
    owned_innovator(session, actor, innovator_id)

    def revoke(write_session: Session) -> None:
        write_session.execute(delete(SavedSearchRow).where(SavedSearchRow.innovator_id == innovator_id))
        for key in write_session.scalars(select(ApiKey).where(ApiKey.innovator_id == innovator_id)):
            key.revoked = True

    delete_record(index, "innovators", innovator_id, before=revoke, expected_version=expected_version)


def list_innovators(session: Session, *, kind: str | None = None, sector: str | None = None,
                    theme: str | None = None, district: str | None = None, language: str | None = None,
                    q: str | None = None, skip: int = 0, limit: int = 50,
                    actor: Actor | None = None) -> dict[str, Any]:
    """Innovator profiles, filtered, newest first, one page: {data, count, skip, limit}; checked like
    the API's query (service.schemas.InnovatorQuery), filtered and paged in the database. Contacts
    only where matcher.policy allows `actor` (none for an anonymous list)."""
    query = _validate(InnovatorQuery, {"kind": kind, "sector": sector, "theme": theme, "district": district,
                                       "language": language, "q": q, "skip": skip, "limit": limit})
    rows, count = queries.innovator_page(session, **query.model_dump())
    data = []
    for row in rows:
        profile = dict(row.data)
        if actor is None or not may_see_contact(actor.viewer, bool(profile.get("share_contact", True)),
                                                actor.is_admin or actor.innovator_id == row.id):
            profile["contact"] = None
        data.append(profile)
    return {"data": data, "count": count, "skip": query.skip, "limit": query.limit}


def match_innovator(session: Session, index: IndexService, actor: Actor, innovator_id: str, k: int = 10,
                    mode: str | None = None, filters: Filters | None = None) -> list[dict[str, Any]]:
    """Open, non-confidential challenges for the innovator's own profile."""
    owned_innovator(session, actor, innovator_id)
    try:
        hits = ready(index).engine.match_innovator(innovator_id, k, filters, retrieval_config(mode), actor.viewer)
    except UnknownRecordError:
        raise being_indexed("innovator", innovator_id) from None
    return suggestions.challenge_cards(session, hits_payload(hits))


# --- search and saved searches --------------------------------------------------------------

def query_text(text: str, field: str = "text") -> tuple[str, bool]:
    """A free-text query checked by the one text rule (422 naming `field`) and cut to what the
    matcher reads: (text, whether it was cut)."""
    try:
        check_text(text or "")
    except TextProblem as exc:
        raise invalid(str(exc), field, exc.type) from None
    return cut_query(text)


def search(session: Session, index: IndexService, actor: Actor, text: str, target: Side, k: int = 10,
           filters: Filters | None = None, mode: str | None = None, field: str = "text") -> list[dict[str, Any]]:
    if target not in ("challenges", "innovators"):
        raise invalid("target must be challenges or innovators", "target")
    text, _cut = query_text(text, field)
    hits = ready(index).engine.search_text(text, target, k, filters, retrieval_config(mode), actor.viewer)
    payload = hits_payload(hits)
    if target == "challenges":
        return suggestions.challenge_cards(session, payload)
    return suggestions.innovator_cards(session, index.engine, payload, actor.viewer, text=text,
                                       own_innovator=actor.innovator_id)


def create_saved_search(session: Session, actor: Actor, innovator_id: str, text: str, filters: Filters) -> dict:
    owned_innovator(session, actor, innovator_id)
    query_text(text)
    row = SavedSearchRow(innovator_id=innovator_id, text=text, filters=filters.model_dump(), last_seen_at=_now(),
                         created_at=_now())
    session.add(row)
    session.commit()
    return saved_search_public(row)


def saved_search_public(row: SavedSearchRow) -> dict[str, Any]:
    return {"id": row.id, "innovator_id": row.innovator_id, "text": row.text, "filters": row.filters,
            "last_seen_at": aware(row.last_seen_at).isoformat(), "created_at": aware(row.created_at).isoformat()}


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
    since = aware(row.last_seen_at)
    fresh = saved_search_hits(session, index, actor, row, since, k)
    if mark_seen:
        row.last_seen_at = _now()
        session.commit()
    return {"saved_search": saved_search_public(row), "data": fresh, "count": len(fresh)}


def saved_search_hits(session: Session, index: IndexService, actor: Actor, row: SavedSearchRow, since: datetime,
                      k: int = 20) -> list[dict[str, Any]]:
    """Open challenges matching a saved search, posted after `since`, best first (at most k). The
    one rule for "new for a saved search": the API above and the e-mail alerts (service.notify_alerts)."""
    hits = search(session, index, actor, row.text, "challenges", max(k, 50), Filters.model_validate(row.filters))
    fresh = []
    for hit in hits:
        challenge = session.get(ChallengeRow, hit["id"])
        created = aware(challenge.created_at)
        if created > since:
            fresh.append(hit)
    return fresh[:k]


# --- exports --------------------------------------------------------------------------------

CSV_COLUMNS = ("rank", "id", "title", "fit", "band", "language", "state", "kind", "district", "languages",
               "solution_title", "solution_trl", "solution_snippet", "contact_person", "contact_email", "contact_phone",
               "contact_website", "contact_line_id", "agency_th", "agency_en", "deadline", "budget_min_thb",
               "budget_max_thb", "status", "cross_lingual", "shared_terms", "why_en", "why_th")
"""The CSV export's columns: the JSON fields of a suggestion, flattened (empty when not applicable)."""


def hits_csv(hits: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for h in hits:
        writer.writerow([_csv_cell(_flat(h).get(column)) for column in CSV_COLUMNS])
    return buffer.getvalue()


def _flat(hit: dict[str, Any]) -> dict[str, Any]:
    why = hit.get("explanation") or {}
    solution = hit.get("solution") or {}
    contact = hit.get("contact") or {}
    agency = hit.get("agency_name") or {}
    return {**hit, "languages": " ".join(hit.get("languages") or []), "solution_title": solution.get("title"),
            "solution_trl": solution.get("trl"), "solution_snippet": solution.get("snippet"),
            **{f"contact_{k}": v for k, v in contact.items()}, "agency_th": agency.get("th"), "agency_en": agency.get("en"),
            "cross_lingual": why.get("cross_lingual"), "shared_terms": " ".join(why.get("shared_terms", [])),
            "why_en": why.get("summary", {}).get("en"), "why_th": why.get("summary", {}).get("th")}


def _csv_cell(value: Any) -> Any:
    return "" if value is None else value


# --- administration -------------------------------------------------------------------------

def create_agency(session: Session, actor: Actor, agency_id: str, name_th: str, name_en: str) -> dict[str, Any]:
    """One agency with its Thai and English names (the API's AgencyCreate rules, for pages too)."""
    from service.schemas import AgencyCreate

    actor.require("admin")
    _validate(AgencyCreate, {"id": agency_id, "name_th": name_th, "name_en": name_en})
    if session.get(Agency, agency_id) is not None:
        raise conflict("agency", agency_id)
    row = Agency(id=agency_id, name_th=name_th, name_en=name_en, created_at=_now())
    session.add(row)
    session.commit()
    return agency_public(row)


def agency_by_id(session: Session, agency_id: str | None) -> dict[str, Any] | None:
    row = session.get(Agency, agency_id) if agency_id else None
    return agency_public(row) if row else None


def agency_of(session: Session, actor: Actor) -> dict[str, Any] | None:
    """The actor's own agency (None for admins and innovators)."""
    return agency_by_id(session, actor.agency_id)


def challenge_titles(session: Session, actor: Actor, ids: set[str]) -> dict[str, str]:
    """id -> title of the challenges among `ids` this actor may see."""
    if not ids:
        return {}
    rows = session.scalars(select(ChallengeRow).where(ChallengeRow.id.in_(ids)))
    return {r.id: r.data.get("title", r.id) for r in rows if can_see_challenge(actor, r)}


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
