"""Bounded cost (issue #12): rate limits with Retry-After, bounded query vectors, a damaged cache
that is set aside instead of failing."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from fastapi.testclient import TestClient


def test_rate_limits_answer_429_with_retry_after(tmp_path):
    from service.app import create_app
    from service.config import ServiceSettings

    settings = ServiceSettings(data_dir=tmp_path / "data", seed_demo=False, rate_limit_search="3/minute",
                               rate_limit_write="2/minute", rate_limit_key="5/minute")
    with TestClient(create_app(settings)) as client:
        answers = [client.post("/v1/search", json={"text": "น้ำท่วมซอย"}).status_code for _ in range(4)]
        assert answers[3] == 429 and 429 not in answers[:3]
        limited = client.post("/v1/search", json={"text": "flood"})
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limited"
        assert client.get("/v1/health").status_code == 200  # reads of the service itself are not limited
        page = client.get("/", params={"q": "ขยะ"}, headers={"Accept": "text/html", "Accept-Language": "th"})
        assert page.status_code == 429 and "วินาที" in page.text  # the page says it in Thai
        keyed = [client.post("/v1/search", json={"text": "flood"}, headers={"X-API-Key": "k" * 40}).status_code
                 for _ in range(6)]
        assert keyed[-1] == 429 and keyed.count(429) == 1  # a credential has its own budget


def test_query_memo_is_bounded_and_returns_the_same_vectors(use):
    from matcher.encoders.cache import QueryMemo

    memo = QueryMemo(use, max_entries=5)
    texts = [f"ถนนพัง ซอย {i}" for i in range(20)]
    vectors = memo.encode_queries(texts)
    assert len(memo) == 5
    again = memo.encode_queries(texts[-2:])
    np.testing.assert_allclose(again, vectors[-2:], rtol=1e-6)
    np.testing.assert_allclose(memo.encode_documents(texts[:1]), use.encode_documents(texts[:1]), rtol=1e-6)


def test_disk_cache_caps_queries_and_survives_damage(tmp_path, caplog):
    from matcher.encoders.cache import EmbeddingCache

    path = tmp_path / "embeddings.sqlite"
    cache = EmbeddingCache(path, max_queries=100)
    for start in range(0, 1000, 50):
        cache.put_many({f"q{i}": np.ones(4, np.float32) for i in range(start, start + 50)}, queries=True)
    cache.put_many({"d1": np.ones(4, np.float32)})
    assert 100 <= len(cache) - 1 <= 110 and "q999" in cache.get_many(["q999"], queries=True)
    cache._conn.close()
    path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"embeddings.sqlite{suffix}").unlink(missing_ok=True)
    with caplog.at_level("WARNING"):
        fresh = EmbeddingCache(path)
    assert "damaged" in caplog.text
    assert fresh.get_many(["d1"]) == {}
    fresh.put_many({"d2": np.zeros(4, np.float32)})
    assert list(fresh.get_many(["d2"])) == ["d2"]
    assert any(p.name.startswith("embeddings.sqlite.damaged-") for p in tmp_path.iterdir())
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(next(p for p in tmp_path.iterdir() if ".damaged-" in p.name and not p.name.endswith(("-wal", "-shm")))).execute("PRAGMA quick_check").fetchone()


def test_a_damaged_cache_does_not_stop_the_service(tmp_path):
    from service.app import create_app
    from service.config import ServiceSettings

    cache = tmp_path / "data" / "cache"
    cache.mkdir(parents=True)
    (cache / "embeddings.sqlite").write_bytes(b"\x00garbage" * 500)
    settings = ServiceSettings(data_dir=tmp_path / "data", seed_demo=False, rate_limit_search="")
    with TestClient(create_app(settings)) as client:
        import time

        deadline = time.monotonic() + 120
        while client.get("/v1/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert client.get("/v1/ready").status_code == 200
        assert client.post("/v1/search", json={"text": "น้ำท่วม"}).status_code == 200
