"""The inbox page: a logged-in person's notifications in the page's language, mark as read (one or
all). Forms post and redirect back (post / redirect / get), like every page of service.web."""

from __future__ import annotations

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from service import notify
from service.deps import SessionDep, WebActorDep, WriteSessionDep
from service.errors import ServiceError
from service.pages import PAGE_SIZE, check_csrf, error_page, pages, render

router = APIRouter(include_in_schema=False)


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, session: SessionDep, actor: WebActorDep, unread: bool = False,
               skip: int = Query(0, ge=0)):
    if actor.user_id is None:
        return render(request, "login.html", actor, status_code=401, message="need_login", here="/inbox")
    listing = notify.inbox(session, actor, unread_only=unread, skip=skip, limit=PAGE_SIZE)
    return render(request, "inbox.html", actor, notes=listing["data"], paging=pages(listing["count"], skip),
                  unread_only=unread, here="/inbox")


def _back(unread: str) -> RedirectResponse:
    return RedirectResponse("/inbox?unread=true" if unread == "true" else "/inbox", status_code=303)


@router.post("/inbox/read-all")
def read_all(request: Request, writes: WriteSessionDep, actor: WebActorDep, csrf: str = Form(""),
             unread: str = Form("")):
    try:
        check_csrf(request, csrf)
        notify.mark_all_read(writes, actor)
    except ServiceError as exc:
        return error_page(request, actor, exc)
    return _back(unread)


@router.post("/inbox/{notification_id}/read")
def read_one(request: Request, notification_id: int, writes: WriteSessionDep, actor: WebActorDep,
             csrf: str = Form(""), unread: str = Form("")):
    try:
        check_csrf(request, csrf)
        notify.mark_read(writes, actor, notification_id)
    except ServiceError as exc:
        return error_page(request, actor, exc)
    return _back(unread)
