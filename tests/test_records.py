"""Record validation: taxonomy keys, limits, clear errors, and byte-exact Thai round trips."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from matcher import taxonomy
from matcher.records import MAX_TEXT_CHARS, Challenge, Innovator


def _challenge(**overrides):
    data = {"agency": "สำนักสิ่งแวดล้อม", "title": "ขยะล้นถัง", "description": "ชุมชนไม่แยกขยะ ขยะล้นถังทุกวัน",
            "sectors": ["environment"], "themes": ["waste"], "district": "bang_rak"}
    data.update(overrides)
    return Challenge(**data)


def test_taxonomy_has_nine_nia_sectors_and_fifty_districts():
    assert len(taxonomy.SECTORS) == 9
    assert len(taxonomy.DISTRICTS) == 50
    assert len({t.key for t in taxonomy.DISTRICTS}) == 50
    for vocabulary in taxonomy.VOCABULARIES.values():
        for term in vocabulary:
            assert term.th and term.en and term.key.isascii()


def test_labels_resolve_to_keys_in_both_languages():
    assert taxonomy.resolve("district", "บางรัก") == "bang_rak"
    assert taxonomy.resolve("district", "Bang Rak") == "bang_rak"
    assert taxonomy.resolve("sector", "สุขภาพ") == "health"


def test_language_is_detected_when_not_given():
    assert _challenge().language == "th"
    assert _challenge(title="Overflowing bins", description="Bins overflow every day").language == "en"


@pytest.mark.parametrize("field,value,message", [
    ("sectors", ["space_mining"], "unknown sector"),
    ("themes", ["waste", "nope"], "unknown theme"),
    ("district", "Gotham", "unknown district"),
    ("description", "   \u3000 ", "empty"),
    ("description", "x" * (MAX_TEXT_CHARS + 1), "at most"),
    ("title", "bad\x00title", "control characters"),
    ("id", "has spaces", "pattern"),
    ("status", "pending", "open"),
])
def test_invalid_fields_are_named(field, value, message):
    with pytest.raises(ValidationError) as info:
        _challenge(**{field: value})
    errors = info.value.errors()
    assert errors[0]["loc"][0] == field
    assert message in str(info.value)


def test_budget_range_must_be_ordered():
    with pytest.raises(ValidationError, match="budget_min_thb"):
        _challenge(budget_min_thb=10, budget_max_thb=5)


def test_innovator_needs_a_solution_with_valid_trl():
    base = {"name": "กลุ่มรักษ์คลอง", "kind": "community_enterprise", "description": "เก็บขยะในคลอง"}
    with pytest.raises(ValidationError, match="solutions"):
        Innovator(**base, solutions=[])
    with pytest.raises(ValidationError, match="trl"):
        Innovator(**base, solutions=[{"title": "เรือ", "description": "เรือเก็บขยะ", "trl": 10}])
    inv = Innovator(**base, solutions=[{"title": "เรือ", "description": "เรือเก็บขยะ", "trl": 6},
                                       {"title": "ทุ่น", "description": "ทุ่นดักขยะ", "trl": 4}])
    assert inv.max_trl == 6 and inv.id.startswith("in-")


def test_thai_text_round_trips_byte_for_byte_through_json():
    tricky = "\ufeffน้ำท่วม\u200bซอย ๑๒ 🐶 ระบบ AI ที่ กทม."
    challenge = _challenge(description=tricky)
    again = Challenge.model_validate_json(challenge.model_dump_json())
    assert again.description.encode("utf-8") == tricky.encode("utf-8")
