"""Facet filters applied inside retrieval, via an inverted index from facet value to record keys.

Filtering before ranking (instead of after a short top-k) guarantees that a narrow filter still
returns its best matches.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SET_FACETS = ("sectors", "themes", "district", "kind", "status", "language")


class Filters(BaseModel):
    """Every given field must match; within a list field any listed value matches."""

    model_config = ConfigDict(extra="forbid")

    sectors: list[str] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)
    district: list[str] = Field(default_factory=list)
    kind: list[str] = Field(default_factory=list)
    status: list[str] = Field(default_factory=list)
    language: list[str] = Field(default_factory=list)
    min_trl: int | None = Field(default=None, ge=1, le=9)

    @classmethod
    def from_labels(cls, *, sectors=None, themes=None, district=None, kind=None, status=None, language=None,
                    min_trl: int | None = None) -> "Filters":
        """Build from user input: taxonomy keys or Thai/English labels (ValueError names the vocabulary)."""
        from matcher import taxonomy

        return cls(sectors=[taxonomy.resolve("sector", v) for v in sectors or []],
                   themes=[taxonomy.resolve("theme", v) for v in themes or []],
                   district=[taxonomy.resolve("district", v) for v in district or []],
                   kind=list(kind or []), status=list(status or []), language=list(language or []), min_trl=min_trl)

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
