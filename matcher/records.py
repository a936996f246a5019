"""Typed records for challenges (pain points) and innovators, validated against the taxonomy.

Text is validated (not blank, within size limits, no control characters) but stored exactly as
given so Thai round-trips byte for byte; normalisation happens only on the way into indexes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from enum import Enum
from functools import partial
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from matcher import taxonomy
from matcher.text import check_text, detect_language

MAX_TITLE_CHARS = 300
MAX_TEXT_CHARS = 10_000
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$"


def new_id(prefix: str) -> str:
    """A fresh, URL-safe record id."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _note_text(value: str) -> str:
    return check_text(value, allow_blank=True)


def _key_list(vocabulary: str):
    def check(values: list[str]) -> list[str]:
        out: list[str] = []
        for value in values:
            key = taxonomy.resolve(vocabulary, value)
            if key not in out:
                out.append(key)
        return out

    return check


def _optional_district(value: str | None) -> str | None:
    return None if value in (None, "") else taxonomy.resolve("district", value)


Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE_CHARS), AfterValidator(check_text)]
LongText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(check_text)]
RecordId = Annotated[str, Field(pattern=ID_PATTERN)]
Sectors = Annotated[list[str], AfterValidator(_key_list("sector"))]
Themes = Annotated[list[str], AfterValidator(_key_list("theme"))]
District = Annotated[str | None, AfterValidator(_optional_district)]
Districts = Annotated[list[str], AfterValidator(_key_list("district"))]
SectorKey = Annotated[str, AfterValidator(partial(taxonomy.resolve, "sector"))]
ThemeKey = Annotated[str, AfterValidator(partial(taxonomy.resolve, "theme"))]
"""One sector / theme (a key, or a Thai/English label resolved to its key): for filters."""
Language = Literal["th", "en", "mixed"]


class Status(str, Enum):
    open = "open"
    closed = "closed"


class InnovatorKind(str, Enum):
    startup = "startup"
    social_enterprise = "social_enterprise"
    university_lab = "university_lab"
    community_enterprise = "community_enterprise"
    sme = "sme"
    ngo = "ngo"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, use_enum_values=True, validate_default=True)


ContactText = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(check_text)]
NoteText = Annotated[str, Field(max_length=2000), AfterValidator(_note_text)]
"""An optional note (a decision's reason, a proposal): may be empty, never holds control characters."""
QueryText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(check_text)]
"""A free-text query (search, similar, saved search): the same rule as stored text. The matcher reads
only its first QUERY_WINDOW_CHARS (matcher.text.cut_query) and says so."""
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Contact(_Record):
    """How to reach the person behind a record; every field optional, shown only where policy allows."""

    person: ContactText | None = None
    email: Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)] | None = None
    phone: Annotated[str, Field(max_length=40, pattern=r"^[0-9+()\-. ]{6,40}$")] | None = None
    website: Annotated[str, Field(max_length=300, pattern=r"^https?://\S+$")] | None = None
    line_id: Annotated[str, Field(max_length=60), AfterValidator(check_text)] | None = None


class Evidence(_Record):
    """What a challenge drafted from citizen complaints is based on (shown on the challenge page)."""

    count: int = Field(ge=1, description="Number of citizen complaints")
    complaint_ids: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(default_factory=list, max_length=5000)
    districts: list[Annotated[str, AfterValidator(lambda v: taxonomy.resolve("district", v))]] = Field(default_factory=list)
    months: dict[Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")], int] = Field(
        default_factory=dict, description="Complaints per month (YYYY-MM, Bangkok time)")
    draft_id: str | None = Field(default=None, max_length=200)


class Challenge(_Record):
    """A pain point posted by a BMA agency or district office."""

    id: RecordId = Field(default_factory=lambda: new_id("ch"))
    agency: Title
    agency_id: RecordId | None = Field(default=None, description="The posting agency's account id (set by the service)")
    title: Title
    description: LongText
    language: Language | None = None
    sectors: Sectors = Field(default_factory=list)
    themes: Themes = Field(default_factory=list)
    district: District = None
    status: Status = Status.open
    confidential: bool = False
    deadline: date | None = None
    budget_min_thb: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    budget_max_thb: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    contact: Contact | None = None
    evidence: Evidence | None = Field(default=None, description="Citizen complaints this challenge was drafted from")
    created_at: datetime = Field(default_factory=_utcnow)
    updated_at: datetime = Field(default_factory=_utcnow)

    @model_validator(mode="after")
    def _derive(self) -> "Challenge":
        if self.budget_min_thb is not None and self.budget_max_thb is not None:
            if self.budget_min_thb > self.budget_max_thb:
                raise ValueError("budget_min_thb must not exceed budget_max_thb")
        if self.language is None:
            self.language = detect_language(f"{self.title}\n{self.description}")
        return self

    def search_text(self) -> str:
        """The text that represents this challenge in the indexes."""
        return f"{self.title}\n{self.description}"


class Solution(_Record):
    """One solution an innovator offers, with its technology readiness level."""

    title: Title
    description: LongText
    trl: int = Field(ge=1, le=9, description="Technology readiness level, 1-9")


class Innovator(_Record):
    """A startup, social enterprise, lab or community group that can solve city problems."""

    id: RecordId = Field(default_factory=lambda: new_id("in"))
    name: Title
    kind: InnovatorKind
    description: LongText
    solutions: list[Solution] = Field(min_length=1, max_length=20)
    sectors: Sectors = Field(default_factory=list)
    themes: Themes = Field(default_factory=list)
    district: District = None
    languages: list[Literal["th", "en"]] = Field(default_factory=lambda: ["th"], min_length=1)
    contact: Contact | None = None
    share_contact: bool = Field(default=True, description="Show the contact to agencies this innovator is suggested to")
    created_at: datetime = Field(default_factory=_utcnow)
    updated_at: datetime = Field(default_factory=_utcnow)

    @field_validator("languages")
    @classmethod
    def _unique_languages(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))

    @property
    def max_trl(self) -> int:
        return max(s.trl for s in self.solutions)

    @property
    def language(self) -> str:
        return detect_language(self.search_text())

    def search_text(self) -> str:
        """Name, profile and every solution: what a challenge should be matched against."""
        parts = [self.name, self.description]
        for solution in self.solutions:
            parts.append(f"{solution.title}: {solution.description}")
        return "\n".join(parts)
