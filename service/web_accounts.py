"""Pages for accounts: log in and out, innovator registration and profile editing, the admin page
(agencies with Thai and English names, staff invitations) and accepting an invitation."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service import accounts
from service import operations as ops
from service.auth import Actor
from service.deps import SESSION_COOKIE, IndexDep, SessionDep, SessionsDep, WebActorDep, WriteSessionDep
from service.errors import ServiceError
from service.forms import FormFields, posted_form
from service.pages import check_csrf, error_page, form_error, refuse_unless, render

router = APIRouter(include_in_schema=False)

HOME_OF_ROLE = {"admin": "/admin", "agency": "/agency", "innovator": "/innovator"}


def _signed_in(target: str, token: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", max_age=accounts.SESSION_DAYS * 86400)
    return response


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- log in and out ------------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, actor: WebActorDep, next: str = ""):
    return render(request, "login.html", actor, form={"next": next})


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, session: SessionDep, sessions: SessionsDep, form: FormFields = Depends(posted_form)):
    values = {"login": form.get("login"), "next": form.get("next")}
    try:
        check_csrf(request, form.get("csrf"))
        token = accounts.login(sessions, values["login"], form.raw("password"), _client(request))
    except ServiceError as exc:
        return form_error(request, "login.html", Actor(), exc, values, here="/login")
    actor = accounts.actor_for_session(session, token)
    target = values["next"] if values["next"].startswith("/") and not values["next"].startswith("//") else \
        HOME_OF_ROLE.get(actor.role or "", "/")
    return _signed_in(target, token)


@router.post("/logout")
def logout(request: Request, session: SessionDep, sessions: SessionsDep, form: FormFields = Depends(posted_form)):
    try:
        check_csrf(request, form.get("csrf"))
    except ServiceError as exc:
        return error_page(request, Actor(), exc)
    if form.flag("everywhere"):
        actor = accounts.actor_for_session(session, request.cookies.get(SESSION_COOKIE))
        if actor.user_id is not None:
            accounts.logout_everywhere(sessions, actor.user_id)
    else:
        accounts.logout(sessions, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- innovators register and edit their profile -------------------------------------------------

PROFILE_FIELDS = ("name", "kind", "description", "district", "contact_person", "contact_email", "contact_phone",
                  "contact_website", "contact_line_id")
SOLUTION_SLOTS = 3


def profile_values(form: FormFields) -> dict[str, Any]:
    values = form.values(PROFILE_FIELDS, lists=("sectors", "themes", "languages"), flags=("share_contact",))
    for n in range(1, SOLUTION_SLOTS + 1):
        for part in ("title", "description", "trl"):
            values[f"solution_{part}_{n}"] = form.get(f"solution_{part}_{n}")
    return values


def profile_values_of(record: dict[str, Any]) -> dict[str, Any]:
    """The form's values for a stored profile (to edit it)."""
    contact = record.get("contact") or {}
    values: dict[str, Any] = {k: record.get(k) or "" for k in ("name", "kind", "description", "district")}
    values.update({f"contact_{k}": contact.get(k) or "" for k in ("person", "email", "phone", "website", "line_id")})
    values.update(sectors=record.get("sectors", []), themes=record.get("themes", []),
                  languages=record.get("languages", []), share_contact=record.get("share_contact", True))
    for n, solution in enumerate(record.get("solutions", [])[:SOLUTION_SLOTS], start=1):
        values.update({f"solution_title_{n}": solution["title"], f"solution_description_{n}": solution["description"],
                       f"solution_trl_{n}": str(solution["trl"])})
    return values


def innovator_from_form(values: dict[str, Any]) -> dict[str, Any]:
    """The innovator record a profile form describes; empty solution slots are skipped, a half-filled
    one is kept so that validation names what is missing."""
    solutions = []
    for n in range(1, SOLUTION_SLOTS + 1):
        parts = {p: values.get(f"solution_{p}_{n}", "") for p in ("title", "description", "trl")}
        if any(parts.values()):
            solutions.append({k: v for k, v in parts.items() if v != ""})
    record: dict[str, Any] = {"name": values["name"], "kind": values["kind"] or None,
                              "description": values["description"], "solutions": solutions,
                              "sectors": values["sectors"], "themes": values["themes"],
                              "languages": values["languages"] or ["th"], "share_contact": values["share_contact"],
                              "district": values["district"] or None}
    contact = {k: values[f"contact_{k}"] for k in ("person", "email", "phone", "website", "line_id")
               if values.get(f"contact_{k}")}
    record["contact"] = contact or None
    return record


@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request, actor: WebActorDep):
    return render(request, "register.html", actor, form={"share_contact": True, "languages": ["th"]})


@router.post("/register", response_class=HTMLResponse)
def register(request: Request, session: SessionDep, sessions: SessionsDep, index: IndexDep,
             form: FormFields = Depends(posted_form)):
    values = {**profile_values(form), "login": form.get("login"), "display_name": form.get("display_name")}
    try:
        check_csrf(request, form.get("csrf"))
        _record, _key, user_id = ops.register_innovator(
            session, index, Actor(), innovator_from_form(values),
            account=(values["login"], values["display_name"], form.raw("password")))
    except ServiceError as exc:
        return form_error(request, "register.html", Actor(), exc, values, here="/register")
    return _signed_in("/innovator", accounts.start_session(sessions, user_id))


@router.get("/profile", response_class=HTMLResponse)
def profile_form(request: Request, session: SessionDep, actor: WebActorDep):
    if actor.role != "innovator":
        return render(request, "login.html", actor, status_code=401, message="need_login_innovator", here="/profile")
    row = ops.load_innovator(session, actor.innovator_id)
    form = {**profile_values_of(row.data), "version": row.version}
    return render(request, "profile.html", actor, form=form, saved=request.query_params.get("saved"))


@router.post("/profile", response_class=HTMLResponse)
def save_profile(request: Request, session: SessionDep, index: IndexDep, actor: WebActorDep,
                 form: FormFields = Depends(posted_form)):
    values = profile_values(form)
    version = form.get("version")
    values["version"] = version
    try:
        check_csrf(request, form.get("csrf"))
        actor.require("innovator")
        # the form carries the version it was made from: a save over someone else's change (another
        # tab, a colleague) is refused with a 412 instead of silently undoing that change
        ops.update_innovator(session, index, actor, actor.innovator_id, innovator_from_form(values),
                             expected_version=int(version) if version and version.isdigit() else None)
    except ServiceError as exc:
        if exc.status in (401, 403) and exc.code != "csrf":
            return error_page(request, actor, exc)
        if exc.status == 412:
            exc.field = None  # about the whole form, not one field
        return form_error(request, "profile.html", actor, exc, values, here="/profile")
    return RedirectResponse("/profile?saved=1", status_code=303)


# --- administration ------------------------------------------------------------------------------

def _admin_context(session, actor: Actor) -> dict[str, Any]:
    return {"agencies": ops.list_agencies(session)["data"], "users": accounts.users_of(session, actor),
            "invitations": accounts.pending_invitations(session, actor)}


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, session: SessionDep, actor: WebActorDep):
    refused = refuse_unless(request, actor, ("admin",), message="need_login_admin", here="/admin")
    if refused:
        return refused
    return render(request, "admin.html", actor, **_admin_context(session, actor), invitation_link=None)


@router.post("/admin/agencies", response_class=HTMLResponse)
def admin_create_agency(request: Request, session: SessionDep, writes: WriteSessionDep, actor: WebActorDep,
                        form: FormFields = Depends(posted_form)):
    values = form.values(("id", "name_th", "name_en"))
    try:
        check_csrf(request, form.get("csrf"))
        ops.create_agency(writes, actor, values["id"], values["name_th"], values["name_en"])
    except ServiceError as exc:
        if exc.status in (401, 403) and exc.code != "csrf":
            return error_page(request, actor, exc)
        return form_error(request, "admin.html", actor, exc, values, **_admin_context(session, actor),
                          invitation_link=None, here="/admin")
    return RedirectResponse("/admin#agencies", status_code=303)


INVITE_INPUTS = {"login": "invite_login", "role": "invite_role", "agency_id": "invite_agency"}
"""The invitation form's inputs are prefixed: the agency form on the same page has its own."""


@router.post("/admin/invitations", response_class=HTMLResponse)
def admin_invite(request: Request, session: SessionDep, sessions: SessionsDep, actor: WebActorDep,
                 form: FormFields = Depends(posted_form)):
    values = form.values(("invite_login", "invite_role", "invite_agency"))
    try:
        check_csrf(request, form.get("csrf"))
        token = accounts.invite(sessions, actor, values["invite_login"], values["invite_role"] or "agency",
                                values["invite_agency"] or None)
    except ServiceError as exc:
        if exc.status in (401, 403) and exc.code != "csrf":
            return error_page(request, actor, exc)
        exc.errors = [replace(e, field=INVITE_INPUTS.get(e.field, e.field)) for e in exc.errors]
        return form_error(request, "admin.html", actor, exc, values, **_admin_context(session, actor),
                          invitation_link=None, here="/admin")
    link = str(request.base_url).rstrip("/") + f"/invitations/{token}"
    return render(request, "admin.html", actor, **_admin_context(session, actor), invitation_link=link,
                  invited=values["invite_login"], here="/admin")


@router.get("/invitations/{token}", response_class=HTMLResponse)
def invitation_form(request: Request, token: str, session: SessionDep, actor: WebActorDep):
    try:
        invitation = accounts.open_invitation(session, token)
    except ServiceError as exc:
        return error_page(request, actor, exc)
    return render(request, "invitation.html", actor, invitation=invitation, token=token,
                  agency=ops.agency_by_id(session, invitation.agency_id))


@router.post("/invitations/{token}", response_class=HTMLResponse)
def accept_invitation(request: Request, token: str, session: SessionDep, sessions: SessionsDep,
                      form: FormFields = Depends(posted_form)):
    values = {"display_name": form.get("display_name")}
    try:
        check_csrf(request, form.get("csrf"))
        user, session_token = accounts.accept_invitation(sessions, token, values["display_name"], form.raw("password"))
    except ServiceError as exc:
        if exc.code == "invitation_invalid":
            return error_page(request, Actor(), exc)
        invitation = accounts.open_invitation(session, token)
        return form_error(request, "invitation.html", Actor(), exc, values, invitation=invitation, token=token,
                          agency=ops.agency_by_id(session, invitation.agency_id), here=f"/invitations/{token}")
    return _signed_in(HOME_OF_ROLE.get(user.role, "/"), session_token)
