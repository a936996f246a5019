"""The bad-input catalogue (issue #12) through every endpoint that takes text, ids or numbers, on
SQLite and PostgreSQL: never a 5xx, every 4xx names the field, nothing stored changes."""

from __future__ import annotations

import json

import pytest

from tests.service.conftest import auth

BLANK = {"zero-width": "\u200b\u200b\u2060", "whitespace": " \t\u3000 ", "braille blank": "\u2800\u2800",
         "hangul filler": "\u3164\u3164", "emoji only": "😀🙏", "punctuation": "?!…"}
CONTROL = {"NUL": "น้ำท่วม\x00ซอย", "bell": "abc\x07", "C1": "abc\x85def", "lone surrogate": "abc\ud800"}
PAIN = {"title": "ผักตบชวาอุดตันประตูระบายน้ำ", "description": "ผักตบชวาลอยมาติดหน้าประตูระบายน้ำ น้ำท่วมชุมชน",
        "agency": "สำนักการระบายน้ำ", "sectors": ["environment"]}


def _posts(small_records):
    """(name, method, path, body(value), field, who): every place a text reaches the service."""
    cid, iid = small_records[0][0].id, small_records[1][0].id
    return [
        ("search", "POST", "/v1/search", lambda v: {"text": v}, "text", None),
        ("similar", "POST", "/v1/challenges/similar", lambda v: {"text": v}, "text", None),
        ("saved search", "POST", f"/v1/innovators/{iid}/saved-searches", lambda v: {"text": v}, "text", iid),
        ("challenge title", "POST", "/v1/challenges", lambda v: {**PAIN, "title": v}, "title", "ag-env"),
        ("challenge patch", "PATCH", f"/v1/challenges/{cid}", lambda v: {"description": v}, "description", "ag-env"),
        ("innovator patch", "PATCH", f"/v1/innovators/{iid}", lambda v: {"name": v}, "name", iid),
        ("solution", "PATCH", f"/v1/innovators/{iid}",
         lambda v: {"solutions": [{"title": v, "description": "x", "trl": 5}]}, "solutions.0.title", iid),
        ("agency name", "POST", "/v1/agencies", lambda v: {"id": "ag-new", "name_th": v, "name_en": "x"}, "name_th",
         "admin"),
    ]


def _send(client, keys, method, path, body, who):
    headers = {"Content-Type": "application/json", **(auth(keys[who]) if who else {})}
    return client.request(method, path, content=json.dumps(body, ensure_ascii=True), headers=headers)


def _assert_names(response, field):
    assert response.status_code == 422, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert field in {e["field"] for e in error["errors"]}, error


@pytest.mark.parametrize("value", list(BLANK.values()) + list(CONTROL.values()), ids=list(BLANK) + list(CONTROL))
def test_blank_and_control_text_is_refused_everywhere_and_nothing_changes(service_env, small_records, value):
    _, client, keys = service_env
    cid, iid = small_records[0][0].id, small_records[1][0].id
    before = (client.get(f"/v1/challenges/{cid}").json(), client.get(f"/v1/innovators/{iid}").json())
    for _name, method, path, body, field, who in _posts(small_records):
        _assert_names(_send(client, keys, method, path, body(value), who), field)
    assert (client.get(f"/v1/challenges/{cid}").json(), client.get(f"/v1/innovators/{iid}").json()) == before
    assert "ag-new" not in {a["id"] for a in client.get("/v1/agencies").json()["data"]}


@pytest.mark.parametrize("value", list(CONTROL.values()), ids=list(CONTROL))
def test_control_characters_in_notes_queries_and_paths(service_env, small_records, value):
    _, client, keys = service_env
    cid, iid = small_records[0][0].id, small_records[1][0].id
    note = {"innovator_id": iid, "decision": "shortlist", "note": value}
    _assert_names(_send(client, keys, "POST", f"/v1/challenges/{cid}/feedback", note, "ag-env"), "note")
    if "\ud800" in value:
        return  # a URL cannot carry a lone surrogate (the client refuses to encode it)
    _assert_names(client.get("/v1/challenges", params={"q": value}), "q")
    page = client.get("/", params={"q": value}, headers={"Accept": "text/html"})
    assert page.status_code == 422 and "text/html" in page.headers["content-type"]


def test_blank_notes_and_list_filters_are_fine(service_env, small_records):
    _, client, keys = service_env
    assert client.get("/v1/challenges", params={"q": "\u200b"}).status_code == 200
    assert client.get("/", params={"q": "\u200b\u200b"}, headers={"Accept": "text/html"}).status_code == 200


@pytest.mark.parametrize("path,field", [("/v1/challenges/a%00b", "challenge_id"), ("/v1/innovators/%20x", "innovator_id"),
                                        ("/v1/challenges/" + "x" * 200, "challenge_id")])
def test_bad_path_ids_are_named(service_env, path, field):
    _, client, _ = service_env
    _assert_names(client.get(path), field)


def test_huge_saved_search_id_and_numbers(service_env, small_records):
    _, client, keys = service_env
    iid = small_records[1][0].id
    _assert_names(client.get(f"/v1/innovators/{iid}/saved-searches/{2**63}/new", headers=auth(keys[iid])), "search_id")
    for raw in ('Infinity', '-Infinity', 'NaN', '1e999'):
        body = json.dumps({**PAIN, "id": "ch-inf"})[:-1] + f', "budget_max_thb": {raw}}}'
        response = client.post("/v1/challenges", content=body, headers={**auth(keys["ag-env"]),
                                                                          "Content-Type": "application/json"})
        _assert_names(response, "budget_max_thb")
    assert client.get("/v1/challenges/ch-inf").status_code == 404


@pytest.mark.parametrize("body,field", [({**PAIN, "confidential": "yes"}, "confidential"),
                                        ({**PAIN, "confidential": 1}, "confidential"),
                                        ({**PAIN, "budget_min_thb": "100"}, "budget_min_thb")])
def test_types_are_strict_at_the_boundary(service_env, body, field):
    _, client, keys = service_env
    _assert_names(client.post("/v1/challenges", json=body, headers=auth(keys["ag-env"])), field)


def test_strict_numbers_in_search_and_filters(service_env):
    _, client, _ = service_env
    _assert_names(client.post("/v1/search", json={"text": "น้ำท่วม", "k": True}), "k")
    _assert_names(client.post("/v1/search", json={"text": "flood", "filters": {"min_trl": "5"}}), "filters.min_trl")
    _assert_names(client.post("/v1/search", json={"text": "flood", "filters": {"colour": ["red"]}}), "filters.colour")
    thai = client.post("/v1/search", json={"text": "น้ำท่วม", "filters": {"sectors": ["สิ่งแวดล้อม"]}})
    assert thai.status_code == 200, thai.text


def test_malformed_json_is_400_and_405_says_allow(service_env):
    _, client, keys = service_env
    broken = client.post("/v1/search", content=b'{"text": "flood",', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["error"]["field"] == ""
    wrong = client.put("/v1/challenges")
    assert wrong.status_code == 405 and "GET" in wrong.headers["allow"] and "POST" in wrong.headers["allow"]


def test_lexical_search_without_a_matching_word_finds_nothing(service_env):
    _, client, _ = service_env
    for target in ("innovators", "challenges"):
        response = client.post("/v1/search", json={"text": "qzxwvut plorkh", "target": target, "mode": "lexical"})
        assert response.status_code == 200 and response.json()["data"] == [], response.text[:300]


def test_a_query_longer_than_the_window_is_cut_and_says_so(service_env):
    from matcher.text import QUERY_WINDOW_CHARS

    _, client, _ = service_env
    long_text = ("ผักตบชวาอุดตันคลอง น้ำท่วมชุมชน " * 400)[:9000]
    assert len(long_text) > QUERY_WINDOW_CHARS
    body = client.post("/v1/search", json={"text": long_text}).json()
    assert body["query_cut"] is True and body["data"]
    assert client.post("/v1/search", json={"text": "น้ำท่วม"}).json()["query_cut"] is False
    _assert_names(client.post("/v1/search", json={"text": "ก" * 10_001}), "text")


def test_etag_and_if_match_make_writes_conditional(service_env, small_records):
    _, client, keys = service_env
    cid = small_records[0][0].id
    headers = auth(keys["ag-env"])
    read = client.get(f"/v1/challenges/{cid}", headers=headers)
    etag = read.headers["ETag"]
    assert etag == f'"{read.json()["version"]}"'
    first = client.patch(f"/v1/challenges/{cid}", json={"budget_max_thb": 5000.0}, headers={**headers, "If-Match": etag})
    assert first.status_code == 200 and first.headers["ETag"] != etag
    stale = client.patch(f"/v1/challenges/{cid}", json={"budget_max_thb": 1.0}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412 and stale.json()["error"]["field"] == "If-Match"
    assert client.get(f"/v1/challenges/{cid}").json()["budget_max_thb"] == 5000.0
    assert client.patch(f"/v1/challenges/{cid}", json={"budget_max_thb": 2.0},
                        headers={**headers, "If-Match": "garbage"}).status_code == 412


def test_a_deleted_id_is_never_reused_and_takes_no_history(service_env, small_records):
    _, client, keys = service_env
    profile = {**small_records[1][0].model_dump(mode="json"), "id": "in-tombstone"}
    created = client.post("/v1/innovators", json=profile)
    assert created.status_code == 201
    key = auth(created.json()["api_key"])
    cid = small_records[0][0].id
    assert client.post(f"/v1/challenges/{cid}/feedback", json={"innovator_id": "in-tombstone", "decision": "accept"},
                       headers=auth(keys["ag-env"])).status_code == 201
    stale = client.delete("/v1/innovators/in-tombstone", headers={**key, "If-Match": '"999"'})
    assert stale.status_code == 412
    assert client.delete("/v1/innovators/in-tombstone", headers=key).status_code == 204
    again = client.post("/v1/innovators", json=profile)
    assert again.status_code == 409 and again.json()["error"]["field"] == "id"


def test_a_hidden_id_answers_like_any_taken_id(service_env):
    _, client, keys = service_env
    secret = {**PAIN, "id": "ch-hidden-1", "confidential": True}
    assert client.post("/v1/challenges", json=secret, headers=auth(keys["ag-env"])).status_code == 201
    visible = client.post("/v1/challenges", json={**PAIN, "id": "ch-visible-1"}, headers=auth(keys["ag-env"]))
    assert visible.status_code == 201
    hidden = client.post("/v1/challenges", json={**PAIN, "id": "ch-hidden-1"}, headers=auth(keys["ag-traffic"]))
    taken = client.post("/v1/challenges", json={**PAIN, "id": "ch-visible-1"}, headers=auth(keys["ag-traffic"]))
    assert hidden.status_code == taken.status_code == 409
    assert hidden.json()["error"]["message"].replace("hidden", "visible") == taken.json()["error"]["message"]
    assert "exists" not in hidden.json()["error"]["message"]
