"""Citizen complaints as evidence of demand: the record, and what loading a file reports.

A complaint is kept as the citizen wrote it (text verbatim, for quoting); the district is the
taxonomy key when the raw name resolves, with the raw name kept beside it, so a complaint from an
unknown or misspelt district is still evidence, just not placed on the map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from matcher.text import is_blank

MAX_COMPLAINT_CHARS = 20_000
ComplaintId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s/\\?#]+$")]


class Complaint(BaseModel):
    """One citizen complaint (a Traffy Fondue ticket or a row of another source)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ComplaintId
    text: str = Field(min_length=1, max_length=MAX_COMPLAINT_CHARS)
    district: str | None = Field(default=None, description="Taxonomy district key, when the raw name resolves")
    district_raw: str | None = Field(default=None, max_length=200)
    categories: list[str] = Field(default_factory=list, description="The source's own category labels")
    created_at: datetime | None = None
    state: str | None = Field(default=None, max_length=100)
    source: str = Field(default="", max_length=200)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if is_blank(value):
            raise ValueError("must not be empty or whitespace only")
        return value

    def month(self) -> str | None:
        """YYYY-MM of the report in Bangkok time (what a planner reads), or None without a time."""
        if self.created_at is None:
            return None
        return bangkok(self.created_at).strftime("%Y-%m")


def bangkok(moment: datetime) -> datetime:
    """A timestamp in Bangkok local time; naive timestamps are taken as Bangkok time already."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Bangkok")
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


@dataclass(frozen=True)
class LineError:
    """Why one input line (or CSV record starting at that line) was not loaded."""

    line: int
    field: str | None
    problem: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", field {self.field!r}" if self.field else "")
        return f"{where}: {self.problem}"

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "problem": self.problem}


@dataclass
class LoadResult:
    """The complaints read from one file and the lines that could not be read (they never abort it)."""

    complaints: list[Complaint] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    lines: int = 0
    """Records seen (JSON lines or CSV records), good and bad."""
