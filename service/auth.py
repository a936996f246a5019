"""API keys (stored as SHA-256 hashes) and the roles admin, agency and innovator."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import Agency, ApiKey, InnovatorRow
from matcher.policy import Viewer

from service.errors import forbidden, invalid, unauthorized

ROLES = ("admin", "agency", "innovator")


@dataclass(frozen=True)
class Actor:
    """Who is asking. role None means anonymous (public reads only)."""

    role: str | None = None
    agency_id: str | None = None
    innovator_id: str | None = None
    key_id: int | None = None
    user_id: int | None = None
    name: str | None = None
    """How this actor is shown to people (a person's display name, or the API key's label)."""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def viewer(self) -> Viewer:
        """This actor as matcher.policy sees it (what it may see, nothing else)."""
        return Viewer(is_admin=self.is_admin, agency_id=self.agency_id if self.role == "agency" else None)

    def display_name(self) -> str:
        return self.name or self.label()

    def label(self) -> str:
        who = self.agency_id or self.innovator_id or ""
        return f"{self.role or 'anonymous'}:{who}#{self.key_id}" if self.role else "anonymous"

    def require(self, *roles: str) -> None:
        if self.role is None:
            raise unauthorized()
        if self.role not in roles:
            raise forbidden(f"role {self.role!r} may not do this (needs {' or '.join(roles)})")


ANONYMOUS = Actor()


def hash_key(key: str) -> str:
    # Keys are 256-bit random tokens, so a plain SHA-256 cannot be brute-forced; no salt needed.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, role: str, agency_id: str | None = None, innovator_id: str | None = None,
               label: str = "", key: str | None = None) -> str:
    """Store a new key and return its plaintext, which is never stored and shown only once."""
    if role not in ROLES:
        raise invalid(f"role must be one of {', '.join(ROLES)}", "role")
    if role == "agency":
        if not agency_id or session.get(Agency, agency_id) is None:
            raise invalid(f"agency keys need an existing agency (got {agency_id!r})", "agency_id")
    if role == "innovator":
        if not innovator_id or session.get(InnovatorRow, innovator_id) is None:
            raise invalid(f"innovator keys need an existing innovator (got {innovator_id!r})", "innovator_id")
    key = key or "bic_" + secrets.token_urlsafe(32)
    session.add(ApiKey(key_hash=hash_key(key), role=role, agency_id=agency_id if role == "agency" else None,
                       innovator_id=innovator_id if role == "innovator" else None, label=label))
    session.flush()
    return key


def actor_for(session: Session, key: str | None) -> Actor:
    if not key:
        return ANONYMOUS
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked.is_(False)))
    if row is None:
        raise unauthorized("unknown or revoked API key")
    return Actor(row.role, row.agency_id, row.innovator_id, row.id, name=row.label or None)
