"""`GET /v1/challenges/{id}/consortia`: teams of 2-3 innovators for the owning agency (or an admin).

The teams come from `matcher.consortium.consortia_for` over this process's index; who may ask is
decided by `service.operations.owned_challenge`, like the challenge's suggestions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from matcher.consortium import consortia_for
from matcher.engine import UnknownRecordError

from service import operations as ops
from service.deps import ActorDep, IndexDep, PathId, SessionDep
from service.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


def challenge_consortia(session, index, actor, challenge_id: str, teams: int = 3) -> dict[str, Any]:
    """The consortium suggestion of an owned challenge as the API's JSON body (the page uses it too)."""
    ops.owned_challenge(session, actor, challenge_id)
    try:
        suggestion = consortia_for(ops.ready(index).engine, challenge_id, n_teams=teams)
    except UnknownRecordError:
        raise ops.being_indexed("challenge", challenge_id) from None
    return suggestion.to_dict()


@router.get("/challenges/{challenge_id}/consortia", tags=["matching"])
def consortia(challenge_id: PathId, session: SessionDep, index: IndexDep, actor: ActorDep,
              teams: int = Query(3, ge=1, le=10, description="How many teams to propose")) -> dict[str, Any]:
    """The challenge's needs (split from its text), the best single innovator, and teams whose
    members together cover the needs, each member with the needs it covers."""
    return challenge_consortia(session, index, actor, challenge_id, teams)
