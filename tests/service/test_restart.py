"""Durability: after a restart the indexes match the database; stale or damaged ones are rebuilt."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from tests.service.conftest import ADMIN_KEY, auth, make_settings

PAIN = {"agency": "สำนักการระบายน้ำ", "title": "น้ำท่วมขังซอยหลังฝนตก", "description": "ท่อระบายน้ำอุดตัน น้ำท่วมขังนานหลายชั่วโมง",
        "sectors": ["disaster_management"], "themes": ["flooding_drainage"]}


def _start(settings):
    client = TestClient(create_app(settings))
    client.__enter__()
    return client


def test_restart_loads_rebuilds_and_never_suggests_deleted_records(tmp_path, cache_dir, small_records):
    settings = make_settings(tmp_path / "data", cache_dir)
    client = _start(settings)
    admin = auth(ADMIN_KEY)
    for innovator in small_records[1][:12]:
        assert client.post("/v1/innovators", json=innovator.model_dump(mode="json")).status_code == 201
    assert client.post("/v1/challenges", json={**PAIN, "id": "ch-r1"}, headers=admin).status_code == 201
    deleted = small_records[1][0].id
    assert client.delete(f"/v1/innovators/{deleted}", headers=admin).status_code == 204
    client.__exit__(None, None, None)

    # 1. clean restart: the persisted indexes match the database and are loaded as they are
    client = _start(settings)
    assert client.get("/v1/ready").json()["startup"] == {"challenges": "loaded", "innovators": "loaded"}
    ids = [m["id"] for m in client.get("/v1/challenges/ch-r1/matches", params={"k": 50}, headers=admin).json()["data"]]
    assert len(ids) == 11 and deleted not in ids
    client.__exit__(None, None, None)

    # 2. a write that reached the database but not the index (crash in between): stale -> rebuilt
    from service.db import InnovatorRow, make_engine, session_factory

    engine = make_engine(settings.db_url)
    with session_factory(engine)() as session:
        row = session.scalar(select(InnovatorRow).where(InnovatorRow.id == small_records[1][1].id))
        session.delete(row)
        session.commit()
    engine.dispose()
    client = _start(settings)
    assert client.get("/v1/ready").json()["startup"]["innovators"] == "rebuilt (stale)"
    ids = [m["id"] for m in client.get("/v1/challenges/ch-r1/matches", params={"k": 50}, headers=admin).json()["data"]]
    assert small_records[1][1].id not in ids and len(ids) == 10
    client.__exit__(None, None, None)

    # 3. a damaged index file: detected by its checksum and rebuilt from the database
    faiss_file = next((settings.index_dir / "innovators").glob("*.faiss"))
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    client = _start(settings)
    assert client.get("/v1/ready").json()["startup"]["innovators"].startswith("rebuilt (damaged")
    assert client.get("/v1/challenges/ch-r1/matches", headers=admin).json()["count"] == 10
    manifest = json.loads((settings.index_dir / "innovators" / "manifest.json").read_text())
    assert manifest["count"] == 10
    client.__exit__(None, None, None)
