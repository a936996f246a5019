"""Bounded cost per caller: rate limits on searches and writes (429 with Retry-After).

Searching costs an encoder call and a ranking; a write costs an encoding and a transaction. An
anonymous caller is counted by client address; a caller with an API key or a login session by
that credential (so many staff behind one office address are not one caller). Limits use the
`limits` library's moving window, kept in this process's memory: with N workers behind one
address a caller gets up to N times the limit, which bounds the cost all the same. Log-in attempts
have their own, database-wide counter (service.accounts).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from service.config import ServiceSettings
from service.errors import ServiceError

WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")
SEARCH_POSTS = ("/v1/search", "/v1/challenges/similar")
SEARCH_PAGES = ("/", "/innovators", "/innovator")
"""Pages that run a free-text search when they carry `q`."""


def request_class(request: Request) -> str | None:
    """'search', 'write' or None (reads of stored records are not limited here)."""
    path, method = request.url.path, request.method
    if method == "POST" and path in SEARCH_POSTS:
        return "search"
    if method == "GET" and (path.endswith("/matches") or path.endswith("/consortia")
                            or (path in SEARCH_PAGES and request.query_params.get("q", "").strip())):
        return "search"
    return "write" if method in WRITE_METHODS else None


def caller(request: Request) -> tuple[str, bool]:
    """(who is asking, whether that is a credential): an API key or a session, else the address."""
    from service.deps import SESSION_COOKIE

    credential = request.headers.get("x-api-key") or request.cookies.get(SESSION_COOKIE)
    if credential:
        return "k:" + hashlib.sha256(credential.encode("utf-8", "replace")).hexdigest()[:24], True
    return "a:" + (request.client.host if request.client else "unknown"), False


@dataclass
class RateLimiter:
    """The limits of one process; an empty limit string switches that limit off."""

    anonymous: dict[str, RateLimitItem | None]
    credential: RateLimitItem | None
    window: MovingWindowRateLimiter

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> "RateLimiter":
        def item(text: str) -> RateLimitItem | None:
            return parse(text) if text.strip() else None

        return cls({"search": item(settings.rate_limit_search), "write": item(settings.rate_limit_write)},
                   item(settings.rate_limit_key), MovingWindowRateLimiter(MemoryStorage()))

    def check(self, request: Request) -> ServiceError | None:
        """None if the request may go on; else the 429 to answer (before any work is done)."""
        kind = request_class(request)
        if kind is None:
            return None
        who, has_credential = caller(request)
        limit = self.credential if has_credential else self.anonymous[kind]
        if limit is None:
            return None
        scope = "any" if has_credential else kind
        if self.window.hit(limit, scope, who):
            return None
        reset = self.window.get_window_stats(limit, scope, who).reset_time
        seconds = max(1, math.ceil(reset - time.time()))
        return ServiceError(429, "rate_limited", f"too many {kind} requests ({limit}); retry in {seconds} s",
                            key="err_rate_limited", params={"seconds": seconds}, headers={"Retry-After": str(seconds)})
