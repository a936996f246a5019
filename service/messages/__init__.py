"""The message catalogue: every text a page, an error or an e-mail shows, in Thai and English.

Each module in this package holds one area's `MESSAGES` (key -> {"th": ..., "en": ...}); they are
merged here, discovered from the package itself (no hand-kept list), and a key defined twice is an
error at import. tests/service/test_messages.py checks that every key has both languages.
"""

from __future__ import annotations

import importlib
import pkgutil

LANGUAGES = ("th", "en")


def _load() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        messages = importlib.import_module(f"{__name__}.{module}").MESSAGES
        clash = set(messages) & set(merged)
        if clash:
            raise RuntimeError(f"message keys defined twice (in {module}): {sorted(clash)}")
        merged.update(messages)
    return merged


CATALOGUE: dict[str, dict[str, str]] = _load()
