"""Text processing, plus the Thai/Unicode robustness catalogue run through every layer."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.text import detect_language, normalize, same_language, thai_share, tokenize

# Robustness catalogue (after pythainlp's tests/core/test_robustness.py): pytest discovers it,
# and every layer below runs each entry.
NONBLANK_CASES = {
    "thai": "ถนนชำรุดเป็นหลุมบ่อ ขอให้ซ่อมด่วน",
    "english": "The road is full of potholes, please repair it",
    "mixed": "ระบบ AI smart traffic light ช่วยลดรถติด",
    "thai_digits": "น้ำท่วมสูง ๓๐ เซนติเมตร ที่ซอย ๑๒",
    "zero_width": "ขยะ\u200bล้น\u200cถัง\u200d",
    "bom": "\ufeffฝุ่น PM2.5 สูงมาก",
    "unicode_spaces": "ไฟ\u00a0ถนน\u2003ดับ\u3000ทั้งซอย",
    "emoji": "สุนัขจรจัดเยอะมาก 🐕‍🦺🐶 help 👍🏽",
    "long": "คลองเน่าเหม็น " * 800,
}
BLANK_CASES = {"empty": "", "spaces": "   ", "unicode_spaces_only": "\u00a0\u3000\u2003", "zero_width_only": "\u200b\u200b"}


def test_normalize_removes_invisible_characters_and_maps_thai_digits():
    assert normalize("ขยะ\u200bล้น") == "ขยะล้น"
    assert normalize("\ufeffซอย ๑๒") == "ซอย 12"
    assert normalize("a\u00a0\u3000b") == "a b"


def test_thai_is_segmented_into_words_not_kept_as_one_phrase():
    tokens = tokenize("ถนนชำรุดเป็นหลุมบ่อขอให้ซ่อมด่วน")
    assert "ถนน" in tokens and "ชำรุด" in tokens and "ซ่อม" in tokens
    assert all(len(t) < 10 for t in tokens)


def test_english_tokens_are_lowercased_stemmed_and_stopwords_dropped():
    assert tokenize("The Flooding sensors in the canals") == ["flood", "sensor", "canal"]


@pytest.mark.parametrize("text,expected", [("ถนนชำรุด", "th"), ("broken road", "en"),
                                           ("ระบบ AI smart traffic light ลดรถติด", "mixed"), ("12345", "en")])
def test_detect_language(text, expected):
    assert detect_language(text) == expected


def test_same_language_treats_mixed_as_both():
    assert same_language("th", "mixed") and same_language("mixed", "en")
    assert not same_language("th", "en")
    assert thai_share("abc") == 0.0


@pytest.mark.parametrize("name", sorted(NONBLANK_CASES))
def test_catalogue_nonblank_text_processing(name):
    text = NONBLANK_CASES[name]
    assert normalize(text).strip()
    assert tokenize(text)
    assert detect_language(text) in ("th", "en", "mixed")


@pytest.mark.parametrize("name", sorted(BLANK_CASES))
def test_catalogue_blank_text_processing(name):
    text = BLANK_CASES[name]
    assert tokenize(text) == []
    assert normalize(text) == ""


@pytest.mark.parametrize("name", sorted(NONBLANK_CASES))
def test_catalogue_through_both_encoders(name, e5, use):
    for encoder in (e5, use):
        vectors = encoder.encode_queries([NONBLANK_CASES[name]])
        assert vectors.shape == (1, encoder.dimension)
        assert np.isfinite(vectors).all()
        assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("name", sorted(BLANK_CASES))
def test_catalogue_blank_text_is_refused_by_encoders(name, e5):
    with pytest.raises(ValueError, match="empty"):
        e5.encode_queries([BLANK_CASES[name]])
