"""Schema fuzzing with schemathesis against a real server, anonymous and with an admin key, fixed
seed: no 5xx, every response as documented, every status documented (eval.fuzz; the long run is
`python -m eval.fuzz --cases 20000`)."""

from __future__ import annotations

import pytest

pytest.importorskip("schemathesis", reason="schemathesis is in the test extra: pip install -e '.[test]'")

from eval.fuzz import run_fuzz  # noqa: E402


def test_schema_fuzzing_finds_no_server_error_and_no_schema_violation(tmp_path):
    # 2 cases per operation and pass (~30 s of fuzzing); one worker, so the fixed seed gives the same cases
    result = run_fuzz(tmp_path, cases=144, seed=42, workers=1, deterministic=True)
    consoles = "\n".join(path.read_text(encoding="utf-8")[-6000:] for path in result.reports if not result.ok())
    assert result.ok(), "\n".join(result.lines()) + "\n" + consoles
    assert result.cases["anonymous"] > 36 and result.cases["admin"] > 36  # every operation was really exercised
