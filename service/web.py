"""Server-rendered bilingual pages for browsing and acting: challenges, innovators, suggestions,
invitations, interests and decisions. Accounts and administration are in service.web_accounts.

No JavaScript is needed; every action is a form with a CSRF token that redirects back (post /
redirect / get), so reloading never repeats an action.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.filters import Filters
from matcher.text import is_blank
from matcher.validation import InvalidInput

from service import operations as ops
from service.auth import Actor
from service.db import InnovatorRow
from service.deps import IndexDep, PathId, SessionDep, WebActorDep, WriteSessionDep
from service.errors import ServiceError, invalid_fields
from service.forms import FormFields, posted_form
from service.pages import PAGE_SIZE, check_csrf, error_page, form_error, pages, render

router = APIRouter(include_in_schema=False)


def _blank(value: str | None) -> str | None:
    return value if value else None


# --- browsing ----------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, index: IndexDep, actor: WebActorDep, q: str = "",
         theme: str = "", sector: str = "", district: str = "", status: str = "open", deadline_before: str = "",
         skip: int = Query(0, ge=0)):
    """Open challenges: counts, a search box (ranked by meaning when the index is ready) and filters
    (paged in the database)."""
    filters = {"theme": theme, "sector": sector, "district": district, "status": status,
               "deadline_before": deadline_before}
    try:
        if not is_blank(q) and index.ready:
            found = ops.search(session, index, actor, q, "challenges", 50, field="q", filters=Filters.from_params(
                theme=[theme] if theme else None, sector=[sector] if sector else None,
                district=[district] if district else None, status=[status] if status else None, side="challenges"))
            listing = {"data": found, "count": len(found)}
            paging = None
        else:
            listing = ops.list_challenges(session, actor, status=_blank(status), theme=_blank(theme),
                                          sector=_blank(sector), district=_blank(district),
                                          deadline_before=_blank(deadline_before), q=_blank(q.strip()),
                                          skip=skip, limit=PAGE_SIZE)
            paging = pages(listing["count"], skip)
    except (ServiceError, InvalidInput) as exc:
        return error_page(request, actor, exc if isinstance(exc, ServiceError) else invalid_fields(exc))
    totals = {"open": ops.list_challenges(session, actor, status="open", limit=1)["count"],
              "innovators": ops.list_innovators(session, limit=1)["count"]}
    return render(request, "home.html", actor, challenges=listing["data"], paging=paging, q=q, filters=filters,
                  totals=totals, ranked=paging is None)


@router.get("/innovators", response_class=HTMLResponse)
def innovators(request: Request, session: SessionDep, index: IndexDep, actor: WebActorDep, q: str = "",
               kind: str = "", theme: str = "", sector: str = "", district: str = "", language: str = "",
               skip: int = Query(0, ge=0)):
    filters = {"kind": kind, "theme": theme, "sector": sector, "district": district, "language": language}
    try:
        if not is_blank(q) and index.ready:
            found = ops.search(session, index, actor, q, "innovators", 50, field="q", filters=Filters.from_params(
                kind=[kind] if kind else None, theme=[theme] if theme else None, sector=[sector] if sector else None,
                district=[district] if district else None, language=[language] if language else None,
                side="innovators"))
            listing, paging = {"data": found, "count": len(found)}, None
        else:
            listing = ops.list_innovators(session, kind=_blank(kind), theme=_blank(theme), sector=_blank(sector),
                                          district=_blank(district), language=_blank(language), q=_blank(q.strip()),
                                          skip=skip, limit=PAGE_SIZE)
            paging = pages(listing["count"], skip)
    except (ServiceError, InvalidInput) as exc:
        return error_page(request, actor, exc if isinstance(exc, ServiceError) else invalid_fields(exc))
    return render(request, "innovators.html", actor, innovators=listing["data"], paging=paging, q=q,
                  filters=filters, ranked=paging is None)


@router.get("/innovators/{innovator_id}", response_class=HTMLResponse)
def innovator_detail(request: Request, innovator_id: PathId, session: SessionDep, actor: WebActorDep):
    try:
        profile = ops.innovator_public(session, actor, innovator_id)
    except ServiceError as exc:
        return error_page(request, actor, exc)
    return render(request, "innovator_detail.html", actor, profile=profile,
                  own=actor.is_admin or actor.innovator_id == innovator_id)


# --- a challenge and what happens around it ------------------------------------------------------

def _names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {r.id: r.data.get("name", r.id) for r in session.scalars(select(InnovatorRow).where(InnovatorRow.id.in_(ids)))}


@router.get("/challenges/{challenge_id}", response_class=HTMLResponse)
def challenge_page(request: Request, challenge_id: PathId, session: SessionDep, index: IndexDep, actor: WebActorDep):
    try:
        row = ops.load_challenge(session, actor, challenge_id)
    except ServiceError as exc:
        return error_page(request, actor, exc)
    context: dict[str, Any] = {"challenge": ops.challenge_public(row), "suggestions": None, "history": None,
                               "interests": [], "mine": None, "owner": ops.owns_challenge(actor, row)}
    if context["owner"]:
        history = ops.challenge_engagements(session, actor, challenge_id)["data"]
        if index.ready:
            try:
                context["suggestions"] = ops.match_challenge(session, index, actor, challenge_id, 10)
            except ServiceError as exc:
                context["suggestions_error"] = exc
        context["history"] = history
        context["states"] = _current(history)
        if request.query_params.get("teams") and index.ready:  # on request: one search per need
            from service.api_consortium import challenge_consortia

            teams = challenge_consortia(session, index, actor, challenge_id)
            context.update(consortia=teams.get("teams", []), needs=teams.get("needs", []))
        context["interests"] = [e for e in history if e["state"] == "interested" and not e["undone_at"]]
    elif actor.role == "innovator":
        history = ops.challenge_engagements(session, actor, challenge_id)["data"]
        context["history"] = history
        context["mine"] = _current(history).get(actor.innovator_id)
    if context["history"]:
        context["names"] = _names(session, {e["innovator_id"] for e in context["history"]})
    return render(request, "challenge.html", actor, **context)


def _current(history: list[dict]) -> dict[str, dict]:
    """innovator id -> the event that gives the pair its current state (latest not undone)."""
    current: dict[str, dict] = {}
    for event in history:
        if not event["undone_at"]:
            current[event["innovator_id"]] = event
    return current


@router.post("/challenges/{challenge_id}/engagements")
def post_engagement(request: Request, challenge_id: PathId, session: SessionDep, writes: WriteSessionDep,
                    actor: WebActorDep,
                    state: str = Form(...), innovator_id: str = Form(""), note: str = Form(""), csrf: str = Form("")):
    """Agency: invite / shortlist / accept / decline. Innovator: interested (with a proposal) / decline."""
    try:
        check_csrf(request, csrf)
        actor.require("agency", "admin", "innovator")
        target = innovator_id or actor.innovator_id or ""
        ops.engage(writes, actor, challenge_id, target, state, note)
    except ServiceError as exc:
        if exc.status == 422 and actor.role == "innovator":
            writes.rollback()
            return _challenge_with_error(request, challenge_id, writes, actor, exc, {"note": note})
        return error_page(request, actor, exc)
    anchor = "#respond" if actor.role == "innovator" else f"#s-{target}"
    return RedirectResponse(f"/challenges/{challenge_id}{anchor}", status_code=303)


def _challenge_with_error(request: Request, challenge_id: PathId, session: Session, actor: Actor, exc: ServiceError,
                          form: dict[str, Any]):
    row = ops.load_challenge(session, actor, challenge_id)
    history = ops.challenge_engagements(session, actor, challenge_id)["data"]
    return form_error(request, "challenge.html", actor, exc, form, challenge=ops.challenge_public(row),
                      suggestions=None, history=history, interests=[], mine=_current(history).get(actor.innovator_id),
                      owner=False, names=_names(session, {e["innovator_id"] for e in history}),
                      here=f"/challenges/{challenge_id}")


@router.post("/challenges/{challenge_id}/engagements/{innovator_id}/undo")
def post_undo(request: Request, challenge_id: PathId, innovator_id: PathId, writes: WriteSessionDep, actor: WebActorDep,
              csrf: str = Form("")):
    try:
        check_csrf(request, csrf)
        actor.require("agency", "admin", "innovator")
        ops.undo_engagement(writes, actor, challenge_id, innovator_id)
    except ServiceError as exc:
        return error_page(request, actor, exc)
    anchor = "#respond" if actor.role == "innovator" else f"#s-{innovator_id}"
    return RedirectResponse(f"/challenges/{challenge_id}{anchor}", status_code=303)


@router.post("/challenges/{challenge_id}/status")
def post_status(request: Request, challenge_id: PathId, session: SessionDep, index: IndexDep, actor: WebActorDep,
                status: str = Form(...), csrf: str = Form("")):
    """The owning agency closes or reopens its challenge."""
    try:
        check_csrf(request, csrf)
        ops.update_challenge(session, index, actor, challenge_id, {"status": status})
    except ServiceError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/challenges/{challenge_id}", status_code=303)


# --- the agency's page ---------------------------------------------------------------------------

def _own_challenges(session: Session, actor: Actor) -> list[dict]:
    agency = actor.agency_id if actor.role == "agency" else None
    return ops.list_challenges(session, actor, agency_id=agency, limit=200)["data"]


@router.get("/agency", response_class=HTMLResponse)
def agency_page(request: Request, session: SessionDep, actor: WebActorDep):
    if actor.role not in ("agency", "admin"):
        return render(request, "login.html", actor, status_code=401, message="need_login_agency", here="/agency")
    return render(request, "agency.html", actor, challenges=_own_challenges(session, actor), similar=None,
                  agency=ops.agency_of(session, actor))


CHALLENGE_FORM_FIELDS = ("title", "description", "district", "deadline", "budget_min_thb", "budget_max_thb",
                         "contact_person", "contact_email", "contact_phone")


@router.post("/agency/challenges", response_class=HTMLResponse)
def post_challenge(request: Request, session: SessionDep, index: IndexDep, actor: WebActorDep,
                   form: FormFields = Depends(posted_form)):
    """Post a pain point (or first check for similar ones). A failed save shows the form again with
    everything typed kept and the wrong fields marked."""
    values = form.values(CHALLENGE_FORM_FIELDS, lists=("sectors", "themes"), flags=("confidential",))
    context = {"challenges": [], "similar": None, "agency": None, "here": "/agency"}
    try:
        check_csrf(request, form.get("csrf"))
        actor.require("agency", "admin")
        context.update(challenges=_own_challenges(session, actor), agency=ops.agency_of(session, actor))
        if form.get("action") == "similar":
            similar = ops.similar_challenges(session, index, actor, f"{values['title']}\n{values['description']}", 5)
            return render(request, "agency.html", actor, form=values, **{**context, "similar": similar})
        created = ops.create_challenge(session, index, actor, challenge_from_form(values))
    except ServiceError as exc:
        if exc.status in (401, 403) and exc.code != "csrf":
            return error_page(request, actor, exc)
        return form_error(request, "agency.html", actor, exc, values, **context)
    return RedirectResponse(f"/challenges/{created['id']}", status_code=303)


def challenge_from_form(values: dict[str, Any]) -> dict[str, Any]:
    """The challenge record a form describes (empty inputs are absent; validation is the record's)."""
    record: dict[str, Any] = {"title": values["title"], "description": values["description"],
                              "sectors": values["sectors"], "themes": values["themes"],
                              "confidential": values["confidential"]}
    for name in ("district", "deadline", "budget_min_thb", "budget_max_thb"):
        if values.get(name):
            record[name] = values[name]
    contact = {k: values[f"contact_{k}"] for k in ("person", "email", "phone") if values.get(f"contact_{k}")}
    if contact:
        record["contact"] = contact
    return record


# --- the innovator's page ------------------------------------------------------------------------

@router.get("/innovator", response_class=HTMLResponse)
def innovator_page(request: Request, session: SessionDep, index: IndexDep, actor: WebActorDep, q: str = ""):
    if actor.role != "innovator":
        return render(request, "login.html", actor, status_code=401, message="need_login_innovator", here="/innovator")
    profile = ops.load_innovator(session, actor.innovator_id).data
    matches = results = None
    if index.ready:
        try:
            matches = ops.match_innovator(session, index, actor, actor.innovator_id, 10)
            if not is_blank(q):
                results = ops.search(session, index, actor, q, "challenges", 10, Filters(), field="q")
        except ServiceError as exc:
            return error_page(request, actor, exc)
    mine = ops.innovator_engagements(session, actor, actor.innovator_id)["data"]
    titles = ops.challenge_titles(session, actor, {e["challenge_id"] for e in mine})
    current = {}
    for event in mine:
        if not event["undone_at"]:
            current[event["challenge_id"]] = event
    return render(request, "innovator.html", actor, profile=profile, matches=matches, results=results, q=q,
                  engagements=list(current.values()), titles=titles)
