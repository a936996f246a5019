"""Shared request dependencies: the database session, the index, and who is asking."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from service.auth import Actor, actor_for
from service.indexing import IndexService

API_KEY_COOKIE = "bic_key"


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_index(request: Request) -> IndexService:
    return request.app.state.index


def get_actor(request: Request, session: Session = Depends(get_session),
              x_api_key: str | None = Header(default=None, description="API key")) -> Actor:
    """The API key comes from the X-API-Key header (API) or the login cookie (web pages)."""
    return actor_for(session, x_api_key or request.cookies.get(API_KEY_COOKIE))
