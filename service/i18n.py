"""UI strings in Thai and English; the page language comes from ?lang= or the `lang` cookie."""

from __future__ import annotations

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
