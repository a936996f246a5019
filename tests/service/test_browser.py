"""The web UI in a real headless Chromium (Debian's package, driven by Playwright).

An agency logs in, posts a Thai pain point through the form, sees suggested innovators with
reasons, accepts one and sees the decision recorded. Screenshots of each page go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.service.conftest import ADMIN_KEY
from tests.service.test_e2e import server  # noqa: F401  (the real uvicorn fixture)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def agency_key(server, small_records):  # noqa: F811
    import httpx

    admin = {"X-API-Key": ADMIN_KEY}
    with httpx.Client(base_url=server, timeout=60) as http:
        http.post("/v1/agencies", json={"id": "ag-web", "name_th": "สำนักการระบายน้ำ", "name_en": "Drainage"}, headers=admin)
        for innovator in small_records[1][15:40]:
            http.post("/v1/innovators", json=innovator.model_dump(mode="json"))
        return http.post("/v1/keys", json={"role": "agency", "agency_id": "ag-web"}, headers=admin).json()["api_key"]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_agency_posts_thai_pain_point_and_accepts_a_suggestion(browser, server, agency_key):  # noqa: F811
    page = browser.new_page(viewport={"width": 412, "height": 915})  # a phone
    page.goto(f"{server}/?lang=th")
    assert "ศูนย์นวัตกรรม" in page.content()
    shot(page, "home-th")
    page.goto(f"{server}/login")
    shot(page, "login")
    page.fill("#api_key", agency_key)
    page.click("#login-button")
    page.wait_for_url("**/agency")
    shot(page, "agency-form")
    page.fill("#title", "ท่อระบายน้ำอุดตัน น้ำท่วมขังหน้าโรงเรียน")
    page.fill("#description", "ฝนตกทีไรน้ำท่วมขังหน้าโรงเรียนนานหลายชั่วโมง ท่อระบายน้ำอุดตันด้วยขยะและไขมัน "
                              "ต้องการระบบแจ้งเตือนและวิธีตรวจท่อที่ไม่ต้องขุดถนน")
    page.select_option("#themes", ["flooding_drainage"])
    page.click("#similar-button")
    page.wait_for_selector("#similar")
    shot(page, "agency-similar")
    page.click("#save-button")
    page.wait_for_selector("#suggestions .suggestion")
    rows = page.locator("#suggestions .suggestion")
    assert rows.count() >= 5
    assert page.locator("#suggestions .why").first.inner_text().strip()  # reasons are shown
    shot(page, "challenge-suggestions")
    first = rows.first
    innovator_id = first.get_attribute("data-innovator")
    first.locator("button[value=accept]").click()
    page.wait_for_selector(f"#suggestions .suggestion[data-innovator='{innovator_id}'] .decision")
    assert innovator_id in page.locator("#feedback").inner_text()
    shot(page, "challenge-accepted")
    page.goto(page.url.split("?")[0] + "?lang=en")
    assert "Suggested innovators" in page.content()
    shot(page, "challenge-en")
    page.close()


def test_innovator_page_shows_matches_and_search(browser, server, small_records):  # noqa: F811
    import httpx

    innovator = small_records[1][45].model_dump(mode="json")
    key = httpx.post(f"{server}/v1/innovators", json=innovator, timeout=60).json()["api_key"]
    page = browser.new_page()
    page.goto(f"{server}/login?lang=en")
    page.fill("#api_key", key)
    page.click("#login-button")
    page.wait_for_url("**/innovator")
    assert page.locator("#matches .card").count() >= 1
    page.fill("#q", "น้ำท่วม")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    shot(page, "innovator")
    page.close()
