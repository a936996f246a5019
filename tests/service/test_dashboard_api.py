"""The dashboard through the running app (real database, real engine): `GET /v1/dashboard` as JSON
and CSV, the page /admin/dashboard and its CSV, who may see them, and the header's links.

The funnel is driven through the engagement API itself; "suggested" is checked against what the
matches API shows the admin for each challenge."""

from __future__ import annotations

import time

import csv
import io

import pytest

from tests.service.conftest import ADMIN_KEY, _backends, auth, make_settings, wait_ready

CHALLENGES = 6
INNOVATORS = 10
PASSWORD = "dashboard-password-1"


@pytest.fixture(scope="module", params=_backends())
def env(request, tmp_path_factory, cache_dir, small_records):
    """A real app with six challenges (three per agency), ten innovators, and log-ins for an admin
    and one agency's staff."""
    from fastapi.testclient import TestClient

    from service import accounts
    from service.app import create_app

    settings = make_settings(tmp_path_factory.mktemp("dashboard-api") / "data", cache_dir, request.param)
    with TestClient(create_app(settings)) as client:
        wait_ready(client)
        admin = auth(ADMIN_KEY)
        keys = {"admin": ADMIN_KEY}
        for agency in ("ag-env", "ag-traffic"):
            assert client.post("/v1/agencies", json={"id": agency, "name_th": "สำนัก " + agency, "name_en": "Office " + agency},
                               headers=admin).status_code == 201
            keys[agency] = client.post("/v1/keys", json={"role": "agency", "agency_id": agency},
                                       headers=admin).json()["api_key"]
        challenges, innovators = small_records
        ids = {"ag-env": [], "ag-traffic": []}
        for i, challenge in enumerate(challenges[:CHALLENGES]):
            agency = "ag-env" if i % 2 == 0 else "ag-traffic"
            body = {**challenge.model_dump(mode="json"), "agency_id": agency}
            assert client.post("/v1/challenges", json=body, headers=admin).status_code == 201
            ids[agency].append(challenge.id)
        people = []
        for innovator in innovators[:INNOVATORS]:
            response = client.post("/v1/innovators", json=innovator.model_dump(mode="json"))
            assert response.status_code == 201, response.text
            keys[innovator.id] = response.json()["api_key"]
            people.append(innovator.id)
        sessions = client.app.state.sessions
        tokens = {}
        with sessions.write() as session:
            admin_user = accounts.new_user(session, "boss@bic.example", "Boss", PASSWORD, "admin")
            staff_user = accounts.new_user(session, "staff@bic.example", "Staff", PASSWORD, "agency", "ag-env")
            user_ids = {"admin": admin_user.id, "agency": staff_user.id}
        tokens = {role: accounts.start_session(sessions, uid) for role, uid in user_ids.items()}
        yield client, keys, ids, people, tokens


def _as(client, token: str | None) -> None:
    """Browse as the person of this session token (None: nobody logged in)."""
    client.cookies.clear()
    if token:
        client.cookies.set("bic_session", token)


def _expected_suggested(client, challenge_ids) -> int:
    """Challenges whose top 10 in the matches API has a strong or possible fit."""
    count = 0
    for cid in challenge_ids:
        response = client.get(f"/v1/challenges/{cid}/matches?k=10&include_weak=true", headers=auth(ADMIN_KEY))
        assert response.status_code == 200, response.text
        count += any(h.get("band") in ("strong", "possible") for h in response.json()["data"])
    return count


def _step(client, key, cid, state, innovator=None, note="") -> None:
    body = {"state": state, "note": note or ("a short proposal" if state == "interested" else "")}
    if innovator:
        body["innovator_id"] = innovator
    response = client.post(f"/v1/challenges/{cid}/engagements", json=body, headers=auth(key))
    assert response.status_code == 201, response.text


def _agency(data, agency_id):
    return next(a for a in data["agencies"] if a["agency_id"] == agency_id)


def test_only_admins_read_the_dashboard(env):
    client, keys, _ids, people, _tokens = env
    _as(client, None)
    assert client.get("/v1/dashboard").status_code == 401
    assert client.get("/v1/dashboard", headers=auth(keys["ag-env"])).status_code == 403
    assert client.get("/v1/dashboard?format=csv", headers=auth(keys[people[0]])).status_code == 403
    assert client.get("/v1/dashboard?format=xml", headers=auth(ADMIN_KEY)).json()["error"]["field"] == "format"


def test_funnel_and_first_interest_follow_the_engagement_api(env):
    client, keys, ids, people, _tokens = env
    _as(client, None)
    expected = {agency: _expected_suggested(client, cids) for agency, cids in ids.items()}  # before any decline
    env0, traffic0 = ids["ag-env"][0], ids["ag-traffic"][0]
    _step(client, keys["ag-env"], env0, "invited", people[0])
    _step(client, keys[people[0]], env0, "interested")
    _step(client, keys["ag-env"], env0, "shortlisted", people[0])
    _step(client, keys["ag-env"], env0, "accepted", people[0])
    _step(client, keys[people[1]], env0, "interested")
    _step(client, keys["ag-traffic"], traffic0, "shortlisted", people[2])
    assert client.post(f"/v1/challenges/{traffic0}/engagements/{people[2]}/undo",
                       headers=auth(keys["ag-traffic"])).status_code == 200
    _step(client, keys[people[3]], traffic0, "interested")
    _step(client, keys["ag-traffic"], traffic0, "declined", people[3])

    data = client.get("/v1/dashboard", headers=auth(ADMIN_KEY)).json()
    stages = lambda a: [a[s] for s in ("posted", "suggested", "contacted", "shortlisted", "accepted")]  # noqa: E731
    assert stages(_agency(data, "ag-env")) == [3, expected["ag-env"], 2, 1, 1]
    assert stages(_agency(data, "ag-traffic")) == [3, expected["ag-traffic"], 1, 0, 0]
    assert stages(data["total"]) == [sum(col) for col in zip(*(stages(a) for a in data["agencies"]))]
    assert data["suggested_rule"]["available"] is True
    for agency in ("ag-env", "ag-traffic"):  # one challenge each with an interest, seconds after posting
        interest = _agency(data, agency)["first_interest"]
        assert interest["count"] == 1 and 0 <= interest["median_days"] < 0.01
    assert data["records"]["challenges"]["language"] and sum(data["records"]["innovators"]["language"].values()) >= INNOVATORS


def test_suggested_is_cached_per_change_sequence_and_updated_after_writes(env, small_records):
    client, _keys, _ids, _people, _tokens = env
    before = client.get("/v1/dashboard", headers=auth(ADMIN_KEY)).json()
    assert client.get("/v1/dashboard", headers=auth(ADMIN_KEY)).json()["seq"] == before["seq"]
    extra = small_records[0][CHALLENGES]  # posted by the admin, for no agency account
    response = client.post("/v1/challenges", json=extra.model_dump(mode="json", exclude={"agency_id"}),
                           headers=auth(ADMIN_KEY))
    assert response.status_code == 201 and response.json()["agency_id"] is None, response.text
    after = client.get("/v1/dashboard", headers=auth(ADMIN_KEY)).json()
    assert after["seq"] > before["seq"]
    assert _agency(after, None)["posted"] == 1 and after["total"]["posted"] == before["total"]["posted"] + 1
    assert after["total"]["suggested"] == before["total"]["suggested"] + _expected_suggested(client, [extra.id])

    newcomer = small_records[1][INNOVATORS]  # an innovator write: every challenge is matched again,
    assert client.post("/v1/innovators", json=newcomer.model_dump(mode="json")).status_code == 201
    stale = client.get("/v1/dashboard", headers=auth(ADMIN_KEY)).json()  # in the background meanwhile
    assert stale["seq"] == after["seq"]
    deadline = time.monotonic() + 120
    while (again := client.get("/v1/dashboard", headers=auth(ADMIN_KEY)).json())["seq"] == after["seq"]:
        assert time.monotonic() < deadline, "the background refresh did not finish"
        time.sleep(0.2)
    assert again["seq"] > after["seq"]
    every = [c.id for c in small_records[0][:CHALLENGES]] + [extra.id]
    assert again["total"]["suggested"] == _expected_suggested(client, every)


def test_csv_export_matches_the_json(env):
    client, _keys, _ids, _people, tokens = env
    data = client.get("/v1/dashboard", headers=auth(ADMIN_KEY)).json()
    response = client.get("/v1/dashboard?format=csv", headers=auth(ADMIN_KEY))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode("utf-8"))  # Excel reads the Thai
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == ["section", "group", "key", "label_th", "label_en", "metric", "value"]
    index = {(r["section"], r["key"], r["metric"]): r for r in rows if r["section"] != "records"}
    for stage in ("posted", "contacted", "shortlisted", "accepted"):
        assert index[("funnel", "ag-env", stage)]["value"] == str(_agency(data, "ag-env")[stage])
        assert index[("funnel", "*", stage)]["value"] == str(data["total"][stage])
    assert index[("funnel", "ag-env", "posted")]["label_th"] == "สำนัก ag-env"
    themes = {r["key"]: int(r["value"]) for r in rows if r["group"] == "challenges/theme"}
    assert themes == data["records"]["challenges"]["theme"]

    _as(client, tokens["admin"])
    page_csv = client.get("/admin/dashboard.csv")
    _as(client, None)
    assert page_csv.status_code == 200 and page_csv.content == response.content


def test_dashboard_page_for_admins_only(env):
    client, _keys, _ids, _people, tokens = env
    _as(client, None)
    anonymous = client.get("/admin/dashboard?lang=th")
    assert anonymous.status_code == 401 and "หน้านี้สำหรับผู้ดูแลระบบ" in anonymous.text and 'id="login-form"' in anonymous.text
    assert 'value="/admin/dashboard"' in anonymous.text  # back to the dashboard after logging in
    _as(client, tokens["agency"])
    staff = client.get("/admin/dashboard?lang=en")
    assert staff.status_code == 403 and "This page is for administrators" in staff.text
    assert 'id="nav-drafts"' in staff.text and 'id="nav-dashboard"' not in staff.text and 'id="nav-gaps"' not in staff.text
    assert client.get("/admin/dashboard.csv").status_code == 403

    _as(client, tokens["admin"])
    english = client.get("/admin/dashboard?lang=en")
    thai = client.get("/admin/dashboard?lang=th")
    _as(client, None)
    assert english.status_code == 200 and thai.status_code == 200
    for nav in ("nav-drafts", "nav-gaps", "nav-complaints", "nav-dashboard"):
        assert f'id="{nav}"' in english.text
    assert "Funnel per agency" in english.text and "ขั้นตอนต่อหน่วยงาน" in thai.text
    assert "Challenges by theme" in english.text and "โจทย์ตามประเด็น" in thai.text
    for chart in ("chart-funnel", "chart-first-interest", "chart-challenges-theme", "chart-innovators-language"):
        assert f'<figure class="chart" id="{chart}">' in english.text
    assert english.text.count("<svg") >= 8 and "<script" not in english.text
    assert 'role="img"' in english.text and '<title id="chart-funnel-title">' in english.text
    total = client.get("/v1/dashboard", headers=auth(ADMIN_KEY)).json()["total"]
    assert f"<title>Posted: {total['posted']}</title>" in english.text  # each bar says its value
    assert f"<title>โพสต์: {total['posted']}</title>" in thai.text
