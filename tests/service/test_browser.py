"""The web UI in a real headless Chromium (Debian's package, driven by Playwright) against a real
`matcher serve` process: every flow a person goes through, with screenshots of each page in
test-artifacts/screenshots/.

- an administrator creates an agency (Thai and English names) and invites a staff member;
- the staff member accepts the invitation, posts a pain point (a failed save keeps the input and
  marks the field), and sees suggestions with the matched solution, TRL, fit band, reason, contact;
- an innovator registers from the web page (errors first), finds the challenge, sees deadline,
  budget and agency, and presses "interested" with a proposal;
- the agency sees the interest next to the suggestions, invites, shortlists, accepts and undoes;
- every page switches language (also after a form post) and fits a phone (390 x 844) without
  horizontal scrolling; unknown pages are HTML error pages in the page's language.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx
import pytest

from eval.processes import Server
from tests.service.conftest import ADMIN_KEY

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ADMIN_LOGIN, ADMIN_PASSWORD = "root@bic.example", "admin-password-for-tests"
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def server(tmp_path_factory, small_records):
    data = tmp_path_factory.mktemp("browser") / "data"
    server = Server(data, env={"MATCHER_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY, "MATCHER_RELEVANCE_FLOOR": "false",
                               "MATCHER_BOOTSTRAP_ADMIN_LOGIN": ADMIN_LOGIN,
                               "MATCHER_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD}).start()
    server.wait_ready()
    with httpx.Client(base_url=server.base, timeout=60) as http:
        for innovator in small_records[1][:40]:
            assert http.post("/v1/innovators", json=innovator.model_dump(mode="json")).status_code == 201
    yield server.base
    server.stop()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def person(browser, viewport=None):
    """A fresh browser context (its own cookies): one person."""
    return browser.new_context(viewport=viewport or {"width": 1280, "height": 900}).new_page()


def log_in(page, server: str, login: str, password: str, lang: str = "th") -> None:
    page.goto(f"{server}/login?lang={lang}")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("#login-button")
    page.wait_for_load_state()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_two_sided_flow_from_invitation_to_accepted_and_undo(browser, server):
    # 1. The administrator creates an agency, with a mistake first (Thai error, input kept).
    admin = person(browser)
    log_in(admin, server, ADMIN_LOGIN, "wrong password!!")
    assert "รหัสผ่านไม่ถูกต้อง" in admin.inner_text("#form-errors")
    assert admin.input_value("#login") == ADMIN_LOGIN
    shot(admin, "login-error-th")
    log_in(admin, server, ADMIN_LOGIN, ADMIN_PASSWORD)
    admin.wait_for_url("**/admin")
    admin.fill("#id", "ag-flood")
    admin.fill("#name_en", "Drainage and Sewerage Department")
    admin.click("#create-agency")
    assert admin.locator("#error-name_th").is_visible()
    assert admin.input_value("#name_en") == "Drainage and Sewerage Department"
    assert "จำเป็นต้องกรอก" in admin.inner_text("#error-name_th") or "สั้นเกินไป" in admin.inner_text("#error-name_th")
    admin.fill("#name_th", "สำนักการระบายน้ำ")
    admin.click("#create-agency")
    admin.wait_for_selector("#agency-table >> text=สำนักการระบายน้ำ")
    admin.fill("#invite_login", "somchai@bma.example")
    admin.select_option("#invite_agency", "ag-flood")
    admin.click("#invite-button")
    link = admin.input_value("#invitation-link")
    assert "/invitations/" in link
    shot(admin, "admin-invitation")

    # 2. The staff member accepts the invitation and posts a pain point (an error first).
    staff = person(browser, PHONE)
    staff.goto(link)
    staff.fill("#display_name", "สมชาย ใจดี")
    staff.fill("#password", "short")
    staff.click("#create-account")
    assert staff.locator("#error-password").is_visible()
    assert staff.input_value("#display_name") == "สมชาย ใจดี"
    staff.fill("#password", "a-long-enough-password")
    staff.click("#create-account")
    staff.wait_for_url("**/agency")
    assert "สำนักการระบายน้ำ" in staff.inner_text("#posting-as")  # the agency is the account's, not a field
    staff.fill("#title", "ท่อระบายน้ำอุดตัน น้ำท่วมขังหน้าโรงเรียน")
    description = ("ฝนตกทีไรน้ำท่วมขังหน้าโรงเรียนนานหลายชั่วโมง ท่อระบายน้ำอุดตันด้วยขยะและไขมัน "
                   "ต้องการระบบแจ้งเตือนระดับน้ำและวิธีตรวจท่อที่ไม่ต้องขุดถนน")
    staff.fill("#description", description)
    staff.select_option("#themes", ["flooding_drainage"])
    staff.fill("#deadline", "2027-03-31")
    staff.fill("#budget_min_thb", "500000")
    staff.fill("#budget_max_thb", "-5")
    staff.click("#save-button")
    assert staff.locator("#error-budget_max_thb").is_visible()
    assert staff.input_value("#title") == "ท่อระบายน้ำอุดตัน น้ำท่วมขังหน้าโรงเรียน"
    assert staff.input_value("#description") == description
    shot(staff, "agency-form-error-phone")
    assert no_horizontal_scroll(staff)
    staff.click("#similar-button")
    staff.wait_for_selector("#similar")
    staff.click("#lang-en")  # after a form post: the language switch must not re-post (was HTTP 405)
    assert "Post a pain point" in staff.content() and "405" not in staff.inner_text("main")
    staff.click("#lang-th")
    staff.fill("#title", "ท่อระบายน้ำอุดตัน น้ำท่วมขังหน้าโรงเรียน")
    staff.fill("#description", description)
    staff.select_option("#themes", ["flooding_drainage"])
    staff.fill("#deadline", "2027-03-31")
    staff.fill("#budget_min_thb", "500000")
    staff.fill("#budget_max_thb", "2000000")
    staff.click("#save-button")
    staff.wait_for_selector("#suggestions .suggestion")
    challenge_url = staff.url.split("#")[0]
    cards = staff.locator("#suggestions .suggestion")
    assert cards.count() >= 5
    first = cards.first
    assert first.locator(".solution strong").inner_text().strip()  # the matched solution's title
    assert re.search(r"TRL \d", first.locator(".solution").inner_text())
    assert first.locator(".reason").inner_text().strip()
    assert "5.91" not in first.inner_text() and not re.search(r"\b\d+\.\d{2,}\b", first.inner_text())  # no raw score
    assert "฿500,000 – ฿2,000,000" in staff.inner_text("#challenge-budget")
    shot(staff, "challenge-suggestions-phone")
    assert no_horizontal_scroll(staff)
    invited = first.get_attribute("data-innovator")
    first.locator("button[value=invited]").click()
    staff.wait_for_selector(f"#s-{invited} .state-invited")

    # 3. An innovator registers from the web page (errors first) and shows interest.
    innovator = person(browser)
    innovator.goto(f"{server}/register?lang=th")
    innovator.fill("#login", "founder@floodtech.example")
    innovator.fill("#display_name", "Napat")
    innovator.fill("#password", "founder-password-1")
    innovator.fill("#name", "FloodSense Co.")
    innovator.select_option("#kind", "startup")
    innovator.fill("#description", "IoT water-level sensors for sois and schools, with LINE alerts to residents.")
    innovator.fill("#solution_title_1", "Water-level sensor with LINE alert")
    innovator.fill("#solution_description_1", "Ultrasonic sensors on drain covers; alerts when water rises.")
    innovator.check("input[name=languages][value=en]")
    innovator.fill("#contact_email", "not-an-email")
    innovator.click("#register-button")
    assert innovator.locator("#error-solution_trl_1").is_visible()  # every wrong field is marked at once
    assert innovator.locator("#error-contact_email").is_visible()
    assert innovator.input_value("#name") == "FloodSense Co."
    shot(innovator, "register-errors-th")
    innovator.fill("#password", "founder-password-1")
    innovator.select_option("#solution_trl_1", "6")
    innovator.fill("#contact_email", "hello@floodtech.example")
    innovator.click("#register-button")
    innovator.wait_for_url("**/innovator")
    innovator_id = innovator.get_attribute("main a[href^='/innovators/']", "href").rsplit("/", 1)[1]
    innovator.goto(challenge_url + "?lang=en")
    assert "31 March 2027" in innovator.inner_text("#challenge-deadline")
    assert "Drainage and Sewerage Department" in innovator.inner_text("#challenge-agency")
    innovator.click("#interested-button")  # no proposal yet: refused, explained
    assert innovator.locator("#error-note").is_visible()
    innovator.fill("#note", "We can install 10 sensors around the school within a month.")
    innovator.click("#interested-button")
    innovator.wait_for_selector("#my-state")
    assert "Interested" in innovator.inner_text("#my-state")
    shot(innovator, "challenge-interested-en")

    # 4. The agency sees the interest, shortlists, accepts, undoes.
    staff.goto(challenge_url)
    interest = staff.locator(f"#interests .interest[data-innovator='{innovator_id}']")
    assert "10 sensors" in interest.inner_text()
    interest.locator("button[value=shortlisted]").click()
    staff.wait_for_selector(f"#interests .interest[data-innovator='{innovator_id}'] .state-shortlisted")
    staff.locator(f"#interests .interest[data-innovator='{innovator_id}'] button[value=accepted]").click()
    staff.wait_for_selector(f"#interests .interest[data-innovator='{innovator_id}'] .state-accepted")
    staff.locator(f"#interests .interest[data-innovator='{innovator_id}'] button.undo").click()
    staff.wait_for_selector(f"#interests .interest[data-innovator='{innovator_id}'] .state-shortlisted")
    history = staff.inner_text("#history")
    assert "สมชาย ใจดี" in history and "Napat" in history  # names, not ids or actor strings
    assert re.search(r"\d{1,2} \S+ 25\d\d \d\d:\d\d", history)  # Thai local date, Buddhist year
    assert "ยกเลิกแล้ว" in history
    shot(staff, "challenge-decisions-phone")
    innovator.goto(f"{server}/innovator?lang=en")
    assert "Shortlisted" in innovator.inner_text("#my-engagements")
    for page in (admin, staff, innovator):
        page.context.close()


PAGES = ["/", "/innovators", "/login", "/register"]


def test_every_page_switches_language_and_fits_a_phone(browser, server, small_records):
    page = person(browser, PHONE)
    pages = PAGES + [f"/innovators/{small_records[1][0].id}", "/nowhere"]
    for path in pages:
        for lang, marker in (("th", "ศูนย์นวัตกรรม"), ("en", "Bangkok Innovation Center")):
            page.goto(f"{server}{path}")
            page.click(f"#lang-{lang}")
            page.wait_for_load_state()
            assert page.evaluate("document.documentElement.lang") == lang, path
            assert marker in page.inner_text("header"), path
            assert not page.inner_text("body").lstrip().startswith("{"), path  # never raw JSON
            assert no_horizontal_scroll(page), path
        shot(page, "phone-en" + (path.replace("/", "-") if path != "/" else "-home"))
    page.goto(f"{server}/nowhere?lang=th")
    assert "ไม่พบ" in page.inner_text("#error-message")
    page.context.close()


def test_home_lists_count_filter_and_page_in_the_database(browser, server):
    page = person(browser)
    page.goto(f"{server}/innovators?lang=en")
    assert re.search(r"Showing 1–20 of \d+", page.inner_text("#list-count"))
    page.click("#next-page")
    assert re.search(r"Showing 21–\d+ of \d+", page.inner_text("#list-count"))
    page.select_option("#kind", "startup")
    page.click("#filter-button")
    kinds = page.locator("#innovator-list .innovator-card .tag").all_inner_texts()
    assert kinds and set(kinds) == {"Startup"}
    shot(page, "innovators-filtered-en")
    page.goto(f"{server}/?lang=th")
    assert "โจทย์ที่เปิดรับ" in page.inner_text("#counts")
    page.context.close()
