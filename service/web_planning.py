"""Planning pages: complaint upload (admin), draft challenges to review and post (agency staff,
admin), and the coverage-gap heat map with PNG and CSV export (admin). Server-rendered like the
other pages; everything goes through service.planning."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matcher.complaints.gaps import GapMap, gaps_csv, gaps_png

from service import planning
from service.auth import Actor
from service.deps import IndexDep, SessionDep, WebActorDep
from service.errors import ServiceError
from service.forms import FormFields, posted_form
from service.pages import check_csrf, error_page, form_error, refuse_unless, render
from service.web import CHALLENGE_FORM_FIELDS, challenge_from_form

router = APIRouter(include_in_schema=False)


def _login(request: Request, actor: Actor, roles: tuple[str, ...], here: str) -> HTMLResponse | None:
    message = "planning_need_admin" if roles == ("admin",) else "planning_need_staff"
    return refuse_unless(request, actor, roles, message, here)


# --- import ------------------------------------------------------------------------------------

@router.get("/planning/complaints", response_class=HTMLResponse)
def import_page(request: Request, session: SessionDep, actor: WebActorDep):
    return _login(request, actor, ("admin",), "/planning/complaints") or \
        render(request, "planning_import.html", actor, counts=planning.complaint_counts(session), report=None)


@router.post("/planning/complaints", response_class=HTMLResponse)
async def import_upload(request: Request, actor: WebActorDep):
    refused = _login(request, actor, ("admin",), "/planning/complaints")
    if refused:
        return refused
    from starlette.concurrency import run_in_threadpool

    from matcher.complaints.loading import decode, kind_of

    form = await request.form()
    upload = form.get("file")
    try:
        check_csrf(request, str(form.get("csrf") or ""))
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise ServiceError(422, "invalid", "choose a file to import", "file")
        mapping = planning.parse_mapping_param(str(form.get("map") or ""))
        try:
            text = decode(await upload.read(), upload.filename)
        except ValueError as exc:
            raise ServiceError(422, "invalid", str(exc), "file") from None
        report = await run_in_threadpool(planning.import_upload, request.app.state.sessions, actor, text,
                                         kind_of(upload.filename), mapping, upload.filename)
    except ServiceError as exc:
        with request.app.state.sessions() as session:
            counts = planning.complaint_counts(session)
        return form_error(request, "planning_import.html", actor, exc, {"map": str(form.get("map") or "")},
                          counts=counts, report=None)
    with request.app.state.sessions() as session:
        counts = planning.complaint_counts(session)
    return render(request, "planning_import.html", actor, counts=counts, report=report.to_dict(),
                  form={"map": str(form.get("map") or "")})


# --- drafts ------------------------------------------------------------------------------------

@router.get("/planning/drafts", response_class=HTMLResponse)
def drafts_page(request: Request, session: SessionDep, index: IndexDep, actor: WebActorDep, district: str = ""):
    refused = _login(request, actor, ("agency", "admin"), "/planning/drafts")
    if refused:
        return refused
    drafts = planning.list_drafts(session, index, actor, district or None)
    return render(request, "planning_drafts.html", actor, drafts=drafts, district=district, here="/planning/drafts")


@router.get("/planning/drafts/{draft_id}", response_class=HTMLResponse)
def draft_page(request: Request, draft_id: str, session: SessionDep, index: IndexDep, actor: WebActorDep):
    refused = _login(request, actor, ("agency", "admin"), f"/planning/drafts/{draft_id}")
    if refused:
        return refused
    try:
        draft = planning.get_draft(session, index, actor, draft_id)
    except ServiceError as exc:
        return error_page(request, actor, exc)
    return render(request, "planning_draft.html", actor, draft=draft, form=draft_form(draft))


def draft_form(draft) -> dict:
    fields = draft.challenge_fields()
    return {"title": fields["title"], "description": fields["description"], "themes": fields["themes"],
            "sectors": fields["sectors"], "district": fields["district"] or ""}


@router.post("/planning/drafts/{draft_id}", response_class=HTMLResponse)
def post_draft(request: Request, draft_id: str, session: SessionDep, index: IndexDep, actor: WebActorDep,
               form: FormFields = Depends(posted_form)):
    values = form.values(CHALLENGE_FORM_FIELDS, lists=("sectors", "themes"), flags=("confidential",))
    draft = None
    try:
        check_csrf(request, form.get("csrf"))
        draft = planning.get_draft(session, index, actor, draft_id)
        created = planning.post_draft(session, index, actor, draft_id, challenge_from_form(values))
    except ServiceError as exc:
        if draft is None or (exc.status in (401, 403) and exc.code != "csrf"):
            return error_page(request, actor, exc)
        return form_error(request, "planning_draft.html", actor, exc, values, draft=draft)
    return RedirectResponse(f"/challenges/{created['id']}", status_code=303)


# --- coverage gaps -----------------------------------------------------------------------------

def _gap_map(session, index, actor) -> GapMap:
    return planning.gap_map(session, index, actor)


@router.get("/planning/gaps", response_class=HTMLResponse)
def gaps_page(request: Request, session: SessionDep, index: IndexDep, actor: WebActorDep):
    refused = _login(request, actor, ("admin",), "/planning/gaps")
    if refused:
        return refused
    try:
        gap_map = _gap_map(session, index, actor)
    except ServiceError as exc:
        return error_page(request, actor, exc)
    top = max((c.gap_score for c in gap_map.cells), default=0.0)
    return render(request, "planning_gaps.html", actor, gaps=gap_map, top=top or 1.0, here="/planning/gaps")


@router.get("/planning/gaps.csv")
def gaps_csv_download(session: SessionDep, index: IndexDep, actor: WebActorDep) -> Response:
    return Response("\ufeff" + gaps_csv(_gap_map(session, index, actor)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="coverage-gaps.csv"'})


@router.get("/planning/gaps.png")
def gaps_png_download(session: SessionDep, index: IndexDep, actor: WebActorDep) -> Response:
    return Response(gaps_png(_gap_map(session, index, actor)), media_type="image/png")
