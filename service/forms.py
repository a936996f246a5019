"""Reading posted HTML forms into plain values, the same shape whatever the form."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData


class FormFields:
    """A posted form: single values stripped of surrounding whitespace, lists, checkboxes."""

    def __init__(self, data: FormData):
        self._data = data

    def get(self, name: str, default: str = "") -> str:
        value = self._data.get(name)
        return value.strip() if isinstance(value, str) else default

    def raw(self, name: str) -> str:
        """A value exactly as typed (passwords, long texts whose spacing matters)."""
        value = self._data.get(name)
        return value if isinstance(value, str) else ""

    def getlist(self, name: str) -> list[str]:
        return [v for v in self._data.getlist(name) if isinstance(v, str) and v]

    def flag(self, name: str) -> bool:
        return self.get(name).lower() in ("true", "on", "1", "yes")

    def values(self, names: Iterable[str], lists: Iterable[str] = (), flags: Iterable[str] = ()) -> dict[str, Any]:
        out: dict[str, Any] = {n: self.get(n) for n in names}
        out.update({n: self.getlist(n) for n in lists})
        out.update({n: self.flag(n) for n in flags})
        return out


async def posted_form(request: Request) -> FormFields:
    """Dependency: the request's form (parsed once, before the synchronous route runs)."""
    return FormFields(await request.form())
