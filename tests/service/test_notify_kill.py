"""kill -9 of the real sender process (`python -m service.cli_notify send`) while it delivers to a
real SMTP server, three times: every message arrives, every row is marked sent, and a message can
arrive twice only if it was the one in flight when its sender was killed (the crash window between
the server's acceptance and the commit; same Message-ID, same bytes). `matcher notify-fault-test
--runs 20` is the long version and prints the figures."""

from __future__ import annotations

import pytest

from eval.notify_fault import kill_runs

pytest.importorskip("aiosmtpd")


def test_kill_9_three_senders_while_sending_nothing_is_lost(tmp_path):
    figures = kill_runs(tmp_path, runs=3, messages=150, seed=7)
    summary = "\n".join(figures.lines())
    assert figures.runs == 3 and figures.kills_while_sending == 3, summary
    assert figures.lost == 0 and figures.unexpected == 0, summary
    assert figures.distinct_received == figures.messages == figures.marked_sent == 150, summary
    assert figures.duplicates <= figures.kills_while_sending, summary  # at most the message in flight per kill
    assert figures.duplicates_not_in_flight == 0 and figures.duplicate_copies_differ == 0, summary
    assert figures.resent_after_kill >= figures.duplicates, summary
