"""GET /v1/challenges/{id}/consortia: only the owning agency and admins; the body names who covers what."""

from __future__ import annotations

import pytest

from tests.service.conftest import auth


@pytest.mark.parametrize("who,status", [("ag-env", 200), ("admin", 200), ("ag-traffic", 403), (None, 401),
                                        ("innovator", 403)])
def test_consortia_permissions(service_env, small_records, who, status):
    _, client, keys = service_env
    cid = small_records[0][0].id  # belongs to ag-env
    key = keys[small_records[1][0].id] if who == "innovator" else (keys[who] if who else None)
    response = client.get(f"/v1/challenges/{cid}/consortia", headers=auth(key) if key else {})
    assert response.status_code == status, response.text
    if status == 200:
        body = response.json()
        assert body["challenge_id"] == cid and body["needs"]
        for team in body["teams"]:
            assert 2 <= len(team["members"]) <= 3
            assert all(set(m["covers"]) <= set(team["covered"]) for m in team["members"])
    else:
        assert response.json()["error"]["code"] in ("forbidden", "unauthorized")


def test_consortia_unknown_challenge_and_bad_teams(service_env):
    _, client, keys = service_env
    assert client.get("/v1/challenges/nope/consortia", headers=auth(keys["admin"])).status_code == 404
    assert client.get("/v1/challenges/nope/consortia", params={"teams": 0}, headers=auth(keys["admin"])).status_code == 422


def test_consortia_partial_renders_in_both_languages(service_env, small_records):
    from service.i18n import translator
    from service.pages import TEMPLATES

    _, client, keys = service_env
    body = client.get(f"/v1/challenges/{small_records[0][0].id}/consortia", headers=auth(keys["admin"])).json()
    template = TEMPLATES.env.get_template("_consortia.html")
    for lang in ("th", "en"):
        html = template.render(consortia=body["teams"], needs=body["needs"], t=translator(lang))
        assert "consortia-title" in html and body["needs"][0]["text"][:20] in html
