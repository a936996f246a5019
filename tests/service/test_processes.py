"""Several processes on one database behave as one service: workers, replicas, kill -9."""

from __future__ import annotations

import os
import time

import httpx
import pytest

from tests.service.conftest import ADMIN_KEY, _database_url
from eval.fault import run_kill_rounds
from eval.processes import Server

ADMIN = {"X-API-Key": ADMIN_KEY}
ENV = {"MATCHER_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY, "MATCHER_SNAPSHOT_INTERVAL": "2", "MATCHER_RELEVANCE_FLOOR": "false"}


def _challenge(small_records, cid: str) -> dict:
    return {**small_records[0][0].model_dump(mode="json"), "id": cid}


def _visible_everywhere(bases: list[str], cid: str, innovator_id: str, timeout: float, tries_per_base: int = 4) -> float:
    """Seconds until `innovator_id` is among the matches of `cid` on every base (each asked several
    times, so every worker behind it is asked)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        seen = True
        for base in bases:
            for _ in range(tries_per_base):
                response = httpx.get(f"{base}/v1/challenges/{cid}/matches", params={"k": 200, "include_weak": "true"},
                                     headers=ADMIN, timeout=30)
                assert response.status_code in (200, 503), response.text  # 503: not indexed here yet
                data = response.json()
                if innovator_id not in {m["id"] for m in data.get("data", [])}:
                    seen = False
                    break
            if not seen:
                break
        if seen:
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{innovator_id} not visible on {bases} after {timeout} s")


def test_two_workers_on_sqlite_see_each_others_writes(tmp_path, small_records):
    server = Server(tmp_path / "data", workers=2, env=ENV).start()
    try:
        server.wait_ready(consecutive=6)
        innovators = small_records[1]
        for innovator in innovators[:6]:
            assert httpx.post(server.base + "/v1/innovators", json=innovator.model_dump(mode="json"),
                              timeout=60).status_code == 201
        assert httpx.post(server.base + "/v1/challenges", json=_challenge(small_records, "ch-w1"), headers=ADMIN,
                          timeout=60).status_code == 201
        for innovator in innovators[6:10]:
            assert httpx.post(server.base + "/v1/innovators", json=innovator.model_dump(mode="json"),
                              timeout=60).status_code == 201
            assert _visible_everywhere([server.base], "ch-w1", innovator.id, timeout=1.0, tries_per_base=6) <= 1.0
    finally:
        server.stop()


@pytest.mark.skipif(not os.environ.get("MATCHER_TEST_POSTGRES_URL"), reason="needs MATCHER_TEST_POSTGRES_URL")
def test_two_replicas_on_postgres_behave_as_one_service(tmp_path, small_records):
    url = _database_url("postgres", tmp_path)
    a = Server(tmp_path / "a", database_url=url, env=ENV).start()
    a.wait_ready()
    b = Server(tmp_path / "b", database_url=url, env=ENV).start()
    try:
        b.wait_ready()
        assert httpx.post(a.base + "/v1/challenges", json=_challenge(small_records, "ch-rep"), headers=ADMIN,
                          timeout=60).status_code == 201
        delays = []
        for innovator in small_records[1][:5]:
            assert httpx.post(a.base + "/v1/innovators", json=innovator.model_dump(mode="json"),
                              timeout=60).status_code == 201
            delays.append(_visible_everywhere([b.base], "ch-rep", innovator.id, timeout=1.0))
        assert max(delays) <= 1.0
        # replica B killed, a write lands in A meanwhile, B restarts and catches up from the log
        b.kill()
        late = small_records[1][5]
        assert httpx.post(a.base + "/v1/innovators", json=late.model_dump(mode="json"), timeout=60).status_code == 201
        b.start()
        b.wait_ready()
        _visible_everywhere([b.base], "ch-rep", late.id, timeout=5.0)
    finally:
        a.stop()
        b.stop()


def test_kill_9_during_writes_loses_no_acknowledged_write(tmp_path, small_records):
    """Two rounds here (each costs a restart); `matcher fault-test --kills 20` is the long run."""
    challenge = _challenge(small_records, "ch-kill")
    result = run_kill_rounds(tmp_path / "data", challenge, small_records[1][0].model_dump(mode="json"), rounds=2,
                             env=ENV, writers=3)
    assert result["acknowledged"] > 0 and result["rounds"] == 2 and result["lost"] == 0
