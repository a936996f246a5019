"""JSON API under /v1. Thin routes: parse, call service.operations, shape the response."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import text
from sqlalchemy.orm import Session

from matcher.filters import Filters

from service import operations as ops
from service.auth import Actor
from service.deps import get_actor, get_index, get_session
from service.errors import invalid
from service.indexing import IndexService
from service.schemas import AgencyRequest, EngagementRequest, FeedbackRequest, KeyRequest, SavedSearchRequest, SearchRequest, SimilarRequest

router = APIRouter(prefix="/v1")

Record = dict[str, Any]


def filter_params(sector: list[str] | None = Query(None), theme: list[str] | None = Query(None),
                  district: list[str] | None = Query(None), kind: list[str] | None = Query(None),
                  language: list[str] | None = Query(None), min_trl: int | None = Query(None, ge=1, le=9)) -> Filters:
    """Query-string filters; keys or Thai/English labels. A 422 names the offending parameter."""
    try:
        return Filters.from_labels(sectors=sector, themes=theme, district=district, kind=kind, language=language,
                                   min_trl=min_trl)
    except ValueError as exc:
        field = str(exc).split()[1] if str(exc).startswith("unknown") else None
        raise invalid(str(exc), field) from None


NOTHING_FITS = {"th": "ไม่มีรายการที่เหมาะพอจะแนะนำ (ทุกรายการต่ำกว่าเกณฑ์ความเหมาะสม)",
                "en": "Nothing fits well enough to suggest (every candidate is below the relevance floor)"}


def matches_body(data: list[dict[str, Any]]) -> dict[str, Any]:
    """A list of matches; an empty one says so in both languages instead of returning bare []."""
    body: dict[str, Any] = {"data": data, "count": len(data), "nothing_fits": not data}
    if not data:
        body["message"] = NOTHING_FITS
    return body


def csv_response(content: str, name: str) -> Response:
    return Response("\ufeff" + content, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- health ----------------------------------------------------------------------------------

@router.get("/health", tags=["health"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", tags=["health"])
def ready(request: Request, session: Session = Depends(get_session)) -> Any:
    """200 when the database answers and this process's index is ready; 503 with progress before."""
    session.execute(text("SELECT 1"))
    index: IndexService = request.app.state.index
    body = {"status": index.status, "progress": index.progress, "index": index.sizes(), "last_seq": index.last_seq,
            "startup": index.report}
    return body if index.ready else JSONResponse(body, status_code=503)


@router.get("/metrics", tags=["health"])
def metrics(request: Request, index: IndexService = Depends(get_index)) -> dict[str, Any]:
    return {**request.app.state.metrics.snapshot(), "index_sizes": index.sizes()}


# --- challenges ------------------------------------------------------------------------------

@router.post("/challenges", status_code=201, tags=["challenges"])
def create_challenge(body: Record = Body(...), session: Session = Depends(get_session),
                     index: IndexService = Depends(get_index), actor: Actor = Depends(get_actor)) -> Record:
    return ops.create_challenge(session, index, actor, body)


@router.post("/challenges/similar", tags=["challenges"])
def similar(body: SimilarRequest, session: Session = Depends(get_session), index: IndexService = Depends(get_index),
            actor: Actor = Depends(get_actor)) -> Record:
    data = ops.similar_challenges(session, index, actor, body.text, body.k)
    return {"data": data, "count": len(data)}


@router.get("/challenges", tags=["challenges"])
def list_challenges(status: str | None = None, agency_id: str | None = None, sector: str | None = None,
                    theme: str | None = None, district: str | None = None, skip: int = Query(0, ge=0),
                    limit: int = Query(50, ge=1, le=500), session: Session = Depends(get_session),
                    actor: Actor = Depends(get_actor)) -> Record:
    return ops.list_challenges(session, actor, status=status, agency_id=agency_id, sector=sector, theme=theme,
                               district=district, skip=skip, limit=limit)


@router.get("/challenges/{challenge_id}", tags=["challenges"])
def get_challenge(challenge_id: str, session: Session = Depends(get_session), actor: Actor = Depends(get_actor)) -> Record:
    return ops.challenge_public(ops.load_challenge(session, actor, challenge_id))


@router.patch("/challenges/{challenge_id}", tags=["challenges"])
def update_challenge(challenge_id: str, body: Record = Body(...), session: Session = Depends(get_session),
                     index: IndexService = Depends(get_index), actor: Actor = Depends(get_actor)) -> Record:
    return ops.update_challenge(session, index, actor, challenge_id, body)


@router.post("/challenges/{challenge_id}/close", tags=["challenges"])
def close_challenge(challenge_id: str, session: Session = Depends(get_session), index: IndexService = Depends(get_index),
                    actor: Actor = Depends(get_actor)) -> Record:
    return ops.update_challenge(session, index, actor, challenge_id, {"status": "closed"})


@router.get("/challenges/{challenge_id}/matches", tags=["matching"])
def challenge_matches(challenge_id: str, k: int = Query(10, ge=1, le=200), mode: str | None = None,
                      filters: Filters = Depends(filter_params), format: str = Query("json", pattern="^(json|csv)$"),
                      include_weak: bool = Query(False, description="Also list candidates below the relevance floor"),
                      session: Session = Depends(get_session), index: IndexService = Depends(get_index),
                      actor: Actor = Depends(get_actor)) -> Any:
    data = ops.match_challenge(session, index, actor, challenge_id, k, mode, filters, include_weak)
    if format == "csv":
        return csv_response(ops.hits_csv(data), f"{challenge_id}-suggestions.csv")
    return matches_body(data)


@router.post("/challenges/{challenge_id}/feedback", status_code=201, tags=["matching"])
def feedback(challenge_id: str, body: FeedbackRequest, session: Session = Depends(get_session),
             actor: Actor = Depends(get_actor)) -> Record:
    return ops.record_feedback(session, actor, challenge_id, body.innovator_id, body.decision, body.note)


@router.get("/challenges/{challenge_id}/feedback", tags=["matching"])
def list_feedback(challenge_id: str, session: Session = Depends(get_session), actor: Actor = Depends(get_actor)) -> Record:
    """The pair history of a challenge (same as /engagements; kept for the first API's clients)."""
    return ops.challenge_engagements(session, actor, challenge_id)


@router.post("/challenges/{challenge_id}/engagements", status_code=201, tags=["engagements"])
def engage(challenge_id: str, body: EngagementRequest, session: Session = Depends(get_session),
           actor: Actor = Depends(get_actor)) -> Record:
    """Agency: invite / shortlist / accept / decline an innovator. Innovator: interested (with a proposal
    in `note`) or declined; `innovator_id` defaults to the innovator's own profile."""
    actor.require("agency", "admin", "innovator")
    innovator_id = body.innovator_id or actor.innovator_id
    if not innovator_id:
        raise invalid("innovator_id is required", "innovator_id", "missing")
    return ops.engage(session, actor, challenge_id, innovator_id, body.state, body.note)


@router.get("/challenges/{challenge_id}/engagements", tags=["engagements"])
def challenge_engagements(challenge_id: str, session: Session = Depends(get_session),
                          actor: Actor = Depends(get_actor)) -> Record:
    return ops.challenge_engagements(session, actor, challenge_id)


@router.post("/challenges/{challenge_id}/engagements/{innovator_id}/undo", tags=["engagements"])
def undo_engagement(challenge_id: str, innovator_id: str, session: Session = Depends(get_session),
                    actor: Actor = Depends(get_actor)) -> Record:
    """Undo the pair's latest step, if the caller's side made it."""
    actor.require("agency", "admin", "innovator")
    return ops.undo_engagement(session, actor, challenge_id, innovator_id)


@router.get("/innovators/{innovator_id}/engagements", tags=["engagements"])
def innovator_engagements(innovator_id: str, session: Session = Depends(get_session),
                          actor: Actor = Depends(get_actor)) -> Record:
    return ops.innovator_engagements(session, actor, innovator_id)


@router.get("/feedback/export", tags=["matching"], response_class=PlainTextResponse)
def export_feedback(session: Session = Depends(get_session), actor: Actor = Depends(get_actor)) -> str:
    """Feedback as graded labeled pairs (TSV) for `matcher eval` and `matcher train`."""
    return ops.export_pairs_tsv(session, actor)


# --- innovators ------------------------------------------------------------------------------

@router.post("/innovators", status_code=201, tags=["innovators"])
def register_innovator(body: Record = Body(...), session: Session = Depends(get_session),
                       index: IndexService = Depends(get_index), actor: Actor = Depends(get_actor)) -> Record:
    record, key = ops.register_innovator(session, index, actor, body)
    return {**record, "api_key": key}


@router.get("/innovators", tags=["innovators"])
def list_innovators(skip: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500),
                    session: Session = Depends(get_session)) -> Record:
    return ops.list_innovators(session, skip, limit)


@router.get("/innovators/{innovator_id}", tags=["innovators"])
def get_innovator(innovator_id: str, session: Session = Depends(get_session)) -> Record:
    return ops.load_innovator(session, innovator_id).data


@router.patch("/innovators/{innovator_id}", tags=["innovators"])
def update_innovator(innovator_id: str, body: Record = Body(...), session: Session = Depends(get_session),
                     index: IndexService = Depends(get_index), actor: Actor = Depends(get_actor)) -> Record:
    return ops.update_innovator(session, index, actor, innovator_id, body)


@router.delete("/innovators/{innovator_id}", status_code=204, tags=["innovators"])
def delete_innovator(innovator_id: str, session: Session = Depends(get_session), index: IndexService = Depends(get_index),
                     actor: Actor = Depends(get_actor)) -> Response:
    ops.delete_innovator(session, index, actor, innovator_id)
    return Response(status_code=204)


@router.get("/innovators/{innovator_id}/matches", tags=["matching"])
def innovator_matches(innovator_id: str, k: int = Query(10, ge=1, le=200), mode: str | None = None,
                      filters: Filters = Depends(filter_params), session: Session = Depends(get_session),
                      index: IndexService = Depends(get_index), actor: Actor = Depends(get_actor)) -> Record:
    data = ops.match_innovator(session, index, actor, innovator_id, k, mode, filters)
    return matches_body(data)


@router.post("/innovators/{innovator_id}/saved-searches", status_code=201, tags=["innovators"])
def save_search(innovator_id: str, body: SavedSearchRequest, session: Session = Depends(get_session),
                actor: Actor = Depends(get_actor)) -> Record:
    return ops.create_saved_search(session, actor, innovator_id, body.text, body.filters)


@router.get("/innovators/{innovator_id}/saved-searches", tags=["innovators"])
def saved_searches(innovator_id: str, session: Session = Depends(get_session), actor: Actor = Depends(get_actor)) -> Record:
    return ops.list_saved_searches(session, actor, innovator_id)


@router.get("/innovators/{innovator_id}/saved-searches/{search_id}/new", tags=["innovators"])
def saved_search_new(innovator_id: str, search_id: int, mark_seen: bool = False, k: int = Query(20, ge=1, le=200),
                     session: Session = Depends(get_session), index: IndexService = Depends(get_index),
                     actor: Actor = Depends(get_actor)) -> Record:
    return ops.new_for_saved_search(session, index, actor, innovator_id, search_id, k, mark_seen)


# --- search ----------------------------------------------------------------------------------

@router.post("/search", tags=["search"])
def search(body: SearchRequest, format: str = Query("json", pattern="^(json|csv)$"),
           session: Session = Depends(get_session), index: IndexService = Depends(get_index),
           actor: Actor = Depends(get_actor)) -> Any:
    data = ops.search(session, index, actor, body.text, body.target, body.k, body.filters, body.mode)
    if format == "csv":
        return csv_response(ops.hits_csv(data), "search-results.csv")
    return matches_body(data)


# --- administration --------------------------------------------------------------------------

@router.post("/agencies", status_code=201, tags=["admin"])
def create_agency(body: AgencyRequest, session: Session = Depends(get_session), actor: Actor = Depends(get_actor)) -> Record:
    return ops.create_agency(session, actor, body.id, body.name_th, body.name_en)


@router.get("/agencies", tags=["admin"])
def agencies(session: Session = Depends(get_session)) -> Record:
    return ops.list_agencies(session)


@router.post("/keys", status_code=201, tags=["admin"])
def create_key(body: KeyRequest, session: Session = Depends(get_session), actor: Actor = Depends(get_actor)) -> Record:
    key = ops.issue_key(session, actor, body.role, body.agency_id, body.innovator_id, body.label)
    return {"api_key": key, "role": body.role, "agency_id": body.agency_id, "innovator_id": body.innovator_id}


@router.post("/admin/reindex", tags=["admin"])
def reindex(session: Session = Depends(get_session), index: IndexService = Depends(get_index),
            actor: Actor = Depends(get_actor)) -> Record:
    actor.require("admin")
    return {"reindexed": index.reindex()}
