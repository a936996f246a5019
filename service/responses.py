"""The one place an error becomes an HTTP response.

Every exception handler and middleware of the app calls `error_response`, so how an error is
shown is decided here and nowhere else: JSON `{"error": {...}}` (service.schemas.ErrorResponse,
which OpenAPI documents) for API clients, and an HTML page in the person's language for browsers
asking for a page (any path outside the API that accepts text/html).
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from service.errors import ServiceError

log = logging.getLogger(__name__)
API_PREFIXES = ("/v1", "/openapi.json", "/docs", "/redoc", "/static")


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not an API client, not an asset)."""
    return not request.url.path.startswith(API_PREFIXES) and "text/html" in request.headers.get("accept", "")


def error_response(request: Request, exc: ServiceError) -> Response:
    """The response for `exc` answering `request`."""
    if wants_page(request):
        from service.pages import error_page

        response = error_page(request, _page_actor(request), exc)
        response.headers.update(exc.headers)
        return response
    return JSONResponse(exc.payload(), status_code=exc.status, headers=exc.headers or None)


def _page_actor(request: Request):
    """Who is logged in, for the page header; anonymous if that cannot be told (the error may be
    the database's)."""
    from service.accounts import actor_for_session
    from service.auth import ANONYMOUS
    from service.deps import SESSION_COOKIE

    sessions = getattr(request.app.state, "sessions", None)
    if sessions is None:
        return ANONYMOUS
    try:
        with sessions() as session:
            return actor_for_session(session, request.cookies.get(SESSION_COOKIE))
    except Exception:  # noqa: BLE001 - a failing database must not hide the original error
        log.warning("could not identify the user for an error page", exc_info=True)
        return ANONYMOUS
