"""FAISS and BM25 indexes on disk: oracles, updates, filters, manifests, damage detection."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.collection import Collection, IndexDoc
from matcher.index.dense import DenseIndex
from matcher.index.lexical import LexicalIndex
from matcher.index.manifest import IndexCorruptError, IndexMismatchError
from matcher.text import tokenize


def _random_unit(n: int, d: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_dense_search_matches_exact_numpy_search(kind):
    vectors = _random_unit(600, 32)
    keys = [f"r{i}" for i in range(600)]
    index = DenseIndex(32, kind, ivf_lists=8)
    index.upsert(keys, vectors)
    queries = _random_unit(5, 32, seed=1)
    exact = queries @ vectors.T
    for qi, hits in enumerate(index.search(queries, 10)):
        expected = np.sort(exact[qi])[::-1][:10]
        got = np.array([s for _, s in hits])
        if kind == "flat":
            np.testing.assert_allclose(got, expected, atol=1e-5)  # ties tolerated: compare scores
        else:
            assert len(set(k for k, _ in hits) & {keys[i] for i in np.argsort(-exact[qi])[:10]}) >= 8


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_dense_update_remove_and_round_trip(tmp_path, kind):
    vectors = _random_unit(50, 16)
    index = DenseIndex(16, kind)
    index.upsert([f"r{i}" for i in range(50)], vectors)
    index.upsert(["r3"], vectors[7:8])  # replace r3 by r7's vector
    assert index.remove(["r7", "missing"]) == 1
    hits = index.search(vectors[7:8], 1)[0]
    assert hits[0][0] == "r3" and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert len(index) == 49 and "r7" not in index
    index.save(tmp_path, "dense")
    loaded = DenseIndex.load(tmp_path, "dense", 16)
    assert loaded.search(vectors[7:8], 1)[0][0][0] == "r3"
    assert all(k != "r7" for k, _ in loaded.search(vectors[7:8], 50)[0])


def test_dense_filtered_search_returns_best_allowed():
    vectors = _random_unit(5000, 8)
    keys = [f"r{i}" for i in range(5000)]
    index = DenseIndex(8)
    index.upsert(keys, vectors)
    allowed = {f"r{i}" for i in range(0, 5000, 2)}  # above the exact-subset limit: FAISS selector path
    q = vectors[1:2]
    hits = index.search(q, 5, allowed)[0]
    assert all(k in allowed for k, _ in hits)
    exact = (vectors[::2] @ q[0])
    np.testing.assert_allclose([s for _, s in hits], np.sort(exact)[::-1][:5], atol=1e-5)
    small = index.search(q, 5, {"r10", "r20"})[0]
    assert {k for k, _ in small} == {"r10", "r20"}


def test_wrong_shape_is_refused():
    index = DenseIndex(8)
    with pytest.raises(ValueError, match="shape"):
        index.upsert(["a"], np.ones((1, 9), dtype=np.float32))


def test_bm25_segments_thai_and_ranks_the_matching_record():
    lexical = LexicalIndex()
    texts = {"a": "ท่อระบายน้ำอุดตันน้ำท่วมขัง", "b": "ไฟถนนดับทั้งซอย", "c": "Street lights are broken"}
    lexical.upsert(list(texts), [tokenize(t) for t in texts.values()])
    assert lexical.search(tokenize("ท่อระบายน้ำตัน"), 3)[0][0] == "a"
    assert lexical.search(tokenize("broken light"), 3)[0][0] == "c"
    assert lexical.search(tokenize("ไฟถนน"), 3)[0][0] == "b"
    assert lexical.search(tokenize("ไฟถนน"), 3, allowed={"a", "c"}) == []  # filtered out inside retrieval
    lexical.remove(["a"])
    assert lexical.search(tokenize("ท่อระบายน้ำ"), 3) == []


def test_incremental_bm25_equals_bm25s_after_updates_and_deletes():
    """Oracle: after inserts, replacements and deletes, every score equals bm25s ("lucene")
    rebuilt from scratch on the surviving documents."""
    import random

    import bm25s

    rng = random.Random(7)
    vocabulary = [f"w{i}" for i in range(60)] + ["น้ำท่วม", "ขยะ", "ไฟถนน"]
    docs = {f"d{i}": [rng.choice(vocabulary) for _ in range(rng.randint(1, 40))] for i in range(300)}
    lexical = LexicalIndex()
    lexical.upsert(list(docs), list(docs.values()))
    for i in range(0, 300, 7):
        docs[f"d{i}"] = [rng.choice(vocabulary) for _ in range(rng.randint(1, 40))]
        lexical.upsert([f"d{i}"], [docs[f"d{i}"]])
    for i in range(3, 300, 5):
        del docs[f"d{i}"]
        lexical.remove([f"d{i}"])
    reference = bm25s.BM25(k1=1.2, b=0.75)
    order = list(docs)
    reference.index([docs[k] for k in order], show_progress=False)
    for query in (["w1", "w2", "w2", "น้ำท่วม"], ["ขยะ"], ["w59", "ไฟถนน", "w0"]):
        expected = reference.get_scores(query)
        got = lexical.score_rows(query)[lexical.rows(order)]
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def _collection(encoders, docs):
    return Collection.build("test", docs, encoders, "flat")


DOCS = [IndexDoc("a", "ถนนเป็นหลุมบ่อ รถมอเตอร์ไซค์ล้มบ่อย", "road", facets={"district": "bang_rak"}),
        IndexDoc("b", "Solar street lamps for dark lanes", "lamps", facets={"district": "dusit"}),
        IndexDoc("c", "เรือเก็บขยะในคลองอัตโนมัติ", "boat", facets={"district": "bang_rak"})]


def test_collection_round_trip_and_manifest(tmp_path, default_encoders):
    collection = _collection(default_encoders, DOCS)
    manifest = collection.save(tmp_path / "idx")
    assert manifest["count"] == 3 and set(manifest["encoders"]) == set(default_encoders)
    for eid, encoder in default_encoders.items():
        assert manifest["encoders"][eid]["dimension"] == encoder.dimension
    assert manifest["corpus_fingerprint"]
    loaded = Collection.load(tmp_path / "idx", default_encoders)
    assert loaded.fingerprint() == collection.fingerprint()
    assert {k: d.text for k, d in loaded.docs.items()} == {d.key: d.text for d in DOCS}


def test_index_from_another_encoder_is_refused(tmp_path, default_encoders, e5):
    _collection(default_encoders, DOCS).save(tmp_path / "idx")
    with pytest.raises(IndexMismatchError, match="built with encoders"):
        Collection.load(tmp_path / "idx", {"e5-small": e5})


def test_index_of_other_centering_means_is_refused(tmp_path, default_encoders):
    """Same encoder id, other means (as after `matcher calibrate`): the fingerprint differs."""
    from matcher.encoders.centering import LanguageCenteredEncoder, LanguageMeans

    _collection(default_encoders, DOCS).save(tmp_path / "idx")
    eid, encoder = next((e, enc) for e, enc in default_encoders.items() if e.endswith("+center"))
    means = encoder.means
    shifted = LanguageMeans(means.encoder_id, means.th_query * 0.5, means.en_query, means.th_document, means.en_document)
    changed = {**default_encoders, eid: LanguageCenteredEncoder(encoder.inner, shifted)}
    assert changed[eid].fingerprint != encoder.fingerprint
    with pytest.raises(IndexMismatchError, match="centering means"):
        Collection.load(tmp_path / "idx", changed)


def test_truncated_or_missing_index_file_is_detected(tmp_path, default_encoders):
    _collection(default_encoders, DOCS).save(tmp_path / "idx")
    faiss_file = next((tmp_path / "idx").glob("*.faiss"))
    data = faiss_file.read_bytes()
    faiss_file.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorruptError, match="damaged"):
        Collection.load(tmp_path / "idx", default_encoders)
    faiss_file.unlink()
    with pytest.raises(IndexCorruptError, match="missing"):
        Collection.load(tmp_path / "idx", default_encoders)
    with pytest.raises(IndexCorruptError, match="manifest"):
        Collection.load(tmp_path / "nowhere", default_encoders)
