"""Notifications API under /v1: the logged-in person's inbox (thin routes over service.notify).

Notifications belong to people (accounts), not to API keys: a key gets 403. A browser's JSON write
carries the X-CSRF-Token header like every cookie-authenticated write (service.deps.get_actor)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from service import notify
from service.deps import ActorDep, SessionDep, WriteSessionDep
from service.schemas import ERROR_RESPONSES, Inbox, MarkedRead, NotificationPublic

router = APIRouter(prefix="/v1", tags=["notifications"], responses=ERROR_RESPONSES)


@router.get("/notifications", response_model=Inbox)
def list_notifications(session: SessionDep, actor: ActorDep,
                       unread: bool = Query(False, description="Only unread notifications"),
                       skip: int = Query(0, ge=0), limit: int = Query(20, ge=1, le=100)) -> dict[str, Any]:
    """The person's notifications, newest first, with the unread count (the nav bar's number)."""
    return notify.inbox(session, actor, unread_only=unread, skip=skip, limit=limit)


@router.post("/notifications/read-all", response_model=MarkedRead)
def read_all(session: WriteSessionDep, actor: ActorDep) -> dict[str, Any]:
    return {"marked": notify.mark_all_read(session, actor)}


@router.post("/notifications/{notification_id}/read", response_model=NotificationPublic)
def read_one(notification_id: int, session: WriteSessionDep, actor: ActorDep) -> dict[str, Any]:
    """Mark one notification read (404 for another person's); marking it again keeps the first time."""
    return notify.mark_read(session, actor, notification_id)
