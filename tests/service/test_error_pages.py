"""Every error is an HTML page in the person's language for a browser, and the documented JSON
error for an API client: unknown pages, wrong methods, permissions, bad input, server errors."""

from __future__ import annotations

import pytest

from tests.service.conftest import auth

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
API = {"accept": "application/json"}


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/no-such-page", 404), ("GET", "/challenges/no-such-challenge", 404),
    ("GET", "/innovators/no-such-innovator", 404), ("PUT", "/", 405), ("GET", "/agency/challenges", 405),
    ("GET", "/invitations/not-a-token", 404),
])
def test_browsers_get_html_error_pages_in_their_language(service_env, method, path, status):
    _, client, _ = service_env
    for lang, word in (("th", "เกิดข้อผิดพลาด"), ("en", "Something went wrong")):
        response = client.request(method, f"{path}?lang={lang}", headers=BROWSER)
        assert response.status_code == status, (path, response.text[:300])
        assert response.headers["content-type"].startswith("text/html")
        assert word in response.text and f'<html lang="{lang}">' in response.text


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/v1/no-such-route", 404), ("GET", "/v1/challenges/no-such-challenge", 404), ("PUT", "/v1/health", 405),
    ("POST", "/v1/agencies", 401), ("GET", "/v1/challenges?status=bogus", 422),
])
def test_api_clients_get_json_errors_even_from_a_browser(service_env, method, path, status):
    _, client, _ = service_env
    for headers in (API, BROWSER):
        body = {"id": "ag-x", "name_th": "สำนักทดสอบ", "name_en": "Test"} if method == "POST" else None
        response = client.request(method, path, headers=headers, json=body)
        assert response.status_code == status, (path, response.text[:300])
        body = response.json()["error"]
        assert set(body) >= {"code", "message", "field", "errors"}


def test_a_page_route_answers_json_to_api_clients(service_env):
    _, client, _ = service_env
    response = client.get("/no-such-page", headers=API)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_forbidden_page_is_html_for_a_logged_in_person_of_the_wrong_role(service_env, small_records):
    _, client, keys = service_env
    # an agency API key is not a login: the agency page asks to log in, in Thai
    response = client.get("/agency?lang=th", headers={**BROWSER, **auth(keys["ag-env"])})
    assert response.status_code == 401 and "กรุณาเข้าสู่ระบบ" in response.text
