"""The FastAPI application: lifespan (migrate, seed, sync indexes), middleware, error handlers."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.config import ServiceSettings, get_service_settings
from service.changes import Sessions
from service.db import make_engine, migrate
from service.errors import ServiceError
from service.indexing import IndexService

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"


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


def _field_of(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts)


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

    app = FastAPI(title="Bangkok Innovation Center matcher", version="1.0", lifespan=lifespan,
                  docs_url="/docs", openapi_url="/openapi.json")
    app.state.metrics = Metrics()

    @app.middleware("http")
    async def limit_and_measure(request: Request, call_next):
        start = time.perf_counter()
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > settings.max_body_bytes:
            response = JSONResponse(ServiceError(413, "too_large", f"request body over {settings.max_body_bytes} bytes").payload(),
                                    status_code=413)
        else:
            if request.method in ("POST", "PUT", "PATCH"):
                body = await request.body()
                if len(body) > settings.max_body_bytes:
                    response = JSONResponse(ServiceError(413, "too_large", f"request body over {settings.max_body_bytes} bytes").payload(),
                                            status_code=413)
                    app.state.metrics.observe(request.url.path, 413, (time.perf_counter() - start) * 1000)
                    return response
            response = await call_next(request)
        route = request.scope.get("route")
        app.state.metrics.observe(getattr(route, "path", "unmatched"), response.status_code,
                                  (time.perf_counter() - start) * 1000)
        return response

    @app.exception_handler(ServiceError)
    async def service_error(_request: Request, exc: ServiceError):
        return JSONResponse(exc.payload(), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException):
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(ServiceError(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail)).payload(),
                            status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = _field_of(first.get("loc", ()))
        message = f"{field}: {first['msg']}" if field else first["msg"]
        return JSONResponse(ServiceError(422, "invalid", message, field or None).payload(), status_code=422)

    from service.api import router as api_router
    from service.web import router as web_router

    app.include_router(api_router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
