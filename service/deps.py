"""Shared request dependencies: the database session, the index, and who is asking."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from service.accounts import actor_for_session
from service.auth import Actor, actor_for
from service.changes import Sessions
from service.db import is_outage, outage_reason
from service.errors import ServiceError
from service.indexing import IndexService

from matcher.records import ID_PATTERN

PathId = Annotated[str, Path(pattern=ID_PATTERN, description="A record id")]
"""A record id in a path (API and pages): anything else (NUL, spaces, 200 characters) is a 422
naming it, before any database lookup."""

log = logging.getLogger(__name__)
SESSION_COOKIE = "bic_session"
CSRF_COOKIE = "bic_csrf"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def get_session(request: Request) -> Iterator[Session]:
    """A read session, closed after the response is sent. Closing rolls back; if the database
    went away meanwhile that fails, and the failure must not cut off an answer already started
    (the client would get no response at all), so it is logged and dropped."""
    session = request.app.state.sessions()
    try:
        yield session
    finally:
        try:
            session.close()
        except DBAPIError as exc:
            if not is_outage(exc):
                raise
            log.warning("closing a read session failed: %s", outage_reason(exc))


def get_write_session(request: Request) -> Iterator[Session]:
    """A serialised write transaction for routes that write rows directly (decisions, agencies,
    keys): on SQLite it takes the write lock up front, so a concurrent writer queues instead of
    failing on a stale snapshot (service.db.WRITE_OPTION). Committed when the route returns and
    before the response is sent (WriteSessionDep's scope="function"): a commit that fails is a 503,
    never a 2xx for a change the database does not have."""
    with request.app.state.sessions.write() as session:
        yield session


def if_match(request: Request) -> int | None:
    """The record version an `If-Match` header names (`"3"` or `W/"3"`, as `ETag` gave it), or None
    (absent or `*`: no condition). Writes with a version are conditional (412 when it is stale);
    with `require_if_match` set, a write without one is a 428."""
    value = request.headers.get("if-match")
    if value is None or value.strip() == "*":
        if value is None and request.app.state.settings.require_if_match:
            raise ServiceError(428, "precondition_required", "send If-Match with the ETag of your last read",
                               "If-Match")
        return None
    tag = value.strip().removeprefix("W/").strip('"')
    if not tag.isdigit() or len(tag) > 18:
        raise ServiceError(412, "precondition_failed", "If-Match must be an ETag this API gave (\"<version>\")",
                           "If-Match")
    return int(tag)


def etag(version: int) -> str:
    """The ETag of a record version (see if_match)."""
    return f'"{version}"'


IfMatchDep = Annotated[int | None, Depends(if_match)]


def get_sessions(request: Request) -> Sessions:
    return request.app.state.sessions


def get_index(request: Request) -> IndexService:
    return request.app.state.index


def get_actor(request: Request, session: Session = Depends(get_session),
              x_api_key: str | None = Header(default=None, description="API key (integrations)"),
              x_csrf_token: str | None = Header(default=None, description="CSRF token, for writes with a login cookie")
              ) -> Actor:
    """An API key in X-API-Key (integrations), else the person logged in through the browser.

    A write authenticated by the login cookie must also carry the CSRF token (header X-CSRF-Token
    equal to the bic_csrf cookie), so another site cannot make a logged-in browser write."""
    if x_api_key:
        return actor_for(session, x_api_key)
    actor = actor_for_session(session, request.cookies.get(SESSION_COOKIE))
    if actor.role and request.method not in SAFE_METHODS and \
            (not x_csrf_token or x_csrf_token != request.cookies.get(CSRF_COOKIE)):
        raise ServiceError(403, "csrf", "a write with a login cookie needs the X-CSRF-Token header", key="err_csrf")
    return actor


def web_actor(request: Request, session: Session = Depends(get_session)) -> Actor:
    """The person logged in through the browser (pages never take API keys)."""
    return actor_for_session(session, request.cookies.get(SESSION_COOKIE))


SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
SessionsDep = Annotated[Sessions, Depends(get_sessions)]
IndexDep = Annotated[IndexService, Depends(get_index)]
ActorDep = Annotated[Actor, Depends(get_actor)]
WebActorDep = Annotated[Actor, Depends(web_actor)]
