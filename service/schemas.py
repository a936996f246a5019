"""Request bodies of the JSON API. Records themselves are matcher.records models (one schema family)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from matcher.filters import Filters
from matcher.records import MAX_TEXT_CHARS


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchRequest(_Body):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    target: Literal["challenges", "innovators"] = "innovators"
    k: int = Field(default=10, ge=1, le=200)
    mode: Literal["dense", "lexical", "hybrid"] | None = None
    filters: Filters = Field(default_factory=Filters)


class SimilarRequest(_Body):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    k: int = Field(default=5, ge=1, le=50)


class FeedbackRequest(_Body):
    innovator_id: str = Field(min_length=1, max_length=128)
    decision: Literal["shortlist", "accept", "reject"]
    note: str = Field(default="", max_length=2000)


class EngagementRequest(_Body):
    innovator_id: str | None = Field(default=None, min_length=1, max_length=128)
    state: Literal["invited", "interested", "shortlisted", "accepted", "declined"]
    note: str = Field(default="", max_length=2000, description="A note, or the proposal with an interest")


class SavedSearchRequest(_Body):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    filters: Filters = Field(default_factory=Filters)


class AgencyRequest(_Body):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
    name_th: str = Field(min_length=1, max_length=300)
    name_en: str = Field(min_length=1, max_length=300)


class KeyRequest(_Body):
    role: Literal["admin", "agency", "innovator"]
    agency_id: str | None = None
    innovator_id: str | None = None
    label: str = Field(default="", max_length=200)
