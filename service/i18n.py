"""Page language and the texts people read: catalogue lookups, field names, error messages.

The page language comes from ?lang= or the `lang` cookie. Errors carry a machine type and context
(service.errors.FieldError), so the same error reads naturally in Thai and in English; an error
type without its own text falls back to a generic one in the page's language, never to English
on a Thai page.
"""

from __future__ import annotations

from typing import Any

from service.errors import FieldError, ServiceError
from service.messages import CATALOGUE, LANGUAGES

STRINGS = CATALOGUE


def pick_language(query_lang: str | None, cookie_lang: str | None) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate
    return "th"


def translator(lang: str):
    """t(key, **params): the catalogue text in `lang`, with {name} placeholders filled in."""

    def t(key: str, **params) -> str:
        text = STRINGS[key][lang]
        return text.format(**params) if params else text

    return t


def field_label(field: str, lang: str) -> str:
    """A form field's name as people read it ("budget_max_thb" -> "งบประมาณสูงสุด (บาท)")."""
    parts = field.split(".")
    if parts[0] == "solutions" and len(parts) >= 3 and parts[1].isdigit():
        base = STRINGS.get(f"field_solution_{parts[2]}")
        return f"{base[lang]} {int(parts[1]) + 1}" if base else field
    if field.startswith("solution_") and field[-1].isdigit():
        base = STRINGS.get(f"field_{field.rsplit('_', 1)[0]}")
        return f"{base[lang]} {field.rsplit('_', 1)[1]}" if base else field
    entry = STRINGS.get(f"field_{'_'.join(parts[:2]) if parts[0] == 'contact' else parts[0]}")
    return entry[lang] if entry else field


def field_message(error: FieldError, lang: str) -> str:
    """One invalid field, explained in `lang` from its type and context."""
    entry = STRINGS.get(f"invalid_{error.type}") or STRINGS["invalid_value_error"]
    params: dict[str, Any] = {k: _show(v, lang) for k, v in error.ctx.items()}
    try:
        return entry[lang].format(**params)
    except (KeyError, IndexError):
        return STRINGS["invalid_value_error"][lang]


def _show(value: Any, lang: str) -> Any:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value


def error_text(exc: ServiceError, lang: str) -> str:
    """A whole error (404, 403, 429...) in `lang`: its catalogue text, else a generic one by status."""
    for key in (exc.key, f"err_{exc.code}", f"err_status_{exc.status}"):
        if key and key in STRINGS:
            try:
                return STRINGS[key][lang].format(**exc.params)
            except (KeyError, IndexError):
                return STRINGS[key][lang]
    if exc.errors:
        return " · ".join(f"{field_label(e.field, lang)}: {field_message(e, lang)}" if e.field else field_message(e, lang)
                          for e in exc.errors)
    return STRINGS["err_generic"][lang]
