"""What a person needs to act on a match, added to the ranked hits the engine returns.

For a suggested innovator: kind, district, languages, the solution that answers the query best
(title, TRL, snippet; matcher.solutions) and, where matcher.policy allows, the contact details it
chose to share. For a suggested challenge: the posting agency in both languages, deadline, budget
range, district and status. The JSON API, the CSV export and the pages all show these same fields.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.engine import MatchEngine
from matcher.policy import Viewer, may_see_contact
from matcher.records import Innovator

from service.db import ChallengeRow, InnovatorRow


def innovator_cards(session: Session, engine: MatchEngine, hits: list[dict[str, Any]], viewer: Viewer, *,
                    challenge_id: str | None = None, text: str | None = None,
                    own_innovator: str | None = None) -> list[dict[str, Any]]:
    """Enrich innovator hits in place (and return them); `challenge_id` or `text` is what they matched."""
    if not hits:
        return hits
    ids = [h["id"] for h in hits]
    rows = {r.id: r for r in session.scalars(select(InnovatorRow).where(InnovatorRow.id.in_(ids)))}
    records = {i: Innovator.model_validate(rows[i].data) for i in ids if i in rows}
    present = [h for h in hits if h["id"] in records]
    matched = engine.matched_solutions([records[h["id"]].solutions for h in present], challenge_id=challenge_id,
                                       text=text)
    for hit, best in zip(present, matched):
        record = records[hit["id"]]
        hit.update({"kind": rows[hit["id"]].data.get("kind"), "district": record.district, "languages": list(record.languages),
                    "description": record.description[:300],
                    "solution": best.payload(record.solutions[best.index]) if best else None,
                    "contact": _contact(record, viewer, own_innovator)})
    return hits


def _contact(record: Innovator, viewer: Viewer, own_innovator: str | None) -> dict[str, Any] | None:
    if record.contact is None or not may_see_contact(viewer, record.share_contact, own_innovator == record.id):
        return None
    return record.contact.model_dump(mode="json", exclude_none=True) or None


def challenge_cards(session: Session, hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Enrich challenge hits in place with agency names, deadline, budget, district and status."""
    if not hits:
        return hits
    rows = {r.id: r for r in session.scalars(select(ChallengeRow).where(ChallengeRow.id.in_([h["id"] for h in hits])))}
    for hit in hits:
        row = rows.get(hit["id"])
        if row is None:
            continue
        data, agency = row.data, row.agency_row
        hit.update({"agency_name": {"th": agency.name_th, "en": agency.name_en} if agency else
                    {"th": data.get("agency", ""), "en": data.get("agency", "")},
                    "deadline": data.get("deadline"), "budget_min_thb": data.get("budget_min_thb"),
                    "budget_max_thb": data.get("budget_max_thb"), "district": data.get("district"),
                    "status": data.get("status")})
    return hits
