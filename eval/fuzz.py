"""`python -m eval.fuzz` / `matcher fuzz`: schema fuzzing of the API with schemathesis.

A real `matcher serve` (SQLite in a temp dir, a few seeded records so that ids exist) is fuzzed
over its own OpenAPI document twice, anonymously and with an admin key, with a fixed seed. Three
checks: no 5xx (`not_a_server_error`), every response matches its documented schema
(`response_schema_conformance`) and every status is documented for its route
(`status_code_conformance`). schemathesis's JSON report gives the figures; its console output,
kept next to it, holds a curl reproducer for every failure.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import httpx
import typer

from eval.processes import Server

FUZZ_ADMIN_KEY = "fuzz-admin-" + "k" * 30
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"
KINDS = {"ServerError": "server errors", "JsonSchemaError": "schema violations",
         "UndefinedStatusCode": "undocumented statuses"}
"""schemathesis failure types, by what they mean here; anything else is counted as `other`."""


@dataclass
class FuzzResult:
    """Figures of a run: cases per pass, failures by kind, and where the reports are."""

    cases: Counter = field(default_factory=Counter)  # per pass: anonymous, admin
    tested: Counter = field(default_factory=Counter)  # operations tested, per pass
    failures: Counter = field(default_factory=Counter)  # by kind (KINDS values, "other")
    operations: dict[str, set[str]] = field(default_factory=dict)  # kind -> operations that failed it
    errors: list[str] = field(default_factory=list)  # schemathesis could not run a case
    reports: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.cases.values())

    def ok(self) -> bool:
        return not self.failures and not self.errors

    def lines(self) -> list[str]:
        kinds = ", ".join(f"{self.failures[k]} {k}" for k in (*KINDS.values(), "other"))
        out = [f"schemathesis cases: {self.total} ({', '.join(f'{n} {p}' for p, n in self.cases.items())}) "
               f"in {self.seconds:.0f} s; operations tested: {dict(self.tested)}", f"failures: {kinds}"]
        out += [f"  {kind}: {', '.join(sorted(ops))}" for kind, ops in self.operations.items()]
        out += [f"error: {e}" for e in self.errors[:20]]
        out += [f"reports (curl reproducers in the .txt): {', '.join(str(p) for p in self.reports)}"]
        return out


def seed_records(base: str) -> None:
    """An agency, a challenge and an innovator, so that fuzzed ids sometimes exist."""
    from matcher.corpora import load_corpus

    corpus = load_corpus()
    admin = {"X-API-Key": FUZZ_ADMIN_KEY}
    steps = [("/v1/agencies", {"id": "ag-fuzz", "name_th": "สำนักทดสอบ", "name_en": "Fuzz office"}),
             ("/v1/challenges", {**corpus.challenges[0].model_dump(mode="json"), "agency_id": "ag-fuzz"}),
             ("/v1/innovators", corpus.innovators[0].model_dump(mode="json"))]
    for path, body in steps:
        response = httpx.post(base + path, json=body, headers=admin, timeout=120)
        if response.status_code != 201:
            raise RuntimeError(f"seeding {path} failed: {response.status_code} {response.text[:500]}")


def schemathesis_pass(base: str, out: Path, name: str, examples: int, seed: int, workers: int,
                      headers: dict[str, str], max_time: float | None = None, deterministic: bool = False,
                      progress: Callable[[str], None] = lambda _m: None) -> dict:
    """One schemathesis run; returns its JSON report (console output kept in `<name>.txt`, events
    in `<name>.ndjson`, from which a progress line is printed every 30 s)."""
    report = out / f"{name}.json"
    events = out / f"{name}.ndjson"
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{base}/openapi.json", "--checks", CHECKS,
               "--phases", "fuzzing", "--max-examples", str(examples), "--seed", str(seed),
               "--workers", str(workers), "--request-timeout", "120", "--report", "json,ndjson",
               "--report-json-path", str(report), "--report-ndjson-path", str(events), "--no-color",
               "--suppress-health-check", "all"]
    # deterministic: the same cases every run (the suite); else the seed varies them (and no example
    # database: nothing carried from one run to the next either way)
    command += ["--generation-deterministic"] if deterministic else ["--generation-database", "none"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    if max_time:
        command += ["--max-time", str(int(max_time))]
    with open(out / f"{name}.txt", "w", encoding="utf-8") as console:
        run = subprocess.Popen(command, stdout=console, stderr=subprocess.STDOUT, cwd=out)  # its caches go there
        while True:
            try:
                run.wait(timeout=30)
                break
            except subprocess.TimeoutExpired:
                done = events.read_text(encoding="utf-8").count('{"ScenarioFinished"') if events.exists() else 0
                progress(f"{name}: {done} operation scenarios finished")
    if not report.exists():
        raise RuntimeError(f"schemathesis wrote no report; see {out / f'{name}.txt'}")
    return json.loads(report.read_text(encoding="utf-8"))


def run_fuzz(out: Path, cases: int, *, seed: int = 42, workers: int = 2, max_time: float | None = None,
             deterministic: bool = False, progress: Callable[[str], None] = lambda _m: None) -> FuzzResult:
    """About `cases` cases over every operation, split between an anonymous and an admin pass."""
    out.mkdir(parents=True, exist_ok=True)
    result = FuzzResult()
    started = time.monotonic()
    server = Server(out / "data", env={"MATCHER_BOOTSTRAP_ADMIN_KEY": FUZZ_ADMIN_KEY, "MATCHER_RELEVANCE_FLOOR": "false",
                                       "MATCHER_SNAPSHOT_INTERVAL": "0"})
    server.start()
    try:
        server.wait_ready()
        seed_records(server.base)
        spec = httpx.get(server.base + "/openapi.json", timeout=30).json()
        operations = sum(1 for methods in spec["paths"].values() for m in methods
                         if m in ("get", "post", "put", "patch", "delete"))
        examples = max(1, math.ceil(cases / (2 * operations)))
        for name, headers in (("anonymous", {}), ("admin", {"X-API-Key": FUZZ_ADMIN_KEY})):
            progress(f"{name}: {examples} examples per operation over {operations} operations")
            report = schemathesis_pass(server.base, out, f"fuzz-{name}", examples, seed, workers, headers,
                                       max_time / 2 if max_time else None, deterministic, progress)
            result.reports.append(out / f"fuzz-{name}.txt")
            result.cases[name] = int(report["test_cases"]["generated"])
            result.tested[name] = int(report["operations"]["tested"])
            for failure in report["failures"]:
                kind = KINDS.get(failure["type"], "other")
                result.failures[kind] += int(failure["count"])
                result.operations.setdefault(kind, set()).update(failure["operations"])
            result.errors += [json.dumps(e, ensure_ascii=False)[:300] for e in report["errors"]]
            progress(f"{name}: {result.cases[name]} cases, {sum(f['count'] for f in report['failures'])} failures")
        if server.proc is not None and server.proc.poll() is not None:
            result.errors.append(f"the server died during fuzzing (exit {server.proc.returncode})")
    finally:
        server.stop()
    result.seconds = time.monotonic() - started
    return result


def fuzz(cases: int = typer.Option(20_000, min=1, help="about this many cases in all (both passes)"),
         seed: int = typer.Option(42), workers: int = typer.Option(2, min=1, max=16),
         max_time: float = typer.Option(None, help="stop after this many seconds in all"),
         out: Path = typer.Option(None, help="where the reports go (default: a temp dir, kept)")) -> None:
    """Schema fuzzing of the whole API (anonymous and admin); prints cases and failures."""
    out = out or Path(tempfile.mkdtemp(prefix="fuzz-"))
    result = run_fuzz(out, cases, seed=seed, workers=workers, max_time=max_time,
                      progress=lambda m: typer.echo(f"... {m}", err=True))
    for line in result.lines():
        typer.echo(line)
    raise typer.Exit(0 if result.ok() else 1)


if __name__ == "__main__":
    typer.run(fuzz)
