"""Server-rendered bilingual pages (Jinja2, no JavaScript needed). They call service.operations,
the same functions as the JSON API, so the UI cannot drift from the API's rules."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from matcher import taxonomy
from matcher.filters import Filters

from service import operations as ops
from service.auth import Actor, actor_for
from service.deps import API_KEY_COOKIE, get_index, get_session
from service.errors import ServiceError
from service.i18n import pick_language, translator
from service.indexing import IndexService

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
CSRF_COOKIE = "bic_csrf"


def web_actor(request: Request, session: Session = Depends(get_session)) -> Actor:
    try:
        return actor_for(session, request.cookies.get(API_KEY_COOKIE))
    except ServiceError:
        return Actor()


def render(request: Request, name: str, actor: Actor, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = pick_language(request.query_params.get("lang"), request.cookies.get("lang"))
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    index = getattr(request.app.state, "index", None)
    preparing = None if index is None or index.ready else index.progress
    response = templates.TemplateResponse(request, name, {
        "t": translator(lang), "lang": lang, "actor": actor, "csrf": token, "taxonomy": taxonomy,
        "preparing": preparing, **context},
        status_code=status_code)
    response.set_cookie("lang", lang, samesite="lax")
    response.set_cookie(CSRF_COOKIE, token, samesite="strict", httponly=True)
    return response


def check_csrf(request: Request, token: str) -> None:
    if not token or token != request.cookies.get(CSRF_COOKIE):
        raise ServiceError(403, "csrf", "the form expired; reload the page and try again")


def error_page(request: Request, actor: Actor, exc: ServiceError) -> HTMLResponse:
    return render(request, "error.html", actor, status_code=exc.status, error=exc)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: Session = Depends(get_session), actor: Actor = Depends(web_actor)):
    challenges = ops.list_challenges(session, actor, status="open", limit=20)
    return render(request, "home.html", actor, challenges=challenges["data"])


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, actor: Actor = Depends(web_actor)):
    return render(request, "login.html", actor)


@router.post("/login")
def login(request: Request, api_key: str = Form(...), csrf: str = Form(""), session: Session = Depends(get_session)):
    check_csrf(request, csrf)
    try:
        actor = actor_for(session, api_key.strip())
    except ServiceError as exc:
        return error_page(request, Actor(), exc)
    target = "/agency" if actor.role in ("agency", "admin") else "/innovator"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(API_KEY_COOKIE, api_key.strip(), httponly=True, samesite="strict")
    return response


@router.get("/logout")
def logout() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(API_KEY_COOKIE)
    return response


@router.get("/agency", response_class=HTMLResponse)
def agency_page(request: Request, session: Session = Depends(get_session), actor: Actor = Depends(web_actor)):
    if actor.role not in ("agency", "admin"):
        return render(request, "login.html", actor, status_code=401, message="need_login")
    mine = ops.list_challenges(session, actor, agency_id=actor.agency_id, limit=100) if actor.role == "agency" else \
        ops.list_challenges(session, actor, limit=100)
    return render(request, "agency.html", actor, challenges=mine["data"], form={}, similar=None)


@router.post("/agency/challenges", response_class=HTMLResponse)
def post_challenge(request: Request, title: str = Form(...), description: str = Form(...),
                   sectors: list[str] = Form(default=[]), themes: list[str] = Form(default=[]),
                   district: str = Form(""), confidential: bool = Form(False), action: str = Form("save"),
                   csrf: str = Form(""), session: Session = Depends(get_session),
                   index: IndexService = Depends(get_index), actor: Actor = Depends(web_actor)):
    form = {"title": title, "description": description, "sectors": sectors, "themes": themes, "district": district,
            "confidential": confidential}
    try:
        check_csrf(request, csrf)
        actor.require("agency", "admin")
        if action == "similar":
            similar = ops.similar_challenges(session, index, actor, f"{title}\n{description}", 5)
            mine = ops.list_challenges(session, actor, agency_id=actor.agency_id, limit=100)
            return render(request, "agency.html", actor, challenges=mine["data"], form=form, similar=similar)
        agency_name = _agency_name(session, actor)
        created = ops.create_challenge(session, index, actor, {
            "agency": agency_name, "title": title, "description": description, "sectors": sectors, "themes": themes,
            "district": district or None, "confidential": confidential})
    except ServiceError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/challenges/{created['id']}", status_code=303)


def _agency_name(session: Session, actor: Actor) -> str:
    from service.db import Agency

    agency = session.get(Agency, actor.agency_id) if actor.agency_id else None
    return agency.name_th if agency else "กรุงเทพมหานคร"


@router.get("/challenges/{challenge_id}", response_class=HTMLResponse)
def challenge_page(request: Request, challenge_id: str, session: Session = Depends(get_session),
                   index: IndexService = Depends(get_index), actor: Actor = Depends(web_actor)):
    try:
        row = ops.load_challenge(session, actor, challenge_id)
    except ServiceError as exc:
        return error_page(request, actor, exc)
    suggestions = feedback = None
    if actor.is_admin or (actor.role == "agency" and actor.agency_id == row.agency_id):
        feedback = ops.challenge_engagements(session, actor, challenge_id)["data"]
        if index.ready:
            suggestions = ops.match_challenge(session, index, actor, challenge_id, 10)
    return render(request, "challenge.html", actor, challenge=ops.challenge_public(row), suggestions=suggestions,
                  feedback=feedback)


@router.post("/challenges/{challenge_id}/feedback")
def post_feedback(request: Request, challenge_id: str, innovator_id: str = Form(...), decision: str = Form(...),
                  note: str = Form(""), csrf: str = Form(""), session: Session = Depends(get_session),
                  actor: Actor = Depends(web_actor)):
    try:
        check_csrf(request, csrf)
        ops.record_feedback(session, actor, challenge_id, innovator_id, decision, note)
    except ServiceError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/challenges/{challenge_id}", status_code=303)


@router.get("/innovator", response_class=HTMLResponse)
def innovator_page(request: Request, q: str = "", session: Session = Depends(get_session),
                   index: IndexService = Depends(get_index), actor: Actor = Depends(web_actor)):
    if actor.role != "innovator":
        return render(request, "login.html", actor, status_code=401, message="need_login")
    profile = ops.load_innovator(session, actor.innovator_id).data
    matches = ops.match_innovator(session, index, actor, actor.innovator_id, 10) if index.ready else []
    results = ops.search(session, index, actor, q, "challenges", 10, Filters()) if q.strip() and index.ready else None
    return render(request, "innovator.html", actor, profile=profile, matches=matches, results=results, q=q)
