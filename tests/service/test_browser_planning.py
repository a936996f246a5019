"""Planning pages in a real headless Chromium: an administrator uploads real Traffy complaints (with a
broken line, reported by line number), reviews a draft challenge, edits and posts it (the challenge
shows its evidence), then reads the coverage-gap map. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from eval.processes import Server
from tests.service.conftest import ADMIN_KEY
from tests.service.test_browser import (ADMIN_LOGIN, ADMIN_PASSWORD, CHROMIUM, browser, log_in,  # noqa: F401
                                        no_horizontal_scroll, person, shot)
from tests.test_complaints import needs_traffy, traffy_lines

pytestmark = [pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"), needs_traffy]


@pytest.fixture(scope="module")
def server(tmp_path_factory, small_records, cache_dir):
    data = tmp_path_factory.mktemp("browser-planning") / "data"
    data.mkdir(parents=True)
    (data / "cache").symlink_to(cache_dir, target_is_directory=True)  # reuse the session's embeddings
    server = Server(data, env={"MATCHER_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY, "MATCHER_RELEVANCE_FLOOR": "false",
                               "MATCHER_BOOTSTRAP_ADMIN_LOGIN": ADMIN_LOGIN,
                               "MATCHER_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD}).start()
    server.wait_ready()
    with httpx.Client(base_url=server.base, timeout=60) as http:
        for innovator in small_records[1][:20]:
            assert http.post("/v1/innovators", json=innovator.model_dump(mode="json")).status_code == 201
    yield server.base
    server.stop()


def test_upload_review_post_and_gap_map(browser, server, tmp_path):  # noqa: F811
    upload = tmp_path / "traffy.jsonl"
    lines = traffy_lines()
    upload.write_text("\n".join(lines[:5] + ["{not json"] + lines[5:]) + "\n", encoding="utf-8")
    admin = person(browser)
    log_in(admin, server, ADMIN_LOGIN, ADMIN_PASSWORD, lang="en")
    admin.goto(f"{server}/planning/complaints?lang=en")
    admin.set_input_files("#file", str(upload))
    admin.click("#import-button")
    admin.wait_for_selector("#import-report")
    assert "150 added" in admin.inner_text("#import-report")
    assert "6" in admin.inner_text("#import-errors") and "not valid JSON" in admin.inner_text("#import-errors")
    shot(admin, "planning-import-report")

    # the first drafts page after an import clusters the new complaints (both encoders): seconds on
    # an idle 2-core machine, more under load, so this one navigation gets a longer timeout
    admin.goto(f"{server}/planning/drafts?lang=th", timeout=120_000)
    admin.wait_for_selector("#drafts .draft")
    assert "อ้างอิงจากเรื่องร้องเรียนของประชาชน" in admin.inner_text("#drafts")
    shot(admin, "planning-drafts-th")
    admin.locator("#drafts .draft a.review").first.click()
    admin.wait_for_selector("#draft-form")
    examples = admin.locator("#draft-evidence .example")
    assert examples.count() >= 3
    original = admin.input_value("#title")
    assert original
    shot(admin, "planning-draft-review")
    admin.fill("#title", original[:120] + " (ตรวจแล้ว)")
    admin.click("#post-draft-button")
    admin.wait_for_url("**/challenges/**")
    assert "(ตรวจแล้ว)" in admin.inner_text("#challenge")
    admin.goto(admin.url.split("?")[0] + "?lang=en")
    assert "Based on" in admin.inner_text("#evidence") and "citizen complaints" in admin.inner_text("#evidence")
    shot(admin, "planning-posted-challenge")

    phone = person(browser, {"width": 390, "height": 844})
    log_in(phone, server, ADMIN_LOGIN, ADMIN_PASSWORD, lang="en")
    phone.goto(f"{server}/planning/gaps?lang=en")
    phone.wait_for_selector("#gap-heatmap td.cell")
    assert phone.locator("#ranked-gaps tbody tr").count() >= 1
    assert phone.locator("#sector-gaps tbody tr").count() == 9
    assert no_horizontal_scroll(phone)  # the wide table scrolls inside its box, not the page
    shot(phone, "planning-gap-map-phone")
    admin.goto(f"{server}/planning/gaps?lang=th")
    shot(admin, "planning-gap-map-th")
    png = admin.request.get(f"{server}/planning/gaps.png")
    assert png.status == 200 and png.body()[:4] == b"\x89PNG"
