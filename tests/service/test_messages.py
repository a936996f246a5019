"""The message catalogue: every key in Thai and English, every key a template or the code uses
exists, and every status / state / kind / error type the service can produce has its text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matcher.records import InnovatorKind, Status
from service.engagements import STATES
from service.errors import FieldError, ServiceError
from service.i18n import error_text, field_message
from service.messages import CATALOGUE, LANGUAGES

SERVICE = Path(__file__).resolve().parents[2] / "service"
THAI = re.compile(r"[\u0E00-\u0E7F]")


def test_every_key_has_thai_and_english_text():
    for key, texts in CATALOGUE.items():
        assert set(texts) == set(LANGUAGES), key
        assert texts["th"].strip() and texts["en"].strip(), key
        assert THAI.search(texts["th"]) or texts["th"] == texts["en"], f"{key}: Thai text has no Thai"
        assert not THAI.search(texts["en"]), f"{key}: English text has Thai"
        placeholders = {lang: set(re.findall(r"{(\w+)}", texts[lang])) for lang in LANGUAGES}
        assert placeholders["th"] == placeholders["en"], f"{key}: placeholders differ {placeholders}"


def _literal_keys() -> set[str]:
    """t("key") in templates and STRINGS/`key=` uses in code, as written (not computed)."""
    keys = set()
    for path in (SERVICE / "templates").glob("*.html"):
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", path.read_text(encoding="utf-8")))
    for path in SERVICE.glob("*.py"):
        keys |= set(re.findall(r"""key=["']([a-z0-9_]+)["']""", path.read_text(encoding="utf-8")))
        keys |= set(re.findall(r"""message=["']([a-z0-9_]+)["']""", path.read_text(encoding="utf-8")))
    return keys


def test_every_key_used_literally_exists():
    missing = sorted(k for k in _literal_keys() if k not in CATALOGUE and not k.endswith("_"))  # "_": a prefix
    assert not missing, missing


@pytest.mark.parametrize("prefix,values", [("state_", STATES), ("action_", ("invited", "shortlisted", "accepted",
                                            "declined", "interested")),
                                           ("kind_", [k.value for k in InnovatorKind]),
                                           ("status_", [s.value for s in Status]),
                                           ("role_", ("admin", "agency", "innovator")),
                                           ("lang_", ("th", "en")), ("band_", ("strong", "possible", "weak"))])
def test_computed_keys_cover_every_value(prefix, values):
    assert [v for v in values if prefix + v not in CATALOGUE] == []


def test_errors_read_in_the_page_language():
    too_long = FieldError("title", "string_too_long", "String should have at most 300 characters", {"max_length": 300})
    assert field_message(too_long, "th") == "ยาวเกินไป (ไม่เกิน 300 ตัวอักษร)"
    assert field_message(too_long, "en") == "Too long (at most 300 characters)"
    odd = FieldError("x", "some_new_pydantic_type", "whatever")
    assert THAI.search(field_message(odd, "th"))  # never English on a Thai page
    assert THAI.search(error_text(ServiceError(418, "teapot", "short and stout"), "th"))
    assert "ไม่พบ" in error_text(ServiceError(404, "not_found", "unknown challenge id 'x'", key="err_not_found",
                                               params={"id": "x"}), "th")
