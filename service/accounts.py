"""People's accounts: passwords (argon2id via argon2-cffi), login sessions, rate limits, invitations.

API keys (service.auth) stay for integrations; people log in with an e-mail address or a username
and a password. The browser holds an opaque session token in an HTTP-only cookie; the database
keeps only its SHA-256, so a leaked database cannot be replayed as sessions. "Log out everywhere"
deletes every session of the person.

Failed logins are counted in the database (so every worker process sees them): too many for one
login name, or from one client address, within the window, and the next attempt is refused with
429 until the window has passed, whether the password is right or not.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.auth import ANONYMOUS, Actor, hash_key
from service.changes import Sessions
from service.db import Agency, LoginFailure, StaffInvitation, User, WebSession, aware
from service.errors import FieldError, ServiceError, invalid

SESSION_DAYS = 14
INVITATION_DAYS = 7
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 5
MAX_FAILURES_PER_CLIENT = 20
MIN_PASSWORD = 10
LOGIN_PATTERN = re.compile(r"^(?:[^@\s]{1,64}@[^@\s]+\.[^@\s]+|[a-z0-9][a-z0-9._\-]{2,63})$")
"""An e-mail address, or a username of 3-64 lower-case letters, digits, dots, dashes, underscores."""
STAFF_ROLES = ("agency", "admin")

_hasher = PasswordHasher()


def _now() -> datetime:
    return datetime.now(timezone.utc)




def normalise_login(login: str) -> str:
    return login.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def account_errors(login: str, display_name: str, password: str, field_prefix: str = "") -> list[FieldError]:
    """Every problem with new account fields (empty list when they are fine)."""
    errors = []
    if not LOGIN_PATTERN.match(normalise_login(login)):
        errors.append(FieldError(f"{field_prefix}login", "login_pattern",
                                 "login must be an e-mail address or a username of 3-64 letters, digits, . _ -"))
    if not display_name.strip() or len(display_name) > 200:
        errors.append(FieldError(f"{field_prefix}display_name", "string_too_short" if not display_name.strip()
                                 else "string_too_long", "display name must be 1-200 characters",
                                 {"min_length": 1, "max_length": 200}))
    if len(password) < MIN_PASSWORD or len(password) > 200:
        errors.append(FieldError(f"{field_prefix}password", "password_too_short",
                                 f"password must be at least {MIN_PASSWORD} characters", {"min_length": MIN_PASSWORD}))
    return errors


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise ServiceError(422, "invalid", "; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def check_login_free(session: Session, login: str, field: str = "login") -> None:
    if session.scalar(select(User).where(User.login == normalise_login(login))) is not None:
        raise ServiceError(409, "conflict", f"an account with login {normalise_login(login)!r} already exists", field,
                           errors=[FieldError(field, "login_taken", "this login is already in use")],
                           key="err_login_taken")


def new_user(session: Session, login: str, display_name: str, password: str, role: str,
             agency_id: str | None = None, innovator_id: str | None = None) -> User:
    """Validate and add a user (not committed: the caller's transaction decides)."""
    _raise_if(account_errors(login, display_name, password))
    check_login_free(session, login)
    if role not in ("admin", "agency", "innovator"):
        raise invalid("role must be admin, agency or innovator", "role", "literal_error",
                      expected=["admin", "agency", "innovator"])
    if role == "agency" and (not agency_id or session.get(Agency, agency_id) is None):
        raise invalid(f"unknown agency {agency_id!r}", "agency_id")
    user = User(login=normalise_login(login), display_name=display_name.strip(), password_hash=hash_password(password),
                role=role, agency_id=agency_id if role == "agency" else None,
                innovator_id=innovator_id if role == "innovator" else None, created_at=_now())
    session.add(user)
    session.flush()
    return user


def _recent_failures(session: Session, column, value: str) -> int:
    since = _now() - FAILURE_WINDOW
    return session.scalar(select(func.count()).select_from(LoginFailure)
                          .where(column == value, LoginFailure.created_at >= since)) or 0


def login(sessions: Sessions, login_name: str, password: str, client: str) -> str:
    """Check the password and open a session; returns the session token (for the cookie).

    401 for a wrong login or password (the same message for both, so logins cannot be probed),
    429 once too many attempts failed recently."""
    name = normalise_login(login_name)
    with sessions.write() as session:
        return _login(session, name, password, client)


def _login(session: Session, name: str, password: str, client: str) -> str:
    if (_recent_failures(session, LoginFailure.login, name) >= MAX_FAILURES_PER_LOGIN
            or _recent_failures(session, LoginFailure.client, client) >= MAX_FAILURES_PER_CLIENT):
        raise ServiceError(429, "too_many_attempts", "too many failed logins; wait 15 minutes and try again",
                           "password", key="err_too_many_attempts", params={"minutes": 15})
    user = session.scalar(select(User).where(User.login == name))
    if user is None or user.disabled or not _verify(user, password):
        session.add(LoginFailure(login=name[:254], client=client[:64], created_at=_now()))
        session.commit()
        raise ServiceError(401, "wrong_login", "wrong login or password", "password",
                           errors=[FieldError("password", "wrong_login", "wrong login or password")],
                           key="err_wrong_login")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.execute(delete(LoginFailure).where(LoginFailure.login == name))
    return _open_session(session, user.id)


def _open_session(session: Session, user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=hash_key(token), user_id=user_id, created_at=_now(),
                           expires_at=_now() + timedelta(days=SESSION_DAYS)))
    session.commit()
    return token


def start_session(sessions: Sessions, user_id: int) -> str:
    """Open a login session for a person (after a fresh registration or accepted invitation)."""
    with sessions.write() as session:
        return _open_session(session, user_id)


def _verify(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def actor_for_session(session: Session, token: str | None) -> Actor:
    """The person behind a session cookie; anonymous when the session is unknown, expired or disabled."""
    if not token:
        return ANONYMOUS
    row = session.get(WebSession, hash_key(token))
    if row is None or aware(row.expires_at) < _now():
        return ANONYMOUS
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return ANONYMOUS
    return actor_of(user)


def actor_of(user: User) -> Actor:
    return Actor(user.role, user.agency_id, user.innovator_id, user_id=user.id, name=user.display_name)


def logout(sessions: Sessions, token: str | None) -> None:
    if token:
        with sessions.write() as session:
            session.execute(delete(WebSession).where(WebSession.token_hash == hash_key(token)))


def logout_everywhere(sessions: Sessions, user_id: int) -> int:
    """End every session of this person (all browsers, all devices); returns how many ended."""
    with sessions.write() as session:
        return session.execute(delete(WebSession).where(WebSession.user_id == user_id)).rowcount or 0


def invite(sessions: Sessions, actor: Actor, login_name: str, role: str, agency_id: str | None) -> str:
    """An admin invites a person to an agency (role agency) or as admin; returns the single-use token
    for the invitation link (shown once)."""
    actor.require("admin")
    with sessions.write() as session:
        return _invite(session, actor, login_name, role, agency_id)


def _invite(session: Session, actor: Actor, login_name: str, role: str, agency_id: str | None) -> str:
    if not LOGIN_PATTERN.match(normalise_login(login_name)):
        raise invalid("login must be an e-mail address or a username", "login", "login_pattern")
    if role not in STAFF_ROLES:
        raise invalid("role must be agency or admin", "role", "literal_error", expected=list(STAFF_ROLES))
    if role == "agency" and (not agency_id or session.get(Agency, agency_id) is None):
        raise invalid(f"unknown agency {agency_id!r}", "agency_id", "unknown_agency")
    check_login_free(session, login_name)
    token = secrets.token_urlsafe(24)
    session.add(StaffInvitation(token_hash=hash_key(token), agency_id=agency_id if role == "agency" else None, role=role,
                                login=normalise_login(login_name), created_by=actor.display_name(), created_at=_now(),
                                expires_at=_now() + timedelta(days=INVITATION_DAYS)))
    session.commit()
    return token


def open_invitation(session: Session, token: str) -> StaffInvitation:
    row = session.get(StaffInvitation, hash_key(token))
    if row is None or row.used_at is not None or aware(row.expires_at) < _now():
        raise ServiceError(404, "invitation_invalid", "this invitation link is unknown, used or expired", "token",
                           key="err_invitation_invalid")
    return row


def accept_invitation(sessions: Sessions, token: str, display_name: str, password: str) -> tuple[User, str]:
    """Create the invited person's account (the login is the invited one), close the invitation
    and open a session for them; returns (user, session token)."""
    with sessions.write() as session:
        row = open_invitation(session, token)
        user = new_user(session, row.login, display_name, password, row.role, row.agency_id)
        row.used_at = _now()
        session.flush()
        return user, _open_session(session, user.id)


def users_of(session: Session, actor: Actor) -> list[dict]:
    actor.require("admin")
    rows = session.scalars(select(User).order_by(User.role, User.agency_id, User.login))
    return [{"id": u.id, "login": u.login, "display_name": u.display_name, "role": u.role, "agency_id": u.agency_id,
             "innovator_id": u.innovator_id, "disabled": u.disabled} for u in rows]


def pending_invitations(session: Session, actor: Actor) -> list[dict]:
    actor.require("admin")
    rows = session.scalars(select(StaffInvitation).where(StaffInvitation.used_at.is_(None))
                           .order_by(StaffInvitation.created_at.desc()))
    return [{"login": r.login, "role": r.role, "agency_id": r.agency_id, "created_by": r.created_by,
             "expires_at": aware(r.expires_at).isoformat()} for r in rows if aware(r.expires_at) >= _now()]


def ensure_user(session: Session, login_name: str, password: str, role: str, display_name: str,
                agency_id: str | None = None) -> bool:
    """Create the account if its login is free (bootstrap and demo accounts); True when created."""
    if session.scalar(select(User).where(User.login == normalise_login(login_name))) is not None:
        return False
    new_user(session, login_name, display_name, password, role, agency_id)
    session.commit()
    return True
