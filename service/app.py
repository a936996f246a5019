"""The FastAPI application: lifespan (migrate, seed, sync indexes), middleware, error handlers."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.config import ServiceSettings, get_service_settings
from service.changes import Sessions
from service.db import is_outage, make_engine, migrate, outage_reason
from service.errors import FieldError, ServiceError, database_unavailable, field_errors, invalid_fields
from service.indexing import IndexService
from service.ratelimit import RateLimiter
from service.responses import error_response

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
DOCS_ASSETS = "/docs-assets"


class Metrics:
    """Request counts and latencies per route, kept in memory for /v1/metrics."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.latencies: dict[str, list[float]] = defaultdict(list)

    def observe(self, route: str, status: int, millis: float) -> None:
        self.counts[f"{route} {status}"] += 1
        window = self.latencies[route]
        window.append(millis)
        if len(window) > 2000:
            del window[:1000]

    def snapshot(self) -> dict:
        import numpy as np

        return {"requests": dict(self.counts),
                "latency_ms": {r: {"count": len(v), "p50": float(np.percentile(v, 50)), "p95": float(np.percentile(v, 95))}
                               for r, v in self.latencies.items() if v}}


JSON_TYPES = ("application/json", "+json")


async def body_problem(request: Request, max_bytes: int) -> ServiceError | None:
    """A 413 for a body over `max_bytes` (declared or sent), a 400 for a JSON body that is not UTF-8
    (naming the first bad byte and its position); None when the body is fine."""
    declared = request.headers.get("content-length")
    too_large = ServiceError(413, "too_large", f"request body over {max_bytes} bytes",
                             errors=[FieldError("", "too_large", f"request body over {max_bytes} bytes",
                                                {"max_bytes": max_bytes})])
    if declared and declared.isdigit() and int(declared) > max_bytes:
        return too_large
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    body = await request.body()
    if len(body) > max_bytes:
        return too_large
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and media.endswith(JSON_TYPES):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"request body is not valid UTF-8 (byte 0x{body[exc.start]:02x} at position {exc.start})"
            return ServiceError(400, "bad_request", message, "", errors=[FieldError(
                "", "utf8_invalid", message, {"position": exc.start, "byte": f"0x{body[exc.start]:02x}"})])
    return None


def request_error(exc: RequestValidationError) -> ServiceError:
    """FastAPI's validation errors as one ServiceError listing every invalid field (a 422), or a 400
    for a body that is not JSON (line and column named, field '')."""
    errors = field_errors(exc.errors(), document=exc.body if isinstance(exc.body, (str, bytes)) else None)
    malformed = [e for e in errors if e.type == "json_invalid"]
    if malformed:
        return ServiceError(400, "bad_request", malformed[0].message, "", errors=malformed)
    return invalid_fields(errors)


def allowed_methods(request: Request) -> str:
    """Every method some route accepts at this path, from the app's OpenAPI paths (Starlette's own
    405 names only the first matching route's methods)."""
    import re

    table = getattr(request.app.state, "methods_by_path", None)
    if table is None:
        table = [(re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", path) + "$"), {m.upper() for m in item})
                 for path, item in request.app.openapi()["paths"].items()]
        request.app.state.methods_by_path = table
    methods = set().union(*[m for pattern, m in table if pattern.match(request.url.path)] or [set()])
    return ", ".join(sorted(methods))


def add_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc from the assets the fastapi-offline package ships: nothing is
    fetched from a CDN, so the docs work on a machine without internet."""
    try:
        import fastapi_offline
    except ImportError:
        raise ImportError("the API docs need fastapi-offline: pip install 'bic-matcher[service]'") from None
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
    from fastapi.responses import HTMLResponse

    assets = Path(fastapi_offline.__file__).resolve().parent / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs-assets")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(openapi_url=f"{root}{app.openapi_url}", title=f"{title} - API",
                                   swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
                                   oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url)

    @app.get(app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(openapi_url=f"{root}{app.openapi_url}", title=f"{title} - API reference",
                              redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png", with_google_fonts=False)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or get_service_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from service.seed import ensure_admin_key

        from matcher.index.dense import set_search_threads

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        set_search_threads(settings.search_threads)
        engine = make_engine(settings.db_url)
        if settings.migrate_on_start:
            migrate(engine)
        sessions = Sessions.for_engine(engine)
        if settings.bootstrap_admin_key:
            with sessions.write() as session:
                ensure_admin_key(session, settings.bootstrap_admin_key)
        index = IndexService(settings, sessions)  # seeds the bundled corpus in the background if asked
        index.start()  # in the background: /v1/health answers now, /v1/ready when the index is ready
        app.state.settings, app.state.sessions, app.state.index = settings, sessions, index
        try:
            yield
        finally:
            index.stop()
            engine.dispose()

    from service.schemas import ERROR_RESPONSES

    app = FastAPI(title="Bangkok Innovation Center matcher", version="1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json", responses=ERROR_RESPONSES)
    app.state.metrics = Metrics()
    app.state.limiter = RateLimiter.from_settings(settings)
    add_docs(app)

    @app.middleware("http")
    async def limit_and_measure(request: Request, call_next):
        start = time.perf_counter()
        problem = await body_problem(request, settings.max_body_bytes) or app.state.limiter.check(request)
        response = error_response(request, problem) if problem else await call_next(request)
        route = request.scope.get("route")
        app.state.metrics.observe(getattr(route, "path", "unmatched"), response.status_code,
                                  (time.perf_counter() - start) * 1000)
        return response

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError):
        return error_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return error_response(request, ServiceError(exc.status_code, codes.get(exc.status_code, "http_error"),
                                                    str(exc.detail), headers=headers))

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError):
        if not is_outage(exc):
            raise exc  # a bad statement is a bug: the 500 handler logs it
        # info, not warning: the follower warns once per outage, not once per request
        log.info("database unavailable for %s %s: %s", request.method, request.url.path, outage_reason(exc))
        return error_response(request, database_unavailable())

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        return error_response(request, request_error(exc))

    from service.api import router as api_router
    from service.web import router as web_router

    app.include_router(api_router)
    app.include_router(web_router)
    from service.web_accounts import router as accounts_router

    app.include_router(accounts_router)
    from service.api_planning import router as planning_api_router
    from service.web_planning import router as planning_web_router

    app.include_router(planning_api_router)
    app.include_router(planning_web_router)
    from service.api_consortium import router as consortium_router

    app.include_router(consortium_router)
    from service.api_dashboard import router as dashboard_api_router
    from service.web_dashboard import router as dashboard_web_router

    app.include_router(dashboard_api_router)
    app.include_router(dashboard_web_router)
    from service.api_notify import router as notify_api_router
    from service.web_notify import router as notify_web_router

    app.include_router(notify_api_router)
    app.include_router(notify_web_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
