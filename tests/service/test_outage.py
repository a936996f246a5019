"""A PostgreSQL outage under traffic: every request is answered (2xx or 503 with Retry-After), no
acknowledged write is lost, and the service recovers by itself (eval.outage; the 10 s version is
`python -m eval.outage`)."""

from __future__ import annotations

import pytest

from eval.outage import run_outage
from eval.private_postgres import unavailable_reason


@pytest.mark.skipif(unavailable_reason() is not None, reason=f"no private PostgreSQL: {unavailable_reason()}")
def test_postgres_outage_answers_every_request_and_loses_no_acknowledged_write(tmp_path):
    result = run_outage(tmp_path, down_seconds=3, before=1.5, after=1.5)
    report = "\n".join(result.lines())
    assert result.requests["no answer"] == 0 and result.requests["other"] == 0, report
    assert result.during_outage["503"] > 0, report  # the traffic really met the outage
    assert result.writes_acknowledged > 0 and result.writes_lost == 0, report
    assert result.recovery_seconds is not None and result.index_consistent, report
    assert not result.problems, report
