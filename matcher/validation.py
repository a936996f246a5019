"""Invalid input, described once for every caller: the JSON API, the web pages and the CLI.

`field_errors` turns pydantic's error list (a record, a request body, query parameters, filters)
into `FieldError`s: every invalid field, each with its dotted path, a machine type, an English
message and the context a translation needs (limits, accepted values). `InvalidInput` carries them
through code that is not pydantic (the CLI prints its message and exits 2; the service answers 422).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

LOCATIONS = ("body", "query", "path", "header", "cookie")
"""Where FastAPI says a parameter came from; not part of the field name a client wrote."""


@dataclass(frozen=True)
class FieldError:
    """One invalid input: where (dotted path, '' for the whole body), what (pydantic-style type),
    an English message, and the context a translation needs (limits, accepted values)."""

    field: str
    type: str
    message: str
    ctx: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        body = asdict(self)
        body["ctx"] = {k: v if isinstance(v, (str, int, float, bool, list, type(None))) else str(v)
                       for k, v in self.ctx.items()}
        return body

    def describe(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def _position(document: str | bytes, pos: int) -> tuple[int, int]:
    """1-based line and column of character offset `pos` (what json.JSONDecodeError reports)."""
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else document
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _one(error: Mapping[str, Any], rename: Mapping[str, str], document: str | bytes | None,
         parameters: bool) -> FieldError:
    loc = list(error.get("loc") or ())
    if loc and loc[0] in LOCATIONS:
        parameters = parameters or loc[0] != "body"
        loc = loc[1:]
    kind = error.get("type", "value_error")
    ctx = dict(error.get("ctx") or {})
    message = error.get("msg", "invalid value")
    if kind == "json_invalid":  # FastAPI puts the character offset where the field would be
        pos = loc[-1] if loc and isinstance(loc[-1], int) else None
        detail = ctx.get("error") or "invalid JSON"
        if pos is not None and document is not None:
            line, column = _position(document, pos)
            return FieldError("", kind, f"malformed JSON at line {line} column {column}: {detail}",
                              {"line": line, "column": column, "position": pos, "error": str(detail)})
        return FieldError("", kind, f"malformed JSON: {detail}", {"error": str(detail)})
    if loc and isinstance(loc[0], str):
        loc[0] = rename.get(loc[0], loc[0])
    if parameters:  # `?kind=a&kind=b` or `--kind a`: the caller wrote no list index
        loc = [p for p in loc if not isinstance(p, int)]
    path = ".".join(str(p) for p in loc)
    cause = ctx.get("error")
    if isinstance(cause, Exception):
        message = str(cause)
        ctx = {**{k: v for k, v in ctx.items() if k != "error"}, **getattr(cause, "ctx", {})}
        kind = getattr(cause, "type", kind)
    if kind == "missing" and not path:
        message = "a JSON body is required"
    return FieldError(path, kind, message, ctx)


def field_errors(errors: Iterable[Mapping[str, Any]], *, rename: Mapping[str, str] | None = None,
                 document: str | bytes | None = None, parameters: bool = False) -> list[FieldError]:
    """Every pydantic error as a FieldError: the dotted path without FastAPI's body/query prefix
    (`rename` maps a model field to the parameter name the caller wrote, e.g. sectors -> sector),
    the type, the message (a validator's own message, without pydantic's 'Value error, ' prefix)
    and the context. `document` (the raw body) turns a JSON decode offset into line and column;
    `parameters` (query parameters, CLI options; implied by a query/path/header location) leaves out
    list indices, which the caller of `?kind=a&kind=b` never wrote."""
    return [_one(e, rename or {}, document, parameters) for e in errors]


def summary(errors: Iterable[FieldError]) -> str:
    """One line naming every invalid field: 'kind.0: Input should be ...; district: unknown ...'."""
    return "; ".join(e.describe() for e in errors)


class InvalidInput(ValueError):
    """Input that failed validation outside a pydantic model boundary; `errors` lists every field."""

    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        super().__init__(summary(self.errors))

    @classmethod
    def from_pydantic(cls, exc, *, rename: Mapping[str, str] | None = None,
                      parameters: bool = False) -> "InvalidInput":
        return cls(field_errors(exc.errors(), rename=rename, parameters=parameters))
