"""What every server-rendered page shares: templates, language, CSRF, local time, form errors.

Pages call service.operations (the same functions as the JSON API), so the UI cannot drift from
the API's rules. Errors a person caused are shown in the page's language next to the field that is
wrong, with the input kept (`form_error`); anything else becomes an HTML error page (`error_page`).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from matcher import taxonomy
from matcher.records import InnovatorKind

from service.auth import Actor
from service.deps import CSRF_COOKIE
from service.errors import ServiceError
from service.i18n import error_text, field_label, field_message, pick_language, translator

BANGKOK = ZoneInfo("Asia/Bangkok")
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
PAGE_SIZE = 20


def page_language(request: Request) -> str:
    return pick_language(request.query_params.get("lang"), request.cookies.get("lang"))


def local_time(value: str | datetime | None, lang: str) -> str:
    """A stored UTC time as Bangkok local time: "2 ธ.ค. 2569 17:20" or "2 Dec 2026, 17:20"."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(BANGKOK)
    if lang == "th":
        from pythainlp.util import thai_strftime

        return thai_strftime(moment, "%-d %b %Y %H:%M")
    return moment.strftime("%-d %b %Y, %H:%M")


def local_date(value: str | date | None, lang: str) -> str:
    if value is None or value == "":
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    if lang == "th":
        from pythainlp.util import thai_strftime

        return thai_strftime(datetime(day.year, day.month, day.day), "%-d %B %Y")
    return day.strftime("%-d %B %Y")


def baht(amount: float | None) -> str:
    return "" if amount is None else f"฿{amount:,.0f}"


def budget_range(low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return ""
    if low is not None and high is not None:
        return baht(low) if low == high else f"{baht(low)} – {baht(high)}"
    return f"≥ {baht(low)}" if low is not None else f"≤ {baht(high)}"


def term_label(kind: str, key: str | None, lang: str) -> str:
    if not key:
        return ""
    try:
        return taxonomy.term(kind, key).label(lang)
    except (KeyError, ValueError):
        return key


def page_url(request: Request, here: str | None = None, **changes: Any) -> str:
    """This page's URL with some query parameters changed (pagination, language). After a form
    post the page shown belongs to `here` (a GET address), so a language switch never re-posts."""
    if request.method != "GET":
        path, items = here or "/", []
    else:
        path, items = request.url.path, request.query_params.multi_items()
    pairs = [(k, v) for k, v in items if k not in changes] + [(k, v) for k, v in changes.items() if v not in (None, "")]
    return f"{path}?{urlencode(pairs)}" if pairs else path


def form_field(path: str) -> str:
    """The form input that holds a record field: "solutions.0.title" -> "solution_title_1",
    "contact.email" -> "contact_email", "title" -> "title"."""
    parts = path.split(".") if path else [""]
    if parts[0] == "solutions" and len(parts) >= 3 and parts[1].isdigit():
        return f"solution_{parts[2]}_{int(parts[1]) + 1}"
    if parts[0] == "contact" and len(parts) >= 2:
        return f"contact_{parts[1]}"
    return parts[0]


def render(request: Request, name: str, actor: Actor, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = page_language(request)
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    index = getattr(request.app.state, "index", None)
    preparing = None if index is None or index.ready else index.progress
    t = translator(lang)
    response = TEMPLATES.TemplateResponse(request, name, {
        "unread_count": _unread(request, actor),
        "t": t, "lang": lang, "actor": actor, "csrf": token, "taxonomy": taxonomy, "preparing": preparing,
        "local_time": lambda v: local_time(v, lang), "local_date": lambda v: local_date(v, lang),
        "budget_range": budget_range, "term": lambda kind, key: term_label(kind, key, lang),
        "kinds": [k.value for k in InnovatorKind],
        "kind_options": [(k.value, t(f"kind_{k.value}")) for k in InnovatorKind],
        "language_options": [(code, t(f"lang_{code}")) for code in ("th", "en")],
        "terms": lambda vocabulary: [(x.key, x.label(lang)) for x in taxonomy.VOCABULARIES[vocabulary]],
        "page_url": lambda **changes: page_url(request, context.get("here"), **changes), "errors": {}, "form": {},
        **context},
        status_code=status_code)
    response.set_cookie("lang", lang, samesite="lax")
    response.set_cookie(CSRF_COOKIE, token, samesite="strict", httponly=True)
    return response


def refuse_unless(request: Request, actor: Actor, roles: tuple[str, ...], message: str,
                  here: str) -> HTMLResponse | None:
    """None when the person logged in has one of `roles`; else the login page saying `message`
    (401 when nobody is logged in, 403 for another role), which returns to `here` after login."""
    if actor.role in roles:
        return None
    return render(request, "login.html", actor, status_code=401 if actor.role is None else 403, message=message,
                  here=here, form={"next": here})


def _unread(request: Request, actor: Actor) -> int:
    """The nav bar's unread-notification count for a logged-in person (0 for anyone else)."""
    sessions = getattr(request.app.state, "sessions", None)
    if actor.user_id is None or sessions is None:
        return 0
    from service.notify import unread_count

    with sessions() as session:
        return unread_count(session, actor.user_id)


def check_csrf(request: Request, token: str) -> None:
    if not token or token != request.cookies.get(CSRF_COOKIE):
        raise ServiceError(403, "csrf", "the form expired; reload the page and try again", key="err_csrf")


def field_errors(exc: ServiceError, lang: str) -> dict[str, str]:
    """field -> message in the page's language; '' holds errors that belong to no single field."""
    out: dict[str, str] = {}
    for error in exc.errors:
        name = form_field(error.field)
        text = field_message(error, lang)
        out[name] = f"{out[name]} · {text}" if name in out else text
    if not exc.errors:
        out[exc.field or ""] = error_text(exc, lang)
    return out


def form_error(request: Request, template: str, actor: Actor, exc: ServiceError, form: dict[str, Any],
               **context: Any) -> HTMLResponse:
    """Re-render a form after a failed save: the input kept, each wrong field marked and explained."""
    lang = page_language(request)
    errors = field_errors(exc, lang)
    summary = [f"{field_label(name, lang)}: {text}" if name else text for name, text in errors.items()]
    return render(request, template, actor, status_code=exc.status, form=form, errors=errors, error_summary=summary,
                  **context)


def error_page(request: Request, actor: Actor, exc: ServiceError) -> HTMLResponse:
    return render(request, "error.html", actor, status_code=exc.status, error=exc,
                  error_message=error_text(exc, page_language(request)))


def pages(count: int, skip: int, size: int = PAGE_SIZE) -> dict[str, Any]:
    """Pagination for a list of `count` items shown `size` at a time from `skip`."""
    return {"count": count, "skip": skip, "size": size, "first": skip + 1 if count else 0,
            "last": min(skip + size, count), "prev": max(skip - size, 0) if skip > 0 else None,
            "next": skip + size if skip + size < count else None}
