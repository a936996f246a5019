"""Write races against a real server (issue #12): two PATCHes of one challenge, PATCH against
DELETE of one innovator; 100 rounds of each on SQLite, and on PostgreSQL when CI provides it.
`matcher races --rounds 200` runs the long version (README)."""

from __future__ import annotations

import os

import pytest

from eval.processes import Server
from eval.races import run_races
from tests.service.conftest import ADMIN_KEY, _database_url

ADMIN = {"X-API-Key": ADMIN_KEY}
ENV = {"MATCHER_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY, "MATCHER_RELEVANCE_FLOOR": "false"}
BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("MATCHER_TEST_POSTGRES_URL") else [])


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_lost_update_no_index_drift_no_5xx(tmp_path, backend):
    url = _database_url("postgres", tmp_path) if backend == "postgres" else None
    server = Server(tmp_path / "data", database_url=url, env=ENV).start()
    try:
        server.wait_ready()
        reports = run_races(server.base, ADMIN, rounds=100, text_every=10)
    finally:
        server.stop()
    for report in reports:
        assert report.rounds == 100
        assert (report.lost_updates, report.index_drift, report.server_errors) == (0, 0, 0), report.as_dict()
    if_match = reports[1].statuses
    assert if_match[412] == 100 and if_match[200] >= 100  # one winner and one 412 per round
