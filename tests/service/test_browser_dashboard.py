"""The admins' dashboard in a real headless Chromium against a real `matcher serve` process: an
administrator who opens /admin/dashboard is asked to log in and comes back to it, reaches it again
from the header, reads the funnel (bars drawn to scale, values written next to them) in English and
Thai, on a desktop and on a phone, and downloads the CSV. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from eval.processes import Server
from tests.service.conftest import ADMIN_KEY
from tests.service.test_browser import (ADMIN_LOGIN, ADMIN_PASSWORD, CHROMIUM, PHONE, browser,  # noqa: F401
                                        no_horizontal_scroll, person, shot)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory, small_records, cache_dir):
    """Two agencies with three challenges each, forty innovators, and a few steps between them:
    ag-env invites, shortlists and accepts one innovator; another shows interest. Yields the base
    address and how many challenges the matches API shows a strong or possible fit for."""
    data = tmp_path_factory.mktemp("browser-dashboard") / "data"
    data.mkdir(parents=True)
    (data / "cache").symlink_to(cache_dir, target_is_directory=True)  # reuse the session's embeddings
    server = Server(data, env={"MATCHER_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY, "MATCHER_RELEVANCE_FLOOR": "false",
                               "MATCHER_BOOTSTRAP_ADMIN_LOGIN": ADMIN_LOGIN,
                               "MATCHER_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD}).start()
    server.wait_ready()
    admin = {"X-API-Key": ADMIN_KEY}
    with httpx.Client(base_url=server.base, timeout=60) as http:
        keys = {}
        for agency, th, en in (("ag-env", "สำนักสิ่งแวดล้อม", "Environment Department"),
                               ("ag-traffic", "สำนักการจราจรและขนส่ง", "Traffic and Transport Department")):
            assert http.post("/v1/agencies", json={"id": agency, "name_th": th, "name_en": en}, headers=admin).status_code == 201
            keys[agency] = {"X-API-Key": http.post("/v1/keys", json={"role": "agency", "agency_id": agency},
                                                   headers=admin).json()["api_key"]}
        challenges, innovators = small_records
        for i, challenge in enumerate(challenges[:6]):
            body = {**challenge.model_dump(mode="json"), "agency_id": "ag-env" if i % 2 == 0 else "ag-traffic"}
            assert http.post("/v1/challenges", json=body, headers=admin).status_code == 201
        for innovator in innovators[:40]:
            response = http.post("/v1/innovators", json=innovator.model_dump(mode="json"))
            assert response.status_code == 201
            keys[innovator.id] = {"X-API-Key": response.json()["api_key"]}
        first, second = innovators[0].id, innovators[1].id
        url = f"/v1/challenges/{challenges[0].id}/engagements"
        for who, body in ((keys["ag-env"], {"innovator_id": first, "state": "invited"}),
                          (keys[first], {"state": "interested", "note": "เราทำระบบนี้มาแล้วที่เขตอื่น"}),
                          (keys["ag-env"], {"innovator_id": first, "state": "shortlisted"}),
                          (keys["ag-env"], {"innovator_id": first, "state": "accepted"}),
                          (keys[second], {"state": "interested", "note": "We can pilot in a month"})):
            assert http.post(url, json=body, headers=who).status_code == 201
        suggested = sum(any(h.get("band") in ("strong", "possible") for h in http.get(
            f"/v1/challenges/{c.id}/matches?k=10&include_weak=true", headers=admin).json()["data"]) for c in challenges[:6])
    yield server.base, suggested
    server.stop()


def _bar_widths(page, chart: str) -> dict[str, float]:
    return page.evaluate("""(id) => Object.fromEntries([...document.querySelectorAll(`#${id} g.bar`)].map(
        g => [g.querySelector('text.label').textContent, parseFloat(g.querySelector('rect').getAttribute('width'))]))""",
                         chart)


def test_dashboard_charts_in_both_languages_and_on_a_phone(browser, server):  # noqa: F811
    server, suggested = server
    admin = person(browser)
    admin.goto(f"{server}/admin/dashboard?lang=en")
    admin.wait_for_selector("#login-form")
    assert "This page is for administrators" in admin.inner_text("main")
    admin.fill("#login", ADMIN_LOGIN)
    admin.fill("#password", ADMIN_PASSWORD)
    admin.click("#login-button")
    admin.wait_for_selector("#chart-funnel")  # back on the dashboard after logging in
    assert admin.url.split("?")[0].endswith("/admin/dashboard")

    admin.goto(f"{server}/?lang=en")
    admin.click("#nav-dashboard")
    admin.wait_for_selector("#chart-funnel")
    funnel = admin.inner_text("#chart-funnel")
    values = admin.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#chart-funnel g.bar')].map(
        g => [g.querySelector('text.label').textContent, g.querySelector('text.value').textContent]))""")
    assert values == {"Posted": "6", "Suggested": str(suggested), "Contacted": "2", "Shortlisted": "1", "Accepted": "1"}
    assert "Posted" in funnel and "6" in funnel  # the values are visible text, not only attributes
    widths = _bar_widths(admin, "chart-funnel")
    assert widths["Posted"] > widths["Contacted"] > widths["Accepted"] > 0  # drawn to scale
    assert widths["Shortlisted"] == widths["Accepted"]
    env_row = admin.locator('#funnel-table tr[data-agency="ag-env"]')
    assert env_row.locator("th").inner_text() == "Environment Department"
    assert [env_row.locator(f'td[data-stage="{s}"]').inner_text() for s in ("posted", "contacted", "shortlisted", "accepted")] \
        == ["3", "2", "1", "1"]
    interest = admin.inner_text("#chart-first-interest")
    assert "Environment Department" in interest and "(n=1)" in interest
    assert admin.locator("#chart-first-interest g.bar").count() == 1  # none in ag-traffic's challenges yet
    assert admin.locator("#chart-challenges-theme g.bar").count() >= 1
    shot(admin, "dashboard-en")

    admin.goto(f"{server}/admin/dashboard?lang=th")
    admin.wait_for_selector("#chart-funnel")
    assert "โพสต์" in admin.inner_text("#chart-funnel") and "สำนักสิ่งแวดล้อม" in admin.inner_text("#funnel-table")
    assert "วัน (n=1)" in admin.inner_text("#chart-first-interest")
    shot(admin, "dashboard-th")

    download = admin.request.get(f"{server}/admin/dashboard.csv")
    assert download.status == 200 and download.body().startswith("\ufeffsection,group,key".encode("utf-8"))
    assert "สำนักสิ่งแวดล้อม" in download.body().decode("utf-8")

    phone = person(browser, PHONE)
    phone.goto(f"{server}/login?lang=en")
    phone.fill("#login", ADMIN_LOGIN)
    phone.fill("#password", ADMIN_PASSWORD)
    phone.click("#login-button")
    phone.wait_for_url("**/admin")
    phone.goto(f"{server}/admin/dashboard?lang=en")
    phone.wait_for_selector("#chart-funnel")
    assert no_horizontal_scroll(phone)
    shot(phone, "dashboard-phone")
