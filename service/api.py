"""JSON API under /v1. Thin routes: parse into service.schemas, call service.operations, shape the response.

Every request and response body is a schema of service.schemas (OpenAPI shows them); every error is
service.schemas.ErrorResponse (declared for the whole router). Dependencies are the Annotated
aliases of service.deps (SessionDep, IndexDep, ActorDep).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import text

from matcher.filters import Filters
from matcher.records import InnovatorKind, Language, Status
from matcher.text import QUERY_WINDOW_CHARS
from matcher.validation import InvalidInput

from service import operations as ops
from service.deps import ActorDep, IfMatchDep, IndexDep, PathId, SessionDep, WriteSessionDep, etag
from service.errors import invalid, invalid_fields
from service.schemas import (ERROR_RESPONSES, ErrorResponse, AgencyCreate, AgencyPublic, ChallengeCreate, ChallengePublic,
                             ChallengeQuery, ChallengeUpdate, EngagementEvent, EngagementRequest, FeedbackRequest,
                             Health, Hit, InnovatorCreate, InnovatorPublic, InnovatorQuery, InnovatorRegistered,
                             InnovatorUpdate, Items, KeyIssued, KeyRequest, Matches, NewForSavedSearch, Page, Ready,
                             Reindexed, SavedSearchPublic, SavedSearchRequest, SearchRequest, SimilarRequest, Undone)

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)

Record = dict[str, Any]


# --- shared parameters -----------------------------------------------------------------------

def checked(filters: Filters, side: str, prefix: str = "") -> Filters:
    """`filters`, or a 422 naming each filter that does not apply to `side` (min_trl on challenges...)."""
    try:
        return filters.check_side(side, prefix=prefix)
    except InvalidInput as exc:
        raise invalid_fields(exc) from None


def _filter_params(side: str):
    """The query-string filters of a match route for `side` (the kind of record ranked)."""

    def params(sector: Annotated[list[str] | None, Query(description="Sector keys or Thai/English labels")] = None,
               theme: Annotated[list[str] | None, Query(description="Theme keys or Thai/English labels")] = None,
               district: Annotated[list[str] | None, Query(description="District keys or Thai/English names")] = None,
               kind: Annotated[list[InnovatorKind] | None, Query(description="Innovators only")] = None,
               status: Annotated[list[Status] | None, Query(description="Challenges only")] = None,
               language: Annotated[list[Language] | None, Query(description="Language of the record's text")] = None,
               min_trl: Annotated[int | None, Query(ge=1, le=9, description="Innovators only")] = None) -> Filters:
        try:
            return Filters.from_params(sector=sector, theme=theme, district=district, kind=kind, status=status,
                                       language=language, min_trl=min_trl, side=side)
        except InvalidInput as exc:
            raise invalid_fields(exc) from None

    return params


InnovatorFilters = Annotated[Filters, Depends(_filter_params("innovators"))]
ChallengeFilters = Annotated[Filters, Depends(_filter_params("challenges"))]
Format = Annotated[str, Query(pattern="^(json|csv)$", description="json, or csv (UTF-8 with BOM)")]
K = Annotated[int, Query(ge=1, le=200, description="Number of results")]
Mode = Annotated[str | None, Query(pattern="^(dense|lexical|hybrid)$", description="Retrieval mode (default hybrid)")]

NOTHING_FITS = {"th": "ไม่มีรายการที่เหมาะพอจะแนะนำ (ทุกรายการต่ำกว่าเกณฑ์ความเหมาะสม)",
                "en": "Nothing fits well enough to suggest (every candidate is below the relevance floor)"}

MATCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "Matches (JSON), or CSV with format=csv"}}


QUERY_CUT = {"th": f"ข้อความค้นหายาวเกิน ระบบอ่านเฉพาะ {QUERY_WINDOW_CHARS:,} ตัวอักษรแรก",
             "en": f"The query is longer than the matcher reads; only its first {QUERY_WINDOW_CHARS:,} characters were used"}


def matches_body(data: list[dict[str, Any]], query_cut: bool = False) -> dict[str, Any]:
    """A list of matches; an empty one says so in both languages instead of returning bare [];
    a query cut to the matcher's window says that too."""
    body: dict[str, Any] = {"data": data, "count": len(data), "nothing_fits": not data, "query_cut": query_cut}
    if not data:
        body["message"] = NOTHING_FITS
    elif query_cut:
        body["message"] = QUERY_CUT
    return body


def csv_response(content: str, name: str) -> Response:
    return Response("\ufeff" + content, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- health ----------------------------------------------------------------------------------

@router.get("/health", tags=["health"], response_model=Health)
def health() -> Record:
    return {"status": "ok"}


@router.get("/ready", tags=["health"], response_model=Ready,
            responses={503: {"description": "Still preparing the index (with progress), or the database is unreachable "
                                            "(the error, with Retry-After)",
                             "content": {"application/json": {"schema": {"anyOf": [
                                 {"$ref": "#/components/schemas/Ready"},
                                 {"$ref": "#/components/schemas/ErrorResponse"}]}}}}})
def ready(request: Request, session: SessionDep) -> Any:
    """200 when the database answers and this process's index is ready; 503 with progress before."""
    session.execute(text("SELECT 1"))
    index = request.app.state.index
    body = {"status": index.status, "progress": index.progress, "index": index.sizes(), "last_seq": index.last_seq,
            "startup": index.report}
    return body if index.ready else JSONResponse(Ready.model_validate(body).model_dump(mode="json"), status_code=503)


@router.get("/metrics", tags=["health"])
def metrics(request: Request, index: IndexDep) -> Record:
    return {**request.app.state.metrics.snapshot(), "index_sizes": index.sizes()}


# --- challenges ------------------------------------------------------------------------------

VERSIONED = {412: {"model": ErrorResponse, "description": "If-Match names a version that is no longer current"},
             428: {"model": ErrorResponse, "description": "If-Match is required (setting require_if_match)"}}
"""Extra error responses of conditional writes (PATCH, DELETE, close)."""


def versioned(record: Record, response: Response) -> Record:
    """`record` with its version as the response's ETag (send it back as If-Match to write safely)."""
    response.headers["ETag"] = etag(int(record["version"]))
    return record


@router.post("/challenges", status_code=201, tags=["challenges"], response_model=ChallengePublic)
def create_challenge(body: ChallengeCreate, response: Response, session: SessionDep, index: IndexDep,
                     actor: ActorDep) -> Record:
    return versioned(ops.create_challenge(session, index, actor, body.model_dump(mode="json", exclude_unset=True)),
                     response)


@router.post("/challenges/similar", tags=["challenges"], response_model=Items[Hit])
def similar(body: SimilarRequest, session: SessionDep, index: IndexDep, actor: ActorDep) -> Record:
    data = ops.similar_challenges(session, index, actor, body.text, body.k)
    return {"data": data, "count": len(data)}


@router.get("/challenges", tags=["challenges"], response_model=Page[ChallengePublic])
def list_challenges(query: Annotated[ChallengeQuery, Query()], session: SessionDep, actor: ActorDep) -> Record:
    """Challenges the caller may see (confidential ones: own agency, admin), newest first; filtered,
    paged and counted in the database."""
    return ops.list_challenges(session, actor, **query.model_dump())


@router.get("/challenges/{challenge_id}", tags=["challenges"], response_model=ChallengePublic)
def get_challenge(challenge_id: PathId, response: Response, session: SessionDep, actor: ActorDep) -> Record:
    """A challenge; its `ETag` is its version (send it as If-Match with a PATCH)."""
    return versioned(ops.challenge_public(ops.load_challenge(session, actor, challenge_id)), response)


@router.patch("/challenges/{challenge_id}", tags=["challenges"], response_model=ChallengePublic, responses=VERSIONED)
def update_challenge(challenge_id: PathId, body: ChallengeUpdate, response: Response, session: SessionDep,
                     index: IndexDep, actor: ActorDep, expected: IfMatchDep) -> Record:
    """Change the fields given. With `If-Match` (the ETag of your read) the change applies only to
    that version (412 otherwise); without it, it is merged onto the current version."""
    return versioned(ops.update_challenge(session, index, actor, challenge_id,
                                          body.model_dump(mode="json", exclude_unset=True), expected), response)


@router.post("/challenges/{challenge_id}/close", tags=["challenges"], response_model=ChallengePublic,
             responses=VERSIONED)
def close_challenge(challenge_id: PathId, response: Response, session: SessionDep, index: IndexDep, actor: ActorDep,
                    expected: IfMatchDep) -> Record:
    return versioned(ops.update_challenge(session, index, actor, challenge_id, {"status": "closed"}, expected),
                     response)


@router.get("/challenges/{challenge_id}/matches", tags=["matching"], response_model=Matches, responses=MATCH_RESPONSES)
def challenge_matches(challenge_id: PathId, session: SessionDep, index: IndexDep, actor: ActorDep,
                      filters: InnovatorFilters, k: K = 10, mode: Mode = None, format: Format = "json",
                      include_weak: Annotated[bool, Query(description="Also list candidates below the relevance floor")] = False
                      ) -> Any:
    data = ops.match_challenge(session, index, actor, challenge_id, k, mode, filters, include_weak)
    if format == "csv":
        return csv_response(ops.hits_csv(data), f"{challenge_id}-suggestions.csv")
    return matches_body(data)


# --- engagements -----------------------------------------------------------------------------

@router.post("/challenges/{challenge_id}/feedback", status_code=201, tags=["engagements"], response_model=EngagementEvent)
def feedback(challenge_id: PathId, body: FeedbackRequest, session: WriteSessionDep, actor: ActorDep) -> Record:
    """The first API's decisions (shortlist / accept / reject), recorded as engagement events."""
    return ops.record_feedback(session, actor, challenge_id, body.innovator_id, body.decision, body.note)


@router.get("/challenges/{challenge_id}/feedback", tags=["engagements"], response_model=Items[EngagementEvent])
def list_feedback(challenge_id: PathId, session: SessionDep, actor: ActorDep) -> Record:
    """The pair history of a challenge (same as /engagements; kept for the first API's clients)."""
    return ops.challenge_engagements(session, actor, challenge_id)


@router.post("/challenges/{challenge_id}/engagements", status_code=201, tags=["engagements"],
             response_model=EngagementEvent)
def engage(challenge_id: PathId, body: EngagementRequest, session: WriteSessionDep, actor: ActorDep) -> Record:
    """Agency: invite / shortlist / accept / decline an innovator. Innovator: interested (with a proposal
    in `note`) or declined; `innovator_id` defaults to the innovator's own profile."""
    actor.require("agency", "admin", "innovator")
    innovator_id = body.innovator_id or actor.innovator_id
    if not innovator_id:
        raise invalid("innovator_id is required", "innovator_id", "missing")
    return ops.engage(session, actor, challenge_id, innovator_id, body.state, body.note)


@router.get("/challenges/{challenge_id}/engagements", tags=["engagements"], response_model=Items[EngagementEvent])
def challenge_engagements(challenge_id: PathId, session: SessionDep, actor: ActorDep) -> Record:
    return ops.challenge_engagements(session, actor, challenge_id)


@router.post("/challenges/{challenge_id}/engagements/{innovator_id}/undo", tags=["engagements"], response_model=Undone)
def undo_engagement(challenge_id: PathId, innovator_id: PathId, session: WriteSessionDep, actor: ActorDep) -> Record:
    """Undo the pair's latest step, if the caller's side made it."""
    actor.require("agency", "admin", "innovator")
    return ops.undo_engagement(session, actor, challenge_id, innovator_id)


@router.get("/innovators/{innovator_id}/engagements", tags=["engagements"], response_model=Items[EngagementEvent])
def innovator_engagements(innovator_id: PathId, session: SessionDep, actor: ActorDep) -> Record:
    return ops.innovator_engagements(session, actor, innovator_id)


@router.get("/feedback/export", tags=["engagements"], response_class=PlainTextResponse)
def export_feedback(session: SessionDep, actor: ActorDep) -> str:
    """Feedback as graded labeled pairs (TSV) for `matcher eval` and `matcher train`."""
    return ops.export_pairs_tsv(session, actor)


# --- innovators ------------------------------------------------------------------------------

@router.post("/innovators", status_code=201, tags=["innovators"], response_model=InnovatorRegistered)
def register_innovator(body: InnovatorCreate, response: Response, session: SessionDep, index: IndexDep,
                       actor: ActorDep) -> Record:
    record, key, _user = ops.register_innovator(session, index, actor, body.model_dump(mode="json", exclude_unset=True))
    return versioned({**record, "api_key": key}, response)


@router.get("/innovators", tags=["innovators"], response_model=Page[InnovatorPublic])
def list_innovators(query: Annotated[InnovatorQuery, Query()], session: SessionDep, actor: ActorDep) -> Record:
    """Public profiles, newest first; filtered, paged and counted in the database."""
    return ops.list_innovators(session, **query.model_dump(), actor=actor)


@router.get("/innovators/{innovator_id}", tags=["innovators"], response_model=InnovatorPublic)
def get_innovator(innovator_id: PathId, response: Response, session: SessionDep, actor: ActorDep) -> Record:
    """A profile; its contact only for agency staff (when shared) and the innovator itself. Its
    `ETag` is its version (send it as If-Match with a PATCH or DELETE)."""
    return versioned(ops.innovator_public(session, actor, innovator_id), response)


@router.patch("/innovators/{innovator_id}", tags=["innovators"], response_model=InnovatorPublic, responses=VERSIONED)
def update_innovator(innovator_id: PathId, body: InnovatorUpdate, response: Response, session: SessionDep,
                     index: IndexDep, actor: ActorDep, expected: IfMatchDep) -> Record:
    return versioned(ops.update_innovator(session, index, actor, innovator_id,
                                          body.model_dump(mode="json", exclude_unset=True), expected), response)


@router.delete("/innovators/{innovator_id}", status_code=204, tags=["innovators"], response_class=Response,
               responses=VERSIONED)
def delete_innovator(innovator_id: PathId, session: SessionDep, index: IndexDep, actor: ActorDep,
                     expected: IfMatchDep) -> Response:
    """Delete a profile. Its id is kept as a tombstone and never given out again."""
    ops.delete_innovator(session, index, actor, innovator_id, expected)
    return Response(status_code=204)


@router.get("/innovators/{innovator_id}/matches", tags=["matching"], response_model=Matches)
def innovator_matches(innovator_id: PathId, session: SessionDep, index: IndexDep, actor: ActorDep,
                      filters: ChallengeFilters, k: K = 10, mode: Mode = None) -> Record:
    data = ops.match_innovator(session, index, actor, innovator_id, k, mode, filters)
    return matches_body(data)


@router.post("/innovators/{innovator_id}/saved-searches", status_code=201, tags=["innovators"],
             response_model=SavedSearchPublic)
def save_search(innovator_id: PathId, body: SavedSearchRequest, session: WriteSessionDep, actor: ActorDep) -> Record:
    filters = checked(body.filters, "challenges", "filters.")
    return ops.create_saved_search(session, actor, innovator_id, body.text, filters)


@router.get("/innovators/{innovator_id}/saved-searches", tags=["innovators"], response_model=Items[SavedSearchPublic])
def saved_searches(innovator_id: PathId, session: SessionDep, actor: ActorDep) -> Record:
    return ops.list_saved_searches(session, actor, innovator_id)


@router.get("/innovators/{innovator_id}/saved-searches/{search_id}/new", tags=["innovators"],
            response_model=NewForSavedSearch)
def saved_search_new(innovator_id: PathId, search_id: Annotated[int, Path(ge=1, le=2**63 - 1)], session: WriteSessionDep, index: IndexDep, actor: ActorDep,
                     mark_seen: bool = False, k: Annotated[int, Query(ge=1, le=200)] = 20) -> Record:
    return ops.new_for_saved_search(session, index, actor, innovator_id, search_id, k, mark_seen)


# --- search ----------------------------------------------------------------------------------

@router.post("/search", tags=["search"], response_model=Matches, responses=MATCH_RESPONSES)
def search(body: SearchRequest, session: SessionDep, index: IndexDep, actor: ActorDep, format: Format = "json") -> Any:
    filters = checked(body.filters, body.target, "filters.")
    text, cut = ops.query_text(body.text)
    data = ops.search(session, index, actor, text, body.target, body.k, filters, body.mode)
    if format == "csv":
        return csv_response(ops.hits_csv(data), "search-results.csv")
    return matches_body(data, cut)


# --- administration --------------------------------------------------------------------------

@router.post("/agencies", status_code=201, tags=["admin"], response_model=AgencyPublic)
def create_agency(body: AgencyCreate, session: WriteSessionDep, actor: ActorDep) -> Record:
    return ops.create_agency(session, actor, body.id, body.name_th, body.name_en)


@router.get("/agencies", tags=["admin"], response_model=Items[AgencyPublic])
def agencies(session: SessionDep) -> Record:
    return ops.list_agencies(session)


@router.post("/keys", status_code=201, tags=["admin"], response_model=KeyIssued)
def create_key(body: KeyRequest, session: WriteSessionDep, actor: ActorDep) -> Record:
    key = ops.issue_key(session, actor, body.role, body.agency_id, body.innovator_id, body.label)
    return {"api_key": key, "role": body.role, "agency_id": body.agency_id, "innovator_id": body.innovator_id}


@router.post("/admin/reindex", tags=["admin"], response_model=Reindexed)
def reindex(index: IndexDep, actor: ActorDep) -> Record:
    actor.require("admin")
    return {"reindexed": index.reindex()}
