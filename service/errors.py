"""One error type for the service: a stable code, a message, the offending fields, an HTTP status.

A `ServiceError` carries every invalid field (`errors`), each with a machine type and its context,
so the JSON API can list them all and the web pages can say the same in Thai or English
(service.i18n.field_message) next to the field that is wrong.
"""

from __future__ import annotations

from typing import Any

# FieldError has one definition, in the library (the CLI reports invalid input the same way);
# it is imported from here by the service.
from matcher.validation import FieldError, InvalidInput, field_errors, summary


class ServiceError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 errors: list[FieldError] | None = None, key: str | None = None, params: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = list(errors or [])
        self.field = field if field is not None else (self.errors[0].field or None if self.errors else None)
        self.key = key
        """Message-catalogue key (service.i18n) for pages; None: derived from `code`."""
        self.params = dict(params or {})
        self.headers = dict(headers or {})
        """HTTP headers the answer carries (Allow with a 405, Retry-After with a 429 or 503), for JSON
        and pages alike."""

    def payload(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "field": self.field,
                          "errors": [e.payload() for e in self.errors]}}


def not_found(kind: str, key: str) -> ServiceError:
    return ServiceError(404, "not_found", f"unknown {kind} id {key!r}", "id", key="err_not_found",
                        params={"kind": kind, "id": key})


def forbidden(message: str) -> ServiceError:
    return ServiceError(403, "forbidden", message, key="err_forbidden")


def unauthorized(message: str = "this action needs a login or an API key (header X-API-Key)") -> ServiceError:
    return ServiceError(401, "unauthorized", message, key="err_unauthorized")


def conflict(kind: str, key: str) -> ServiceError:
    return ServiceError(409, "conflict", f"{kind} id {key!r} already exists", "id", key="err_conflict",
                        params={"kind": kind, "id": key})


def taken(kind: str, key: str) -> ServiceError:
    """A create whose id is in use, was used by a deleted record, or belongs to a record the caller
    may not see: one answer for all three, so it tells nothing about which."""
    return ServiceError(409, "conflict", f"{kind} id {key!r} is not available; choose another id or omit it",
                        "id", key="err_conflict", params={"kind": kind, "id": key})


def precondition_failed(kind: str, key: str, expected: int, current: int) -> ServiceError:
    """If-Match named a version that is no longer current: someone changed the record meanwhile."""
    return ServiceError(412, "precondition_failed",
                        f"{kind} {key!r} changed since version {expected} (now version {current}); "
                        "read it again and re-apply your change", "If-Match", key="err_precondition",
                        params={"kind": kind, "id": key, "expected": expected, "current": current})


RETRY_AFTER_SECONDS = 2
"""What a client is told to wait when the database is unreachable: the pool reconnects (pre-ping) on
the first request after the database is back, so a short wait is enough."""


def database_unavailable() -> ServiceError:
    """A 503 with Retry-After for a request that could not reach the database (nothing was changed,
    or the outcome of a write whose commit was cut off is unknown: retrying it answers 409 if it landed)."""
    return ServiceError(503, "database_unavailable", "the database is unavailable; retry shortly",
                        key="err_database_unavailable", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def invalid(message: str, field: str | None = None, type: str = "value_error", **ctx: Any) -> ServiceError:
    """A 422 for one field, listed in `errors` like a schema error."""
    return ServiceError(422, "invalid", message, field, errors=[FieldError(field or "", type, message, ctx)])


def invalid_fields(errors: list[FieldError] | InvalidInput, status: int = 422, code: str = "invalid",
                   field: str | None = None) -> ServiceError:
    """A 422 (or `status`) listing every invalid field; the message names them all.
    Build `errors` with matcher.validation.field_errors (pydantic errors) or pass an InvalidInput."""
    errors = errors.errors if isinstance(errors, InvalidInput) else list(errors)
    return ServiceError(status, code, summary(errors) or "invalid input", field, errors=errors)


def from_pydantic(errors, **options: Any) -> ServiceError:
    """pydantic's error list (a ValidationError's .errors(), a RequestValidationError's) as a 422;
    `options` go to matcher.validation.field_errors."""
    return invalid_fields(field_errors(errors, **options))
