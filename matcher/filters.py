"""Facet filters applied inside retrieval, via an inverted index from facet value to record keys.

Filtering before ranking (instead of after a short top-k) guarantees that a narrow filter still
returns its best matches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from matcher.records import Districts, InnovatorKind, Language, Sectors, Status, Themes
from matcher.validation import FieldError, InvalidInput

SET_FACETS = ("sectors", "themes", "district", "kind", "status", "language")

PARAMETERS = {"sectors": "sector", "themes": "theme"}
"""Filter field -> the name of its repeatable query parameter / CLI option (`--sector`, `?sector=`)."""

ONLY_FOR = {"kind": "innovators", "min_trl": "innovators", "status": "challenges"}
"""Facets that exist on one side only (see matcher.documents): a challenge has no kind or TRL, an
innovator profile has no open/closed status. Filtering the other side by them would match nothing."""


class Filters(BaseModel):
    """Every given field must match; within a list field any listed value matches.

    Fields are typed with the records' own taxonomy types, so a value the records would refuse is
    refused here too (pydantic names the field and lists the accepted values); sectors, themes and
    districts also take Thai/English labels and are stored as keys."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    sectors: Sectors = Field(default_factory=list)
    themes: Themes = Field(default_factory=list)
    district: Districts = Field(default_factory=list)
    kind: list[InnovatorKind] = Field(default_factory=list, description="Innovators only")
    status: list[Status] = Field(default_factory=list, description="Challenges only")
    language: list[Language] = Field(default_factory=list, description="Language of the record's text")
    min_trl: StrictInt | None = Field(default=None, ge=1, le=9, description="Innovators only: best solution's TRL")

    @classmethod
    def from_params(cls, *, sector: Iterable[str] | None = None, theme: Iterable[str] | None = None,
                    district: Iterable[str] | None = None, kind: Iterable[str] | None = None,
                    status: Iterable[str] | None = None, language: Iterable[str] | None = None,
                    min_trl: int | None = None, side: str | None = None) -> "Filters":
        """From query parameters or CLI options (keys or Thai/English labels). Raises InvalidInput
        naming every bad parameter as the caller wrote it (`sector`, not `sectors`); with `side`,
        also a filter that does not apply to that side."""
        values = {"sectors": sector, "themes": theme, "district": district, "kind": kind, "status": status,
                  "language": language}
        try:
            filters = cls.model_validate({**{k: list(v) for k, v in values.items() if v}, "min_trl": min_trl})
        except ValidationError as exc:
            raise InvalidInput.from_pydantic(exc, rename=PARAMETERS, parameters=True) from None
        if side is not None:
            filters.check_side(side, rename=PARAMETERS)
        return filters

    def check_side(self, side: str, *, prefix: str = "", rename: dict[str, str] | None = None) -> "Filters":
        """Raise InvalidInput for a filter on a facet `side` does not have (a usage error, not an
        empty answer)."""
        errors = [FieldError(prefix + (rename or {}).get(name, name), "not_applicable",
                             f"applies to {only} only, not to {side}", {"side": side, "applies_to": only})
                  for name, only in ONLY_FOR.items() if only != side and getattr(self, name) not in (None, [])]
        if errors:
            raise InvalidInput(errors)
        return self

    def is_empty(self) -> bool:
        return self.min_trl is None and not any(getattr(self, f) for f in SET_FACETS)


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v) for v in value]
    return [str(value)]


class FacetIndex:
    """facet -> value -> set of keys, plus each record's TRL."""

    def __init__(self) -> None:
        self._sets: dict[str, dict[str, set[str]]] = {f: defaultdict(set) for f in SET_FACETS}
        self._trl: dict[str, int] = {}
        self._facets: dict[str, dict[str, Any]] = {}

    def upsert(self, key: str, facets: dict[str, Any]) -> None:
        self.remove(key)
        self._facets[key] = facets
        for facet in SET_FACETS:
            for value in _values(facets.get(facet)):
                self._sets[facet][value].add(key)
        if facets.get("trl") is not None:
            self._trl[key] = int(facets["trl"])

    def remove(self, key: str) -> None:
        old = self._facets.pop(key, None)
        if old is None:
            return
        for facet in SET_FACETS:
            for value in _values(old.get(facet)):
                self._sets[facet][value].discard(key)
        self._trl.pop(key, None)

    def allowed(self, filters: Filters | None) -> set[str] | None:
        """Keys passing the filters, or None when nothing is filtered."""
        if filters is None or filters.is_empty():
            return None
        result: set[str] | None = None
        for facet in SET_FACETS:
            wanted = getattr(filters, facet)
            if not wanted:
                continue
            keys: set[str] = set()
            for value in wanted:
                keys |= self._sets[facet].get(value, set())
            result = keys if result is None else result & keys
        if filters.min_trl is not None:
            keys = {k for k, trl in self._trl.items() if trl >= filters.min_trl}
            result = keys if result is None else result & keys
        return result if result is not None else set(self._facets)
