"""Dashboard API (admins): `GET /v1/dashboard` as JSON, or `?format=csv` for the same figures as one
tidy CSV (UTF-8 with a BOM, so Excel reads the Thai). Thin route over service.dashboard."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from service import dashboard
from service.deps import ActorDep, IndexDep, SessionDep

router = APIRouter(prefix="/v1", tags=["dashboard"])
CSV_NAME = "bic-dashboard.csv"


def csv_response(board: dashboard.Dashboard) -> Response:
    """The dashboard as a CSV download (shared by the API and the page's export link)."""
    return Response("\ufeff" + board.to_csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{CSV_NAME}"'})


@router.get("/dashboard")
def get_dashboard(session: SessionDep, index: IndexDep, actor: ActorDep,
                  format: str = Query("json", pattern="^(json|csv)$", description="json or csv")) -> Any:
    """Records by theme, district and language; per agency the funnel posted -> suggested ->
    contacted -> shortlisted -> accepted and the median days to the first interest."""
    board = dashboard.build_dashboard(session, index, actor)
    return csv_response(board) if format == "csv" else board.to_dict()
