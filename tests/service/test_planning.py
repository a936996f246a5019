"""Planning in the service, on a real database (SQLite, and PostgreSQL when configured) with the
real encoders: complaint import with per-line errors and idempotence, drafts, posting a draft with
its evidence, the gap map, permissions, and the CLI import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.service.conftest import ADMIN_KEY, _backends, auth, make_settings, wait_ready
from tests.test_complaints import SLICE, needs_traffy, traffy_lines

pytestmark = needs_traffy
INNOVATORS = 16
CHALLENGES = 4


@pytest.fixture(scope="module", params=_backends())
def service_env(request, tmp_path_factory, cache_dir, small_records):
    """A real app on each database backend with a few records of the small corpus (fewer than the
    shared fixture: these tests are about complaints, and encoding records is the slow part)."""
    from fastapi.testclient import TestClient

    from service.app import create_app

    settings = make_settings(tmp_path_factory.mktemp("planning") / "data", cache_dir, request.param)
    with TestClient(create_app(settings)) as client:
        wait_ready(client)
        admin = auth(ADMIN_KEY)
        assert client.post("/v1/agencies", json={"id": "ag-env", "name_th": "สำนักสิ่งแวดล้อม", "name_en": "Environment"},
                           headers=admin).status_code == 201
        keys = {"admin": ADMIN_KEY,
                "ag-env": client.post("/v1/keys", json={"role": "agency", "agency_id": "ag-env"}, headers=admin).json()["api_key"]}
        challenges, innovators = small_records
        for challenge in challenges[:CHALLENGES]:
            body = {**challenge.model_dump(mode="json"), "agency_id": "ag-env"}
            assert client.post("/v1/challenges", json=body, headers=admin).status_code == 201
        for innovator in innovators[:INNOVATORS]:
            response = client.post("/v1/innovators", json=innovator.model_dump(mode="json"))
            assert response.status_code == 201, response.text
            keys[innovator.id] = response.json()["api_key"]
        yield settings, client, keys


def body_with_bad_lines() -> str:
    lines = traffy_lines()
    bad = json.loads(lines[0])
    lines.insert(10, "{broken")
    lines.insert(20, json.dumps({**bad, "_id": "BAD-TS", "timestamp": "14/05/2566"}, ensure_ascii=False))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def imported(service_env):
    _settings, client, keys = service_env
    response = client.post("/v1/complaints/import?format=jsonl&source=traffy.jsonl",
                           content=body_with_bad_lines().encode("utf-8"), headers=auth(keys["admin"]))
    assert response.status_code == 200, response.text
    return response.json()


def test_import_reports_bad_lines_and_keeps_the_good(imported):
    assert imported["lines"] == SLICE + 2 and imported["added"] == SLICE and imported["error_count"] == 2
    errors = {e["line"]: e for e in imported["errors"]}
    assert "not valid JSON" in errors[11]["problem"]
    assert errors[21]["field"] == "timestamp" and "not a date/time" in errors[21]["problem"]


def test_reimport_adds_nothing(service_env, imported):
    _settings, client, keys = service_env
    again = client.post("/v1/complaints/import", content=body_with_bad_lines().encode("utf-8"),
                        headers=auth(keys["admin"])).json()
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, SLICE)


def test_csv_import_with_mapping(service_env, imported):
    _settings, client, keys = service_env
    csv_text = "ticket,detail,khet\nCSV-1,ไฟถนนดับทั้งซอย มืดมาก,บางกะปิ\nCSV-2,,บางกะปิ\n"
    report = client.post("/v1/complaints/import?format=csv&map=id=ticket,text=detail,district=khet",
                         content=csv_text.encode("utf-8"), headers=auth(keys["admin"])).json()
    assert report["added"] == 1 and report["errors"] == [{"line": 3, "field": "detail", "problem": "missing or empty"}]
    bad_map = client.post("/v1/complaints/import?format=csv&map=colour=red", content=b"x", headers=auth(keys["admin"]))
    assert bad_map.status_code == 422


def test_only_admins_import_and_see_gaps(service_env):
    _settings, client, keys = service_env
    assert client.post("/v1/complaints/import", content=b"{}", headers=auth(keys["ag-env"])).status_code == 403
    assert client.post("/v1/complaints/import", content=b"{}").status_code == 401
    assert client.get("/v1/planning/gaps", headers=auth(keys["ag-env"])).status_code == 403
    assert client.get("/v1/complaints/drafts").status_code == 401
    innovator = next(k for k in keys if k.startswith("i"))
    assert client.get("/v1/complaints/drafts", headers=auth(keys[innovator])).status_code == 403


def test_agency_reviews_and_posts_a_draft_with_its_evidence(service_env, imported):
    _settings, client, keys = service_env
    listed = client.get("/v1/complaints/drafts", headers=auth(keys["ag-env"]))
    assert listed.status_code == 200, listed.text
    drafts = listed.json()["data"]
    assert drafts and all({"title", "description", "theme", "districts", "complaint_ids", "examples"} <= set(d) for d in drafts)
    draft = drafts[0]
    posted = client.post(f"/v1/complaints/drafts/{draft['id']}/post", json={"title": draft["title"] + " (ตรวจแล้ว)"},
                         headers=auth(keys["ag-env"]))
    assert posted.status_code == 201, posted.text
    challenge = client.get(f"/v1/challenges/{posted.json()['id']}").json()
    assert challenge["title"].endswith("(ตรวจแล้ว)") and challenge["agency_id"] == "ag-env"
    evidence = challenge["evidence"]
    assert evidence["count"] == draft["size"] and evidence["complaint_ids"] == draft["complaint_ids"]
    assert evidence["districts"] == draft["districts"] and evidence["draft_id"] == draft["id"]
    remaining = client.get("/v1/complaints/drafts", headers=auth(keys["ag-env"])).json()["data"]
    assert draft["id"] not in {d["id"] for d in remaining}
    page = client.get(f"/challenges/{posted.json()['id']}?lang=en")
    assert f"Based on {draft['size']} citizen complaints" in page.text


def test_gap_map_json_csv_png(service_env, imported):
    _settings, client, keys = service_env
    response = client.get("/v1/planning/gaps", headers=auth(keys["admin"]))
    assert response.status_code == 200, response.text
    gap_map = response.json()
    assert gap_map["cells"] and len(gap_map["sectors"]) == 9
    scores = [(not c["is_gap"], -c["gap_score"]) for c in gap_map["cells"]]
    assert scores == sorted(scores)
    assert sum(c["complaints"] for c in gap_map["cells"]) + gap_map["unplaced_complaints"] >= SLICE
    csv_response = client.get("/v1/planning/gaps?format=csv", headers=auth(keys["admin"]))
    assert csv_response.headers["content-type"].startswith("text/csv") and "theme_th" in csv_response.text
    png = client.get("/v1/planning/gaps?format=png", headers=auth(keys["admin"]))
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"


def test_pages_refuse_the_wrong_people(service_env):
    _settings, client, _keys = service_env
    assert client.get("/planning/drafts").status_code == 401
    assert client.get("/planning/gaps").status_code == 401
    assert client.get("/planning/complaints").status_code == 401


def test_cli_import_is_idempotent_and_reports_lines(tmp_path, cache_dir):
    from typer.testing import CliRunner

    from service.cli_planning import complaints

    source = tmp_path / "complaints.jsonl"
    source.write_text("\n".join(traffy_lines(20)) + "\n{oops\n", encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(complaints, ["import", str(source), "--data-dir", str(tmp_path / "data")])
    assert first.exit_code == 0, first.output
    assert "20 added" in first.output and "line 21: not valid JSON" in first.output
    second = runner.invoke(complaints, ["import", str(source), "--data-dir", str(tmp_path / "data"), "--json"])
    report = json.loads(second.stdout[second.stdout.index("{"):])
    assert (report["added"], report["unchanged"], report["error_count"]) == (0, 20, 1)
    assert Path(tmp_path / "data" / "matcher.sqlite3").exists()
