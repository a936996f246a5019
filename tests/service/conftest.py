"""Service fixtures: a real app (real database, real indexes, bundled encoders) per database backend.

SQLite always; PostgreSQL too when MATCHER_TEST_POSTGRES_URL points at a server (.ci/run starts one).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ADMIN_KEY = "test-admin-" + "k" * 30


def _backends() -> list[str]:
    return ["sqlite"] + (["postgres"] if os.environ.get("MATCHER_TEST_POSTGRES_URL") else [])


def _database_url(backend: str, data_dir: Path) -> str | None:
    if backend == "sqlite":
        return None
    from eval.processes import fresh_postgres_database

    return fresh_postgres_database(os.environ["MATCHER_TEST_POSTGRES_URL"])


def make_settings(data_dir: Path, cache_dir: Path, backend: str = "sqlite"):
    from service.config import ServiceSettings

    data_dir.mkdir(parents=True, exist_ok=True)
    if not (data_dir / "cache").exists():
        (data_dir / "cache").symlink_to(cache_dir, target_is_directory=True)  # reuse the session's embeddings
    # The small templated corpus ranks far below the fit model's floor (fitted on the BIC corpus);
    # these tests check ranking, permissions and storage, so the floor is off (it has its own tests).
    return ServiceSettings(data_dir=data_dir, seed_demo=False, bootstrap_admin_key=ADMIN_KEY, max_body_bytes=200_000,
                           database_url=_database_url(backend, data_dir), relevance_floor=False,
                           rate_limit_search="", rate_limit_write="", rate_limit_key="")


@pytest.fixture(scope="package", params=_backends())
def service_env(request, tmp_path_factory, cache_dir, small_records):
    """(settings, TestClient, keys) with the small corpus loaded through the API. Shared by the
    modules of this package that use it (loading the corpus through the API is the slow part), so a
    test must leave the records it did not create as it found them."""
    from fastapi.testclient import TestClient

    from service.app import create_app

    settings = make_settings(tmp_path_factory.mktemp("service") / "data", cache_dir, request.param)
    client = TestClient(create_app(settings))
    client.__enter__()
    wait_ready(client)
    admin = {"X-API-Key": ADMIN_KEY}
    challenges, innovators = small_records
    for agency in ("ag-env", "ag-traffic"):
        assert client.post("/v1/agencies", json={"id": agency, "name_th": "สำนัก " + agency, "name_en": agency},
                           headers=admin).status_code == 201
    keys = {"admin": ADMIN_KEY}
    for agency in ("ag-env", "ag-traffic"):
        keys[agency] = client.post("/v1/keys", json={"role": "agency", "agency_id": agency}, headers=admin).json()["api_key"]
    for i, challenge in enumerate(challenges):
        body = {**challenge.model_dump(mode="json"), "agency_id": "ag-env" if i % 2 == 0 else "ag-traffic"}
        assert client.post("/v1/challenges", json=body, headers=admin).status_code == 201
    for innovator in innovators:
        response = client.post("/v1/innovators", json=innovator.model_dump(mode="json"))
        assert response.status_code == 201, response.text
        keys[innovator.id] = response.json()["api_key"]
    yield settings, client, keys
    client.__exit__(None, None, None)


def wait_ready(client, timeout: float = 300.0) -> None:
    """Block until the app's background index start-up is done (GET /v1/ready is 200)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get("/v1/ready")
        if response.status_code == 200:
            return
        assert response.status_code == 503, response.text
        time.sleep(0.1)
    raise AssertionError(f"index not ready after {timeout} s: {client.get('/v1/ready').text}")


def auth(key: str) -> dict[str, str]:
    return {"X-API-Key": key}
