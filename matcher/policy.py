"""Who may see which challenge, and what "open" means: the one place these rules live.

The engine applies them inside retrieval and the service applies them to reads of single records;
both call these functions with the caller's identity, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matcher.filters import Filters

OPEN = "open"


@dataclass(frozen=True)
class Viewer:
    """The caller, as far as visibility goes: an administrator, an agency's staff, or anyone."""

    is_admin: bool = False
    agency_id: str | None = None


ANYONE = Viewer()
ADMIN = Viewer(is_admin=True)


def may_see_challenge(viewer: Viewer, confidential: bool, agency_id: str | None) -> bool:
    """A confidential challenge is visible to its own agency and to administrators only."""
    return not confidential or viewer.is_admin or (viewer.agency_id is not None and viewer.agency_id == agency_id)


def may_see_contact(viewer: Viewer, share_contact: bool, is_owner: bool = False) -> bool:
    """An innovator's contact details: to the innovator itself always; to agency staff and
    administrators (those it may be suggested to) only when it chose to share them; never to the public."""
    return is_owner or (share_contact and (viewer.is_admin or viewer.agency_id is not None))


def may_see_facets(viewer: Viewer, facets: Mapping[str, Any]) -> bool:
    return may_see_challenge(viewer, bool(facets.get("confidential")), facets.get("agency_id"))


def open_unless_asked(filters: Filters | None) -> Filters:
    """Innovators and free-text searchers see open challenges unless they filter by status."""
    filters = filters or Filters()
    return filters if filters.status else filters.model_copy(update={"status": [OPEN]})
