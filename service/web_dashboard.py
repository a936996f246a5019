"""The admins' dashboard page (/admin/dashboard) with inline SVG bar charts, and its CSV export
(/admin/dashboard.csv, the same file as `GET /v1/dashboard?format=csv`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service import dashboard
from service.api_dashboard import csv_response
from service.deps import IndexDep, SessionDep, WebActorDep
from service.errors import ServiceError
from service.pages import error_page, refuse_unless, render

router = APIRouter(include_in_schema=False)


@router.get("/admin/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, session: SessionDep, index: IndexDep, actor: WebActorDep):
    refused = refuse_unless(request, actor, ("admin",), message="need_login_admin", here="/admin/dashboard")
    if refused:
        return refused
    try:
        board = dashboard.build_dashboard(session, index, actor)
    except ServiceError as exc:  # 503 while the index is being prepared
        return error_page(request, actor, exc)
    return render(request, "dashboard.html", actor, board=board, total=board.total, stages=dashboard.STAGES,
                  sides=dashboard.SIDES, dimensions=dashboard.DIMENSIONS, key_message=dashboard.key_message,
                  suggested_k=dashboard.SUGGESTED_K, here="/admin/dashboard")


@router.get("/admin/dashboard.csv")
def dashboard_csv(session: SessionDep, index: IndexDep, actor: WebActorDep) -> Response:
    return csv_response(dashboard.build_dashboard(session, index, actor))
