"""Record lists in the database: filters as SQL WHERE, pagination as OFFSET/LIMIT, totals as COUNT.

Records are stored as JSON (`data`), so facet filters read JSON fields with the dialect's own
functions (SQLite json_extract / json_each, PostgreSQL ->> / json_array_elements_text).
`visible_challenges` is matcher.policy.may_see_challenge written as SQL: the one SQL form of that
rule (tests/service/test_api_schema.py checks that both give the same answer for every case).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from matcher.policy import Viewer

from service.db import ChallengeRow, InnovatorRow


def visible_challenges(viewer: Viewer) -> ColumnElement[bool]:
    """Challenges `viewer` may see: matcher.policy.may_see_challenge as a WHERE clause."""
    if viewer.is_admin:
        return true()
    public = func.coalesce(ChallengeRow.confidential, false()) == false()
    if viewer.agency_id is None:
        return public
    return or_(public, ChallengeRow.agency_id == viewer.agency_id)


def _text(column: Any, key: str) -> ColumnElement[str]:
    """A string field of a JSON column."""
    return column[key].as_string()


def _has(session: Session, column: Any, key: str, value: str) -> ColumnElement[bool]:
    """The JSON array `column[key]` holds the string `value`."""
    if session.get_bind().dialect.name == "postgresql":
        elements = func.json_array_elements_text(column[key]).table_valued("value")
    else:
        elements = func.json_each(column, f"$.{key}").table_valued("value")
    return exists(select(1).select_from(elements).where(elements.c.value == value))


def _page(session: Session, model: Any, conditions: list[ColumnElement[bool]], skip: int,
          limit: int) -> tuple[list[Any], int]:
    where = and_(true(), *conditions)
    count = session.scalar(select(func.count()).select_from(model).where(where)) or 0
    query: Select = (select(model).where(where).order_by(model.created_at.desc(), model.id)
                     .offset(skip).limit(limit))
    return list(session.scalars(query)), count


def challenge_page(session: Session, viewer: Viewer, *, status: str | None = None, agency_id: str | None = None,
                   sector: str | None = None, theme: str | None = None, district: str | None = None,
                   deadline_before: Any = None, deadline_after: Any = None, q: str | None = None, skip: int = 0,
                   limit: int = 50) -> tuple[list[ChallengeRow], int]:
    """One page of the challenges `viewer` may see, newest first, and how many match in all.
    Values are already validated keys (service.schemas.ChallengeQuery); deadlines are dates."""
    data = ChallengeRow.data
    conditions = [visible_challenges(viewer)]
    if status:
        conditions.append(ChallengeRow.status == status)
    if agency_id:
        conditions.append(ChallengeRow.agency_id == agency_id)
    if sector:
        conditions.append(_has(session, data, "sectors", sector))
    if theme:
        conditions.append(_has(session, data, "themes", theme))
    if district:
        conditions.append(_text(data, "district") == district)
    if deadline_before is not None:
        conditions.append(_text(data, "deadline") <= deadline_before.isoformat())
    if deadline_after is not None:
        conditions.append(_text(data, "deadline") >= deadline_after.isoformat())
    if q:
        conditions.append(_text(data, "title").icontains(q, autoescape=True))
    return _page(session, ChallengeRow, conditions, skip, limit)


def innovator_page(session: Session, *, kind: str | None = None, sector: str | None = None,
                   theme: str | None = None, district: str | None = None, language: str | None = None,
                   q: str | None = None, skip: int = 0, limit: int = 50) -> tuple[list[InnovatorRow], int]:
    """One page of innovator profiles, newest first, and how many match in all (values validated by
    service.schemas.InnovatorQuery)."""
    data = InnovatorRow.data
    conditions: list[ColumnElement[bool]] = []
    if kind:
        conditions.append(_text(data, "kind") == kind)
    if sector:
        conditions.append(_has(session, data, "sectors", sector))
    if theme:
        conditions.append(_has(session, data, "themes", theme))
    if district:
        conditions.append(_text(data, "district") == district)
    if language:
        conditions.append(_has(session, data, "languages", language))
    if q:
        conditions.append(_text(data, "name").icontains(q, autoescape=True))
    return _page(session, InnovatorRow, conditions, skip, limit)
