"""The JSON API through the ASGI app: every endpoint and role rule, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from tests.service.conftest import auth

THAI_PAIN = {"title": "ผักตบชวาอุดตันประตูระบายน้ำคลองลาดพร้าว",
             "description": "ทุกปีผักตบชวาลอยมาติดหน้าประตูระบายน้ำ เครื่องสูบน้ำทำงานไม่ได้ น้ำท่วมชุมชนริมคลอง",
             "agency": "สำนักการระบายน้ำ", "sectors": ["environment"], "themes": ["canals"]}


def _count(client, key=None) -> int:
    return client.get("/v1/challenges", params={"limit": 500}, headers=auth(key) if key else {}).json()["count"]


def test_health_ready_metrics_openapi(service_env):
    _, client, _ = service_env
    assert client.get("/v1/health").json() == {"status": "ok"}
    ready = client.get("/v1/ready").json()
    assert ready["status"] == "ready" and ready["index"]["innovators"] == 60
    metrics = client.get("/v1/metrics").json()
    assert metrics["index_sizes"]["challenges"] >= 24 and metrics["requests"]
    assert "/v1/challenges/{challenge_id}/matches" in client.get("/openapi.json").json()["paths"]


def test_agency_posts_a_thai_challenge_and_gets_suggestions(service_env):
    _, client, keys = service_env
    similar = client.post("/v1/challenges/similar", json={"text": THAI_PAIN["description"]}).json()
    assert similar["count"] == 5
    created = client.post("/v1/challenges", json={**THAI_PAIN, "id": "ch-thai-1"}, headers=auth(keys["ag-env"]))
    assert created.status_code == 201
    body = created.json()
    assert body["agency_id"] == "ag-env" and body["language"] == "th"
    assert body["description"].encode() == THAI_PAIN["description"].encode()
    again = client.get("/v1/challenges/ch-thai-1").json()
    assert again["title"] == THAI_PAIN["title"]
    matches = client.get("/v1/challenges/ch-thai-1/matches", params={"k": 5}, headers=auth(keys["ag-env"])).json()
    assert matches["count"] == 5
    assert all(m["explanation"]["summary"]["th"] for m in matches["data"])
    # the new challenge is found by the duplicate check from now on
    top = client.post("/v1/challenges/similar", json={"text": THAI_PAIN["title"], "k": 1}).json()["data"][0]
    assert top["id"] == "ch-thai-1"


@pytest.mark.parametrize("who,status", [("ag-traffic", 403), (None, 401), ("innovator", 403)])
def test_only_the_owning_agency_sees_suggestions(service_env, small_records, who, status):
    _, client, keys = service_env
    cid = small_records[0][0].id  # belongs to ag-env
    key = keys[small_records[1][0].id] if who == "innovator" else (keys[who] if who else None)
    response = client.get(f"/v1/challenges/{cid}/matches", headers=auth(key) if key else {})
    assert response.status_code == status
    assert response.json()["error"]["code"] in ("forbidden", "unauthorized")


def test_filters_mode_and_csv_on_matches(service_env, small_records):
    _, client, keys = service_env
    cid = small_records[0][0].id
    data = client.get(f"/v1/challenges/{cid}/matches", params={"k": 50, "min_trl": 8, "mode": "dense"},
                      headers=auth(keys["ag-env"])).json()["data"]
    trl = {i.id: i.max_trl for i in small_records[1]}
    assert data and all(trl[m["id"]] >= 8 for m in data)
    assert "bm25" not in data[0]["explanation"]["components"]
    bad = client.get(f"/v1/challenges/{cid}/matches", params={"sector": "space"}, headers=auth(keys["ag-env"]))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "sector"
    csv_text = client.get(f"/v1/challenges/{cid}/matches", params={"format": "csv", "k": 3},
                          headers=auth(keys["ag-env"])).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("rank,id,title") and len(csv_text.splitlines()) == 4


def test_feedback_rejected_never_suggested_again_and_export(service_env, small_records):
    _, client, keys = service_env
    cid = small_records[0][0].id
    headers = auth(keys["ag-env"])
    first = client.get(f"/v1/challenges/{cid}/matches", params={"k": 3}, headers=headers).json()["data"]
    rejected, accepted = first[0]["id"], first[1]["id"]
    for innovator, decision in ((rejected, "reject"), (accepted, "accept")):
        r = client.post(f"/v1/challenges/{cid}/feedback", json={"innovator_id": innovator, "decision": decision,
                                                                 "note": "ทดสอบ"}, headers=headers)
        assert r.status_code == 201 and r.json()["by_side"] == "agency" and "ag-env" in r.json()["by"]
    after = client.get(f"/v1/challenges/{cid}/matches", params={"k": 60}, headers=headers).json()["data"]
    assert rejected not in [m["id"] for m in after]
    assert {m["id"]: m["state"] for m in after}[accepted] == "accepted"
    log = client.get(f"/v1/challenges/{cid}/feedback", headers=headers).json()
    assert [f["state"] for f in log["data"]][-2:] == ["declined", "accepted"]
    bad = client.post(f"/v1/challenges/{cid}/feedback", json={"innovator_id": "nobody", "decision": "accept"}, headers=headers)
    assert bad.status_code == 404
    assert client.get("/v1/feedback/export", headers=headers).status_code == 403
    tsv = client.get("/v1/feedback/export", headers=auth(keys["admin"])).text
    assert f"{cid}\t{rejected}\t0\ttrain" in tsv and f"{cid}\t{accepted}\t2\ttrain" in tsv


def test_confidential_challenge_is_hidden_from_everyone_else(service_env, small_records):
    _, client, keys = service_env
    secret = {**THAI_PAIN, "id": "ch-secret", "title": "ระบบตรวจจับการทุจริตจัดซื้อจัดจ้าง (ลับ)",
              "description": "ข้อมูลภายในเรื่องการฮั้วประมูลของเขต ต้องการระบบวิเคราะห์ความเสี่ยงทุจริต",
              "confidential": True, "themes": ["transparency"], "sectors": ["government_education"]}
    assert client.post("/v1/challenges", json=secret, headers=auth(keys["ag-env"])).status_code == 201
    assert client.get("/v1/challenges/ch-secret").status_code == 404
    assert client.get("/v1/challenges/ch-secret", headers=auth(keys["ag-traffic"])).status_code == 404
    assert client.get("/v1/challenges/ch-secret", headers=auth(keys["ag-env"])).status_code == 200
    public_ids = [c["id"] for c in client.get("/v1/challenges", params={"limit": 500}).json()["data"]]
    assert "ch-secret" not in public_ids
    found = client.post("/v1/search", json={"text": secret["description"], "target": "challenges", "k": 50}).json()
    assert "ch-secret" not in [h["id"] for h in found["data"]]
    innovator = small_records[1][0].id
    matches = client.get(f"/v1/innovators/{innovator}/matches", params={"k": 100}, headers=auth(keys[innovator])).json()
    assert "ch-secret" not in [h["id"] for h in matches["data"]]
    assert client.get("/v1/challenges/ch-secret/matches", headers=auth(keys["ag-env"])).status_code == 200


def test_agency_cannot_change_another_agencys_challenge(service_env, small_records):
    _, client, keys = service_env
    cid = small_records[0][0].id
    before = client.get(f"/v1/challenges/{cid}").json()
    assert client.patch(f"/v1/challenges/{cid}", json={"title": "hijacked"}, headers=auth(keys["ag-traffic"])).status_code == 403
    assert client.post(f"/v1/challenges/{cid}/close", headers=auth(keys["ag-traffic"])).status_code == 403
    assert client.get(f"/v1/challenges/{cid}").json() == before
    posted = client.post("/v1/challenges", json={**THAI_PAIN, "agency_id": "ag-env"}, headers=auth(keys["ag-traffic"]))
    assert posted.status_code == 403


def test_update_and_close_by_owner(service_env):
    _, client, keys = service_env
    headers = auth(keys["ag-env"])
    client.post("/v1/challenges", json={**THAI_PAIN, "id": "ch-upd"}, headers=headers)
    updated = client.patch("/v1/challenges/ch-upd", json={"title": "Water hyacinth blocks the floodgate"}, headers=headers)
    assert updated.status_code == 200 and updated.json()["title"].startswith("Water")
    assert client.patch("/v1/challenges/ch-upd", json={"id": "other"}, headers=headers).status_code == 422
    closed = client.post("/v1/challenges/ch-upd/close", headers=headers).json()
    assert closed["status"] == "closed"
    open_search = client.post("/v1/search", json={"text": "Water hyacinth floodgate", "target": "challenges", "k": 50}).json()
    assert "ch-upd" not in [h["id"] for h in open_search["data"]]


def test_innovator_profile_rules(service_env, small_records):
    _, client, keys = service_env
    mine, other = small_records[1][0].id, small_records[1][1].id
    assert client.get(f"/v1/innovators/{mine}").status_code == 200  # public profile
    matches = client.get(f"/v1/innovators/{mine}/matches", params={"k": 5}, headers=auth(keys[mine]))
    assert matches.status_code == 200 and matches.json()["count"] == 5
    assert client.get(f"/v1/innovators/{other}/matches", headers=auth(keys[mine])).status_code == 403
    before = client.get(f"/v1/innovators/{other}").json()
    assert client.patch(f"/v1/innovators/{other}", json={"name": "x"}, headers=auth(keys[mine])).status_code == 403
    assert client.delete(f"/v1/innovators/{other}", headers=auth(keys[mine])).status_code == 403
    assert client.get(f"/v1/innovators/{other}").json() == before
    renamed = client.patch(f"/v1/innovators/{mine}", json={"name": "ชื่อใหม่ Co."}, headers=auth(keys[mine]))
    assert renamed.status_code == 200 and renamed.json()["name"] == "ชื่อใหม่ Co."


def test_deleted_innovator_is_never_suggested(service_env, small_records):
    _, client, keys = service_env
    victim = small_records[1][5].id
    assert client.delete(f"/v1/innovators/{victim}", headers=auth(keys[victim])).status_code == 204
    assert client.get(f"/v1/innovators/{victim}").status_code == 404
    for challenge in small_records[0][:4]:
        owner = "ag-env" if small_records[0].index(challenge) % 2 == 0 else "ag-traffic"
        data = client.get(f"/v1/challenges/{challenge.id}/matches", params={"k": 100}, headers=auth(keys[owner])).json()
        assert victim not in [m["id"] for m in data["data"]]
    assert client.get(f"/v1/innovators/{victim}/matches", headers=auth(keys[victim])).status_code == 401  # key revoked


def test_search_both_sides_and_csv(service_env):
    _, client, _ = service_env
    for text in ("ฝุ่น PM2.5 เซนเซอร์", "flood warning sensors", "ระบบ AI smart traffic"):
        for target in ("innovators", "challenges"):
            data = client.post("/v1/search", json={"text": text, "target": target, "k": 3}).json()
            assert data["count"] == 3
    csv_text = client.post("/v1/search", params={"format": "csv"}, json={"text": "ขยะ", "k": 2}).content.decode("utf-8-sig")
    assert len(csv_text.splitlines()) == 3


def test_saved_search_lists_new_open_challenges(service_env, small_records):
    _, client, keys = service_env
    mine = small_records[1][2].id
    headers = auth(keys[mine])
    saved = client.post(f"/v1/innovators/{mine}/saved-searches", json={"text": "ผักตบชวา เรือเก็บขยะในคลอง"}, headers=headers)
    assert saved.status_code == 201
    sid = saved.json()["id"]
    assert client.get(f"/v1/innovators/{mine}/saved-searches/{sid}/new", headers=headers).json()["count"] == 0
    client.post("/v1/challenges", json={**THAI_PAIN, "id": "ch-saved-1", "title": "ขยะและผักตบชวาในคลองเปรมประชากร"},
                headers=auth(keys["ag-env"]))
    fresh = client.get(f"/v1/innovators/{mine}/saved-searches/{sid}/new", params={"mark_seen": True}, headers=headers).json()
    assert "ch-saved-1" in [h["id"] for h in fresh["data"]]
    assert client.get(f"/v1/innovators/{mine}/saved-searches/{sid}/new", headers=headers).json()["count"] == 0
    assert client.get(f"/v1/innovators/{mine}/saved-searches", headers=headers).json()["count"] == 1
    other = small_records[1][3].id
    assert client.get(f"/v1/innovators/{other}/saved-searches", headers=headers).status_code == 403


@pytest.mark.parametrize("body,field", [
    ({"title": 5, "description": "x", "agency": "a"}, "title"),
    ({**THAI_PAIN, "sectors": ["space_mining"]}, "sectors"),
    ({**THAI_PAIN, "district": "Gotham"}, "district"),
    ({**THAI_PAIN, "description": "\u3000 \u200b"}, "description"),
    ({**THAI_PAIN, "status": "pending"}, "status"),
    ({**THAI_PAIN, "unexpected": 1}, "unexpected"),
])
def test_invalid_fields_get_422_with_the_field_and_store_nothing(service_env, body, field):
    _, client, keys = service_env
    before = _count(client, keys["admin"])
    response = client.post("/v1/challenges", json=body, headers=auth(keys["ag-env"]))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field
    assert _count(client, keys["admin"]) == before


def test_oversized_invalid_utf8_and_duplicate_bodies(service_env, small_records):
    settings, client, keys = service_env
    headers = {**auth(keys["ag-env"]), "content-type": "application/json"}
    before = _count(client, keys["admin"])
    big = client.post("/v1/challenges", content=b'{"title": "' + b"x" * (settings.max_body_bytes + 10) + b'"}', headers=headers)
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    broken = client.post("/v1/challenges", content=b'{"title": "\xff\xfe", "description": "x", "agency": "a"}', headers=headers)
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "bad_request"
    dup = client.post("/v1/challenges", json={**THAI_PAIN, "id": small_records[0][0].id}, headers=auth(keys["admin"]))
    assert dup.status_code == 409 and dup.json()["error"]["field"] == "id"
    dup_innovator = client.post("/v1/innovators", json=small_records[1][0].model_dump(mode="json"))
    assert dup_innovator.status_code == 409
    assert _count(client, keys["admin"]) == before


def test_sql_and_html_are_stored_verbatim(service_env):
    _, client, keys = service_env
    nasty = {**THAI_PAIN, "id": "ch-nasty", "title": "'; DROP TABLE challenges; -- <script>alert(1)</script>",
             "description": "<img src=x onerror=alert(1)> น้ำท่วม ' OR 1=1 --"}
    assert client.post("/v1/challenges", json=nasty, headers=auth(keys["ag-env"])).status_code == 201
    stored = client.get("/v1/challenges/ch-nasty").json()
    assert stored["title"] == nasty["title"] and stored["description"] == nasty["description"]
    page = client.get("/challenges/ch-nasty").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert client.get("/v1/health").status_code == 200 and _count(client, keys["admin"]) > 0


def test_admin_only_operations(service_env):
    _, client, keys = service_env
    assert client.post("/v1/agencies", json={"id": "ag-x", "name_th": "x", "name_en": "x"},
                       headers=auth(keys["ag-env"])).status_code == 403
    assert client.post("/v1/keys", json={"role": "admin"}, headers=auth(keys["ag-env"])).status_code == 403
    assert client.post("/v1/keys", json={"role": "agency", "agency_id": "nope"}, headers=auth(keys["admin"])).status_code == 422
    assert client.post("/v1/admin/reindex", headers=auth(keys["ag-env"])).status_code == 403
    assert client.get("/v1/challenges", headers=auth("wrong-key")).status_code == 401
    reindexed = client.post("/v1/admin/reindex", headers=auth(keys["admin"])).json()["reindexed"]
    assert reindexed["innovators"] == client.get("/v1/innovators", params={"limit": 1}).json()["count"]


def test_concurrent_reads_during_writes_are_consistent(service_env):
    _, client, keys = service_env
    errors: list[str] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            response = client.post("/v1/search", json={"text": "ผักตบชวาในคลอง", "target": "challenges", "k": 5})
            if response.status_code != 200 or response.json()["count"] != 5:
                errors.append(response.text)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for i in range(5):
        r = client.post("/v1/challenges", json={**THAI_PAIN, "id": f"ch-conc-{i}"}, headers=auth(keys["ag-env"]))
        assert r.status_code == 201
    stop.set()
    for t in threads:
        t.join()
    assert not errors


def test_a_skip_beyond_64_bits_is_a_422_naming_it(service_env):
    """Found by schema fuzzing: an OFFSET the database cannot hold was a 500 (OverflowError on SQLite)."""
    _settings, client, keys = service_env
    for path in ("/v1/challenges", "/v1/innovators"):
        response = client.get(path, params={"skip": 2**70}, headers=auth(keys["admin"]))
        assert response.status_code == 422 and response.json()["error"]["field"] == "skip", response.text
        assert client.get(path, params={"skip": 2**63 - 1}, headers=auth(keys["admin"])).json()["data"] == []
