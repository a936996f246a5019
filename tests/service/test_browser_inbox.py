"""The in-app inbox in a real headless Chromium against a real `matcher serve` process: an innovator
presses "interested" on a challenge page, the agency's staff member sees the unread count in the
nav bar, opens the inbox (Thai, then English), marks it read and the count goes. Screenshots in
test-artifacts/screenshots/inbox-*.png."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from eval.processes import Server
from tests.service.conftest import ADMIN_KEY
from tests.service.test_browser import ARGS, CHROMIUM, PHONE, log_in, no_horizontal_scroll, person, shot

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (.ci/run installs it)")
PASSWORD = "password-for-tests"
STAFF, FOUNDER = "staff@drain.example", "founder@floodlab.example"


@pytest.fixture(scope="module")
def site(tmp_path_factory, small_records):
    """(base URL, challenge id): a server with one agency, one challenge and one innovator, and an
    account on each side (written straight into the server's database)."""
    from service.accounts import hash_password
    from service.changes import Sessions
    from service.db import User, make_engine

    data = tmp_path_factory.mktemp("browser-inbox") / "data"
    server = Server(data, env={"MATCHER_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY, "MATCHER_RELEVANCE_FLOOR": "false"}).start()
    server.wait_ready()
    challenge, innovator = small_records[0][0], small_records[1][0]
    admin = {"X-API-Key": ADMIN_KEY}
    with httpx.Client(base_url=server.base, timeout=60) as http:
        assert http.post("/v1/agencies", json={"id": "ag-drain", "name_th": "สำนักการระบายน้ำ",
                                               "name_en": "Drainage and Sewerage Department"}, headers=admin).status_code == 201
        body = {**challenge.model_dump(mode="json"), "agency_id": "ag-drain"}
        assert http.post("/v1/challenges", json=body, headers=admin).status_code == 201
        assert http.post("/v1/innovators", json=innovator.model_dump(mode="json")).status_code == 201
    engine = make_engine(f"sqlite:///{data / 'matcher.sqlite3'}")
    digest = hash_password(PASSWORD)
    with Sessions.for_engine(engine).write() as session:
        session.add_all([User(login=STAFF, display_name="คุณสมศรี", password_hash=digest, role="agency",
                              agency_id="ag-drain"),
                         User(login=FOUNDER, display_name="คุณวิทย์", password_hash=digest, role="innovator",
                              innovator_id=innovator.id)])
    engine.dispose()
    yield server.base, challenge.id
    server.stop()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def test_an_interest_reaches_the_agency_inbox(browser, site):
    base, challenge_id = site
    founder = person(browser)
    log_in(founder, base, FOUNDER, PASSWORD)
    founder.goto(f"{base}/challenges/{challenge_id}")
    founder.fill("#note", "เสนอเซนเซอร์วัดระดับน้ำ 40 จุด พร้อมแจ้งเตือนทาง LINE")
    founder.click("#interested-button")
    founder.wait_for_selector("#my-state")
    assert founder.locator("#unread-count").count() == 0  # the innovator is not told about its own step

    staff = person(browser)
    log_in(staff, base, STAFF, PASSWORD)
    assert staff.inner_text("#unread-count").strip() == "1"
    staff.click("#nav-inbox")
    staff.wait_for_url("**/inbox")
    card = staff.locator(".notification").first
    subject = card.locator(".subject").inner_text()
    assert "สนใจโจทย์" in subject and "เสนอเซนเซอร์วัดระดับน้ำ 40 จุด" in card.locator(".body").inner_text()
    assert card.locator(".tag").inner_text() == "ใหม่"
    shot(staff, "inbox-th")
    card.locator("button").click()
    staff.wait_for_load_state()
    assert staff.locator("#unread-count").count() == 0 and staff.locator(".notification.unread").count() == 0
    staff.click("#lang-en")
    staff.wait_for_load_state()
    assert "is interested in" in staff.locator(".notification .subject").first.inner_text()
    assert "Read " in staff.locator(".notification .why").first.inner_text()
    shot(staff, "inbox-en")
    staff.locator(".notification a").first.click()
    staff.wait_for_url(f"**/challenges/{challenge_id}**")

    phone = person(browser, PHONE)
    log_in(phone, base, STAFF, PASSWORD, lang="th")
    phone.goto(f"{base}/inbox")
    assert no_horizontal_scroll(phone)
    shot(phone, "inbox-phone")
