"""One error type for the service: a stable code, a message, the offending field, an HTTP status."""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def payload(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


def not_found(kind: str, key: str) -> ServiceError:
    return ServiceError(404, "not_found", f"unknown {kind} id {key!r}", "id")


def forbidden(message: str) -> ServiceError:
    return ServiceError(403, "forbidden", message)


def unauthorized(message: str = "this action needs an API key (header X-API-Key)") -> ServiceError:
    return ServiceError(401, "unauthorized", message)


def conflict(kind: str, key: str) -> ServiceError:
    return ServiceError(409, "conflict", f"{kind} id {key!r} already exists", "id")


def invalid(message: str, field: str | None = None) -> ServiceError:
    return ServiceError(422, "invalid", message, field)
