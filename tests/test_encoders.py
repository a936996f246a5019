"""The bundled encoders, really run: shape, normalisation, cross-lingual sanity, fingerprints,
the on-disk cache and language centering."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.encoders import get_encoder, known_ids
from matcher.encoders.cache import CachedEncoder, EmbeddingCache

PAIR = ("น้ำท่วมถนนหลังฝนตกหนัก", "The road floods after heavy rain")
UNRELATED = "ร้านกาแฟเปิดใหม่ขายขนมเค้กอร่อย"

# A small fingerprint of real output (first components, 3 decimals), recorded once from the
# bundled packages: a silently changed model, engine or tokenizer breaks it.
FINGERPRINT_TEXT = "ฝุ่น PM2.5 ในกรุงเทพ"
FINGERPRINTS = {"e5": [0.038, -0.026, -0.016, -0.042], "use": [0.058, 0.064, 0.014, -0.053]}


@pytest.mark.parametrize("name", ["e5", "use"])
def test_encoders_return_normalised_float32(name, request):
    encoder = request.getfixturevalue(name)
    q = encoder.encode_queries(list(PAIR))
    d = encoder.encode_documents(list(PAIR))
    assert q.dtype == np.float32 and q.shape == (2, encoder.dimension)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0, atol=1e-4)
    assert encoder.encode_documents([]).shape == (0, encoder.dimension)


@pytest.mark.parametrize("name", ["e5", "use"])
def test_translation_is_closer_than_an_unrelated_thai_sentence(name, request):
    encoder = request.getfixturevalue(name)
    q = encoder.encode_queries([PAIR[0]])[0]
    d = encoder.encode_documents([PAIR[1], UNRELATED])
    assert d[0] @ q > d[1] @ q


def test_e5_query_and_passage_modes_differ(e5):
    assert not np.allclose(e5.encode_queries([PAIR[0]]), e5.encode_documents([PAIR[0]]))


def test_use_is_symmetric(use):
    np.testing.assert_allclose(use.encode_queries([PAIR[0]]), use.encode_documents([PAIR[0]]), atol=1e-6)


@pytest.mark.parametrize("name", sorted(FINGERPRINTS))
def test_fingerprint_of_real_output_is_stable(name, request):
    encoder = request.getfixturevalue(name)
    a = encoder.encode_queries([FINGERPRINT_TEXT])[0]
    np.testing.assert_allclose(a[:4], FINGERPRINTS[name], atol=2e-3)
    np.testing.assert_allclose(encoder.encode_queries([FINGERPRINT_TEXT])[0], a, atol=1e-6)


def test_unknown_encoder_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        get_encoder("word2vec")
    for known in known_ids():
        assert known in str(info.value)


def test_cache_only_encodes_new_texts(tmp_path, e5):
    calls: list[int] = []
    base = e5.inner  # the model itself, without the vectors shipped for the bundled corpus
    original = base._encode

    class Spy(type(base)):
        def _encode(self, texts, is_query, show_progress):
            calls.append(len(texts))
            return original(texts, is_query, show_progress)

    cached = CachedEncoder(Spy(), EmbeddingCache(tmp_path / "c.sqlite"))
    first = cached.encode_documents(["ขยะล้นถัง", "broken lamp"])
    again = cached.encode_documents(["ขยะล้นถัง", "broken lamp", "new text"])
    assert calls == [2, 1]
    np.testing.assert_allclose(first, again[:2], atol=1e-6)
    np.testing.assert_allclose(again[2], e5.encode_documents(["new text"])[0], atol=1e-5)
    # query and document modes are cached separately
    cached.encode_queries(["ขยะล้นถัง"])
    assert calls == [2, 1, 1]
    repeated = cached.encode_documents(["same text"] * 5)  # duplicates reach the model once
    assert calls == [2, 1, 1, 1] and np.allclose(repeated, repeated[0])


def test_language_centering_removes_the_language_gap(e5):
    centered = get_encoder("e5-small+center")
    assert centered.id == "e5-small+center"
    th = ["ถนนเป็นหลุมบ่อ", "ไฟถนนดับทั้งซอย", "ขยะล้นถังทุกวัน", "คลองเน่าเหม็น"]
    en = ["The road is full of potholes", "Street lights are out in the whole lane",
          "Bins overflow every day", "The canal stinks"]

    def gap(encoder):
        q = encoder.encode_queries(th)
        d = encoder.encode_documents(en + th)
        sims = q @ d.T
        translation = np.mean([sims[i, i] for i in range(4)])
        same_language_other = np.mean([sims[i, 4 + j] for i in range(4) for j in range(4) if i != j])
        return translation - same_language_other

    assert gap(centered) > gap(e5)
