"""End to end against a real uvicorn process on a loopback port, started by `matcher serve`."""

from __future__ import annotations

import httpx
import pytest

from tests.service.conftest import ADMIN_KEY
from eval.processes import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory, cache_dir):
    data = tmp_path_factory.mktemp("e2e") / "data"
    server = Server(data, env={"MATCHER_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY, "MATCHER_RELEVANCE_FLOOR": "false"}).start()
    server.wait_ready()
    yield server.base
    server.stop()


def test_post_match_and_feedback_over_http(server, small_records):
    admin = {"X-API-Key": ADMIN_KEY}
    with httpx.Client(base_url=server, timeout=60) as http:
        assert http.post("/v1/agencies", json={"id": "ag-e2e", "name_th": "สำนักงานเขตบางรัก", "name_en": "Bang Rak"},
                         headers=admin).status_code == 201
        key = http.post("/v1/keys", json={"role": "agency", "agency_id": "ag-e2e"}, headers=admin).json()["api_key"]
        for innovator in small_records[1][:15]:
            assert http.post("/v1/innovators", json=innovator.model_dump(mode="json")).status_code == 201
        challenge = small_records[0][1].model_dump(mode="json")
        created = http.post("/v1/challenges", json=challenge, headers={"X-API-Key": key})
        assert created.status_code == 201
        matches = http.get(f"/v1/challenges/{challenge['id']}/matches", params={"k": 5}, headers={"X-API-Key": key}).json()
        assert matches["count"] == 5
        top = matches["data"][0]["id"]
        fb = http.post(f"/v1/challenges/{challenge['id']}/feedback", json={"innovator_id": top, "decision": "shortlist"},
                       headers={"X-API-Key": key})
        assert fb.status_code == 201
        again = http.get(f"/v1/challenges/{challenge['id']}/matches", params={"k": 5}, headers={"X-API-Key": key}).json()
        assert {m["id"]: m["state"] for m in again["data"]}[top] == "shortlisted"
        assert http.get("/docs").status_code == 200 and "ศูนย์นวัตกรรม" in http.get("/?lang=th").text
