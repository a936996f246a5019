"""Notifications through the real app (real index, real encoders, SQLite): the alert scan announces
saved-search matches and new suggestions once; the inbox API and page show a person's own
notifications in both languages and mark them read."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from service import notify
from service.db import Notification, OutboxMessage, User
from service.notify_alerts import scan
from tests.service.conftest import ADMIN_KEY, auth, make_settings, wait_ready

PASSWORD = "password-for-tests"


@pytest.fixture(scope="module")
def flow(tmp_path_factory, cache_dir, small_records):
    """(app, client, keys, people): two challenges of ag-env, six innovators, a staff account
    and an innovator account (e-mail logins)."""
    from fastapi.testclient import TestClient

    from service.accounts import hash_password
    from service.app import create_app

    settings = make_settings(tmp_path_factory.mktemp("notify-flow") / "data", cache_dir)
    app = create_app(settings)
    client = TestClient(app)
    client.__enter__()
    wait_ready(client)
    admin = auth(ADMIN_KEY)
    assert client.post("/v1/agencies", json={"id": "ag-env", "name_th": "สำนักสิ่งแวดล้อม", "name_en": "Environment Dept"},
                       headers=admin).status_code == 201
    keys = {"ag-env": client.post("/v1/keys", json={"role": "agency", "agency_id": "ag-env"},
                                  headers=admin).json()["api_key"]}
    challenges, innovators = small_records
    for challenge in challenges[:2]:
        body = {**challenge.model_dump(mode="json"), "agency_id": "ag-env"}
        assert client.post("/v1/challenges", json=body, headers=admin).status_code == 201
    for innovator in innovators[:6]:
        response = client.post("/v1/innovators", json=innovator.model_dump(mode="json"))
        assert response.status_code == 201, response.text
        keys[innovator.id] = response.json()["api_key"]
    digest = hash_password(PASSWORD)
    with app.state.sessions.write() as session:
        staff = User(login="staff@env.example", display_name="คุณสมศรี", password_hash=digest, role="agency",
                     agency_id="ag-env")
        founder = User(login="lab@inno.example", display_name="คุณวิทย์", password_hash=digest, role="innovator",
                       innovator_id=innovators[0].id)
        session.add_all([staff, founder])
        session.flush()
        people = {"staff": staff.id, "founder": founder.id}
    yield app, client, keys, people
    client.__exit__(None, None, None)


def _notes(app, kind: str) -> list[Notification]:
    with app.state.sessions() as session:
        return list(session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))


def test_the_scan_announces_new_matches_and_new_fits_once(flow, small_records):
    app, client, keys, people = flow
    challenges, innovators = small_records
    sessions, index = app.state.sessions, app.state.index
    searcher = innovators[0]
    saved = client.post(f"/v1/innovators/{searcher.id}/saved-searches", json={"text": challenges[2].title},
                        headers=auth(keys[searcher.id]))
    assert saved.status_code == 201, saved.text
    first = scan(sessions, index, "weak")
    assert (first.challenges, first.first_seen, first.notifications) == (2, 2, 0)  # first look: only noted
    newcomer = innovators[6]
    assert client.post("/v1/innovators", json=newcomer.model_dump(mode="json")).status_code == 201
    posted = {**challenges[2].model_dump(mode="json"), "agency_id": "ag-env"}
    assert client.post("/v1/challenges", json=posted, headers=auth(ADMIN_KEY)).status_code == 201
    second = scan(sessions, index, "weak")
    saved_notes, fit_notes = _notes(app, "saved_search"), _notes(app, "new_suggestion")
    assert [(n.user_id, n.challenge_id) for n in saved_notes] == [(people["founder"], challenges[2].id)]
    assert saved_notes[0].params["search"] == challenges[2].title
    # The newcomer rose into the top suggestions of both old challenges: the staff hears it once each.
    assert sorted((n.user_id, n.challenge_id, n.innovator_id) for n in fit_notes) == \
        sorted((people["staff"], c.id, newcomer.id) for c in challenges[:2])
    assert second.notifications == len(saved_notes) + len(fit_notes) and second.first_seen == 1
    with sessions() as session:
        addresses = sorted(session.scalars(select(OutboxMessage.address)
                                           .where(OutboxMessage.notification_id.in_([n.id for n in saved_notes + fit_notes]))))
    assert addresses == sorted(["lab@inno.example"] + ["staff@env.example"] * 2)
    third = scan(sessions, index, "weak")
    assert third.notifications == 0 and len(_notes(app, "saved_search") + _notes(app, "new_suggestion")) == 3


def _login(app, login: str):
    from fastapi.testclient import TestClient

    client = TestClient(app)  # its own cookies; the app (and its lifespan) is the module's
    client.get("/login")
    response = client.post("/login", data={"login": login, "password": PASSWORD, "csrf": client.cookies["bic_csrf"]},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def test_the_inbox_shows_a_persons_own_notifications_and_marks_them_read(flow, small_records):
    app, client, keys, people = flow
    challenges, innovators = small_records
    invited = client.post(f"/v1/challenges/{challenges[0].id}/engagements",
                          json={"innovator_id": innovators[0].id, "state": "invited", "note": "ขอเชิญนำเสนอ"},
                          headers=auth(keys["ag-env"]))
    assert invited.status_code == 201, invited.text
    founder = _login(app, "lab@inno.example")
    inbox = founder.get("/v1/notifications", params={"unread": True}).json()
    mine = [n for n in inbox["data"] if n["kind"] == "invited"]
    assert len(mine) == 1 and inbox["unread"] >= 1
    note = mine[0]
    assert note["texts"]["th"]["subject"].startswith("สำนักสิ่งแวดล้อม เชิญคุณร่วมแก้โจทย์")
    assert note["texts"]["en"]["subject"].startswith("Environment Dept invites you to the challenge")
    assert note["link"] == f"/challenges/{challenges[0].id}" and note["read_at"] is None
    page = founder.get("/inbox?lang=th")
    assert page.status_code == 200 and str(escape(note["texts"]["th"]["subject"])) in page.text
    assert re.search(r'id="unread-count"[^>]*>\s*' + str(inbox["unread"]) + r"\s*<", page.text)
    # A write with the login cookie needs the CSRF header; another person cannot touch it; keys have no inbox.
    assert founder.post(f"/v1/notifications/{note['id']}/read").status_code == 403
    csrf = {"X-CSRF-Token": founder.cookies["bic_csrf"]}
    staff = _login(app, "staff@env.example")
    assert staff.post(f"/v1/notifications/{note['id']}/read",
                      headers={"X-CSRF-Token": staff.cookies["bic_csrf"]}).status_code == 404
    assert client.get("/v1/notifications", headers=auth(keys[innovators[0].id])).status_code == 403
    assert client.get("/v1/notifications").status_code == 401
    read = founder.post(f"/v1/notifications/{note['id']}/read", headers=csrf)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    again = founder.post(f"/v1/notifications/{note['id']}/read", headers=csrf).json()
    assert again["read_at"] == read.json()["read_at"]  # the first reading time is kept
    assert founder.get("/v1/notifications").json()["unread"] == inbox["unread"] - 1
    # The page's "mark all as read" form.
    founder.get("/inbox")
    done = founder.post("/inbox/read-all", data={"csrf": founder.cookies["bic_csrf"]}, follow_redirects=False)
    assert done.status_code == 303
    assert founder.get("/v1/notifications").json()["unread"] == 0
    assert 'id="unread-count"' not in founder.get("/inbox?lang=en").text
    with app.state.sessions() as session:
        assert notify.unread_count(session, people["founder"]) == 0
