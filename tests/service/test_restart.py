"""Durability: a restart loads the newest snapshot and replays the change log; a damaged snapshot
is skipped; nothing deleted is ever suggested and nothing acknowledged is missing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from tests.service.conftest import ADMIN_KEY, auth, make_settings, wait_ready

PAIN = {"agency": "สำนักการระบายน้ำ", "title": "น้ำท่วมขังซอยหลังฝนตก", "description": "ท่อระบายน้ำอุดตัน น้ำท่วมขังนานหลายชั่วโมง",
        "sectors": ["disaster_management"], "themes": ["flooding_drainage"]}


def _start(settings):
    client = TestClient(create_app(settings))
    client.__enter__()
    wait_ready(client)
    return client


def _match_ids(client, admin):
    response = client.get("/v1/challenges/ch-r1/matches", params={"k": 50, "include_weak": "true"}, headers=admin)
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()["data"]]


def test_restart_replays_changes_after_the_snapshot_and_skips_a_damaged_one(tmp_path, cache_dir, small_records):
    settings = make_settings(tmp_path / "data", cache_dir)
    client = _start(settings)
    admin = auth(ADMIN_KEY)
    for innovator in small_records[1][:12]:
        assert client.post("/v1/innovators", json=innovator.model_dump(mode="json")).status_code == 201
    assert client.post("/v1/challenges", json={**PAIN, "id": "ch-r1"}, headers=admin).status_code == 201
    deleted = small_records[1][0].id
    assert client.delete(f"/v1/innovators/{deleted}", headers=admin).status_code == 204
    client.__exit__(None, None, None)  # shutdown writes a snapshot

    snapshots = sorted(p.name for p in (settings.data_dir / "snapshots").iterdir() if p.name.isdigit())
    assert snapshots, "shutdown wrote no snapshot"

    # 1. clean restart: the snapshot is loaded as it is
    client = _start(settings)
    assert client.get("/v1/ready").json()["startup"]["start"] == f"snapshot {snapshots[-1]}"
    ids = _match_ids(client, admin)
    assert len(ids) == 11 and deleted not in ids
    client.__exit__(None, None, None)

    # 2. writes committed after that snapshot by another process (record + change log, as every
    #    write does): replayed from the log at start-up, so the index is neither behind nor ahead
    from service.changes import Sessions, log_change
    from service.db import InnovatorRow, make_engine

    engine = make_engine(settings.db_url)
    sessions = Sessions.for_engine(engine)
    removed = small_records[1][1].id
    with sessions.write() as session:
        session.delete(session.scalar(select(InnovatorRow).where(InnovatorRow.id == removed)))
        log_change(session, "innovators", removed, "delete")
    engine.dispose()
    client = _start(settings)
    assert client.get("/v1/ready").json()["startup"]["start"].startswith("snapshot")
    ids = _match_ids(client, admin)
    assert removed not in ids and len(ids) == 10
    client.__exit__(None, None, None)

    # 3. a damaged snapshot: its checksum fails, it is skipped with a report, and the next one
    #    (or the database) serves; the result is the same
    newest = max(p for p in (settings.data_dir / "snapshots").iterdir() if p.name.isdigit())
    faiss_file = next((newest / "innovators").glob("*.faiss"))
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    client = _start(settings)
    ready = client.get("/v1/ready").json()
    assert any(key == f"skipped {newest.name}" for key in ready["startup"]), ready
    ids = _match_ids(client, admin)
    assert removed not in ids and deleted not in ids and len(ids) == 10
    client.__exit__(None, None, None)


def test_health_answers_before_the_index_is_ready(tmp_path, cache_dir, small_records):
    """A stored record without vectors must be encoded at start-up; meanwhile health is 200 and
    ready is 503 with progress."""
    from service.changes import Sessions, log_change
    from service.db import InnovatorRow, make_engine, migrate

    settings = make_settings(tmp_path / "data", cache_dir)
    engine = make_engine(settings.db_url)
    migrate(engine)
    with Sessions.for_engine(engine).write() as session:
        for innovator in small_records[1]:
            session.add(InnovatorRow(id=innovator.id, data=innovator.model_dump(mode="json")))
            log_change(session, "innovators", innovator.id, "upsert")
    engine.dispose()
    client = TestClient(create_app(settings))
    client.__enter__()
    try:
        assert client.get("/v1/health").status_code == 200
        first = client.get("/v1/ready")
        if first.status_code == 503:  # usually: encoding the records takes a few seconds
            assert first.json()["status"] == "starting" and "phase" in first.json()["progress"]
            page = client.get("/")
            assert page.status_code == 200 and 'id="preparing"' in page.text
        wait_ready(client)
        assert client.get("/v1/ready").json()["index"]["innovators"] == len(small_records[1])
    finally:
        client.__exit__(None, None, None)


def test_snapshot_temp_dirs_of_dead_writers_are_cleaned_and_live_ones_kept(tmp_path):
    """A kill -9 during a snapshot write leaves `.tmp-<seq>-<pid>-<thread>`; the next start removes
    it, but never a directory another live worker on the same data dir is writing right now."""
    import os
    import subprocess
    import sys

    from service.indexing import clean_stale_temp, temp_name

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: its pid runs no more
    root = tmp_path / "snapshots"
    stale = root / f".tmp-000000000007-{dead.pid}-1"
    (stale / "innovators").mkdir(parents=True)
    (stale / "innovators" / ".docs.jsonl.abc.tmp").write_bytes(b"half a file")
    live = root / temp_name(9)  # this process: still "writing"
    live.mkdir()
    old_live = root / f".tmp-000000000003-{os.getpid()}-2"
    old_live.mkdir()
    os.utime(old_live, (0, 0))  # older than an hour: a pid reused since, not a writer at work
    kept = root / "000000000005"
    kept.mkdir()
    removed = clean_stale_temp(root)
    assert sorted(removed) == sorted([stale, old_live])
    assert live.exists() and kept.exists() and not stale.exists() and not old_live.exists()
