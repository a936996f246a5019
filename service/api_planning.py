"""Planning API under /v1: complaint import (admin), draft challenges (agency staff, admin), posting a
reviewed draft, and the coverage-gap map (admin; JSON, CSV or PNG). Thin routes over service.planning."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response

from matcher.complaints.gaps import gaps_csv, gaps_png

from service import planning
from service.deps import ActorDep, IndexDep, SessionDep
from service.errors import invalid

router = APIRouter(prefix="/v1", tags=["planning"])


@router.post("/complaints/import")
async def import_complaints(request: Request, actor: ActorDep,
                            format: str = Query("jsonl", pattern="^(jsonl|csv)$", description="jsonl (Traffy) or csv"),
                            map: str | None = Query(None, description="FIELD=COLUMN pairs, e.g. text=description,district=khet"),
                            source: str = Query("upload", max_length=200)) -> dict[str, Any]:
    """The request body is the file itself (UTF-8). Bad lines are reported with line, field and
    problem; the good ones are stored. Re-importing the same complaints adds nothing."""
    actor.require("admin")
    mapping = planning.parse_mapping_param(map)
    from matcher.complaints.loading import decode

    try:
        text = decode(await request.body(), source)
    except ValueError as exc:
        raise invalid(str(exc), "body") from None
    from starlette.concurrency import run_in_threadpool

    report = await run_in_threadpool(planning.import_upload, request.app.state.sessions, actor, text, format, mapping,
                                     source)
    return report.to_dict()


@router.get("/complaints/drafts")
def drafts(session: SessionDep, index: IndexDep, actor: ActorDep, district: str | None = None,
           include_posted: bool = False) -> dict[str, Any]:
    data = [d.model_dump(mode="json") for d in planning.list_drafts(session, index, actor, district, include_posted)]
    return {"data": data, "count": len(data)}


@router.post("/complaints/drafts/{draft_id}/post", status_code=201)
def post_draft(draft_id: str, session: SessionDep, index: IndexDep, actor: ActorDep,
               body: dict[str, Any] = Body(default_factory=dict)) -> dict[str, Any]:
    """Post a draft as a challenge; the body may override any challenge field (title, description...)."""
    return planning.post_draft(session, index, actor, draft_id, body)


@router.get("/planning/gaps")
def gaps(session: SessionDep, index: IndexDep, actor: ActorDep,
         format: str = Query("json", pattern="^(json|csv|png)$")) -> Any:
    gap_map = planning.gap_map(session, index, actor)
    if format == "csv":
        return Response("\ufeff" + gaps_csv(gap_map), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="coverage-gaps.csv"'})
    if format == "png":
        return Response(gaps_png(gap_map), media_type="image/png")
    return gap_map.to_dict()
