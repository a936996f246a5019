"""`python -m eval.outage` / `matcher outage-test`: stop PostgreSQL under traffic, start it again.

A real `matcher serve` on a private PostgreSQL cluster (eval.private_postgres) gets reads and writes
from several threads; the database is stopped (fast shutdown) for `down` seconds and started again.
What must hold, and is counted:

- every request gets an answer: 2xx, or 503 with `Retry-After` (no other status, no timeout, no
  dropped connection);
- no acknowledged write is lost: every innovator whose POST answered 201 is in the database;
- the service recovers by itself: writes succeed again, and the index follower catches up (the
  index holds exactly the database's records, and a write made after the outage is matched).
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import httpx
import typer

from eval.private_postgres import PrivatePostgres
from eval.processes import Server

OUTAGE_ADMIN_KEY = "outage-admin-" + "k" * 30
ANSWER_TIMEOUT = 30.0
"""Seconds a client waits for an answer; longer counts as "no answer"."""


@dataclass
class OutageResult:
    """Figures of one outage run (`problems` lists every request that broke the promise)."""

    down_seconds: float
    requests: Counter = field(default_factory=Counter)  # by outcome: 2xx, 503, no answer, other
    during_outage: Counter = field(default_factory=Counter)
    writes_acknowledged: int = 0
    writes_lost: int = 0
    recovery_seconds: float | None = None
    index_consistent: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def ok(self) -> bool:
        return not self.problems and not self.writes_lost and self.index_consistent and self.recovery_seconds is not None

    def lines(self) -> list[str]:
        r = self.requests
        return [f"PostgreSQL stopped for {self.down_seconds:.0f} s under traffic",
                f"requests: {self.total} ({r['2xx']} 2xx, {r['503']} 503 with Retry-After, "
                f"{r['no answer']} without an answer, {r['other']} other)",
                f"while the database was down: {sum(self.during_outage.values())} requests "
                f"({self.during_outage['2xx']} 2xx, {self.during_outage['503']} 503)",
                f"acknowledged writes: {self.writes_acknowledged}, lost: {self.writes_lost}",
                f"first successful write {self.recovery_seconds:.1f} s after the database was back"
                if self.recovery_seconds is not None else "the service did not recover",
                f"index equal to the database afterwards: {'yes' if self.index_consistent else 'NO'}",
                *[f"problem: {p}" for p in self.problems[:20]]]


def _error_shape(response: httpx.Response) -> bool:
    """The project's error answer: an HTML page for a browser, else JSON {"error": {"code", ...}}."""
    if response.headers.get("content-type", "").startswith("text/html"):
        return "<html" in response.text.lower()
    try:
        return isinstance(response.json()["error"]["code"], str)
    except (ValueError, KeyError, TypeError):
        return False


class Traffic:
    """Reader and writer threads against one server, recording every answer."""

    def __init__(self, base: str, template: dict, challenge_id: str, writers: int, readers: int, seed: int):
        self.base, self.template, self.challenge_id = base, template, challenge_id
        self.stop = threading.Event()
        self.outage = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged: list[str] = []
        self.agencies: list[str] = []
        """Acknowledged agencies: written through the route-level write session (WriteSessionDep)."""
        self.result_counts: Counter = Counter()
        self.outage_counts: Counter = Counter()
        self.problems: list[str] = []
        self.threads = [threading.Thread(target=self._writer, args=(i,), daemon=True) for i in range(writers)] + \
                       [threading.Thread(target=self._reader, args=(seed + i,), daemon=True) for i in range(readers)] + \
                       [threading.Thread(target=self._agency_writer, daemon=True)]

    def start(self) -> "Traffic":
        for thread in self.threads:
            thread.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(ANSWER_TIMEOUT + 5)

    def writes(self) -> int:
        """Acknowledged writes so far (innovators and agencies)."""
        with self.lock:
            return len(self.acknowledged) + len(self.agencies)

    def _record(self, what: str, send: Callable[[], httpx.Response]) -> httpx.Response | None:
        try:
            response = send()
        except httpx.HTTPError as exc:
            outcome, response = "no answer", None
            detail = f"{what}: no answer ({type(exc).__name__}: {exc})"
        else:
            status = response.status_code
            if 200 <= status < 300:
                outcome, detail = "2xx", None
            elif status == 503 and response.headers.get("retry-after", "").isdigit() and _error_shape(response):
                outcome, detail = "503", None
            else:
                outcome = "other"
                detail = f"{what}: {status} {response.headers.get('retry-after')!r} {response.text[:300]}"
        with self.lock:
            self.result_counts[outcome] += 1
            if self.outage.is_set():
                self.outage_counts[outcome] += 1
            if detail:
                self.problems.append(detail)
        return response

    def _writer(self, number: int) -> None:
        n = 0
        with httpx.Client(base_url=self.base, timeout=ANSWER_TIMEOUT) as http:
            while not self.stop.is_set():
                rid = f"in-out-{number:02d}-{n:05d}"
                n += 1
                body = {**self.template, "id": rid, "name": f"ทดสอบ {rid}",
                        "description": f"{self.template['description'][:200]} outage {number} {n}"}
                response = self._record(f"POST /v1/innovators {rid}", lambda: http.post("/v1/innovators", json=body))
                if response is not None and response.status_code == 201:
                    with self.lock:
                        self.acknowledged.append(rid)
                time.sleep(0.02)

    def _agency_writer(self) -> None:
        admin = {"X-API-Key": OUTAGE_ADMIN_KEY}
        n = 0
        with httpx.Client(base_url=self.base, timeout=ANSWER_TIMEOUT) as http:
            while not self.stop.is_set():
                aid = f"ag-out-{n:05d}"
                n += 1
                body = {"id": aid, "name_th": f"สำนัก {aid}", "name_en": f"Office {aid}"}
                response = self._record(f"POST /v1/agencies {aid}", lambda: http.post("/v1/agencies", json=body,
                                                                                       headers=admin))
                if response is not None and response.status_code == 201:
                    with self.lock:
                        self.agencies.append(aid)
                time.sleep(0.05)

    def _reader(self, seed: int) -> None:
        rng = random.Random(seed)
        admin = {"X-API-Key": OUTAGE_ADMIN_KEY}
        with httpx.Client(base_url=self.base, timeout=ANSWER_TIMEOUT) as http:
            while not self.stop.is_set():
                with self.lock:
                    known = self.acknowledged[-50:]
                choice = rng.randrange(5)
                if rng.random() < 0.03:  # a rebuild from the database, run by the follower thread
                    self._record("POST /v1/admin/reindex", lambda: http.post("/v1/admin/reindex", headers=admin))
                elif choice == 0 and known:
                    rid = rng.choice(known)
                    self._record(f"GET /v1/innovators/{rid}", lambda: http.get(f"/v1/innovators/{rid}"))
                elif choice == 1:
                    self._record("POST /v1/search", lambda: http.post(
                        "/v1/search", json={"text": "น้ำท่วม flood sensor", "target": "innovators", "k": 5}))
                elif choice == 2:
                    self._record("GET matches", lambda: http.get(
                        f"/v1/challenges/{self.challenge_id}/matches", params={"k": 5}, headers=admin))
                elif choice == 3:
                    self._record("GET /v1/innovators", lambda: http.get("/v1/innovators", params={"limit": 5}))
                else:  # a browser asking for a page: an HTML error page, also with Retry-After
                    self._record("GET / (page)", lambda: http.get("/", headers={"Accept": "text/html"}))
                time.sleep(0.02)


def run_outage(work: Path, down_seconds: float, *, before: float = 2.0, after: float = 4.0, writers: int = 3,
               readers: int = 2, seed: int = 0, progress: Callable[[str], None] = lambda _m: None) -> OutageResult:
    """One outage under traffic on a private cluster and a real server; returns the figures."""
    from sqlalchemy import create_engine, select

    from matcher.corpora import load_corpus
    from service.db import Agency, InnovatorRow

    corpus = load_corpus()
    challenge = {**corpus.challenges[0].model_dump(mode="json"), "id": "ch-outage", "agency_id": None}
    template = corpus.innovators[0].model_dump(mode="json")
    result = OutageResult(down_seconds)
    with PrivatePostgres() as pg:
        progress(f"private PostgreSQL on port {pg.port}")
        server = Server(work / "data", database_url=pg.url,
                        env={"MATCHER_BOOTSTRAP_ADMIN_KEY": OUTAGE_ADMIN_KEY, "MATCHER_RELEVANCE_FLOOR": "false"})
        server.start()
        try:
            server.wait_ready()
            created = httpx.post(server.base + "/v1/challenges", json=challenge,
                                 headers={"X-API-Key": OUTAGE_ADMIN_KEY}, timeout=60)
            if created.status_code != 201:
                raise RuntimeError(f"could not post the challenge: {created.text}")
            traffic = Traffic(server.base, template, challenge["id"], writers, readers, seed).start()
            warm = time.monotonic() + 60  # steady state first: a few writes through, then `before` seconds
            while traffic.writes() < 3 and time.monotonic() < warm:
                time.sleep(0.05)
            time.sleep(before)
            progress(f"stopping PostgreSQL for {down_seconds:.0f} s ({traffic.result_counts['2xx']} answers so far)")
            traffic.outage.set()
            pg.stop()
            time.sleep(down_seconds)
            pg.start()
            back = time.monotonic()
            traffic.outage.clear()
            progress("PostgreSQL is back; waiting for a successful write")
            written = traffic.writes()
            while time.monotonic() - back < 60 and traffic.writes() == written:
                time.sleep(0.02)
            if traffic.writes() > written:
                result.recovery_seconds = time.monotonic() - back
            time.sleep(after)
            traffic.finish()
            result.requests, result.during_outage = traffic.result_counts, traffic.outage_counts
            result.problems += traffic.problems
            engine = create_engine(pg.url)
            with engine.connect() as conn:
                stored = set(conn.scalars(select(InnovatorRow.id)))
                stored_agencies = set(conn.scalars(select(Agency.id)))
            engine.dispose()
            lost = [rid for rid in traffic.acknowledged if rid not in stored] + \
                   [aid for aid in traffic.agencies if aid not in stored_agencies]
            result.writes_acknowledged = len(traffic.acknowledged) + len(traffic.agencies)
            result.writes_lost = len(lost)
            result.problems += [f"acknowledged write lost: {rid}" for rid in lost[:10]]
            result.index_consistent = _index_follows(server.base, len(stored), challenge["id"], template, result)
        finally:
            server.stop()
    return result


def _index_follows(base: str, stored: int, challenge_id: str, template: dict, result: OutageResult) -> bool:
    """The follower kept polling through the outage: the index holds the database's count, and a
    write made now is matched at once."""
    deadline = time.monotonic() + 15
    while True:
        ready = httpx.get(base + "/v1/ready", timeout=30)
        if ready.status_code == 200 and ready.json()["index"]["innovators"] == stored:
            break
        if time.monotonic() > deadline:
            result.problems.append(f"index holds {ready.json()['index']} after the outage, database {stored} innovators")
            return False
        time.sleep(0.2)
    probe = {**template, "id": "in-out-after", "name": "after the outage"}
    admin = {"X-API-Key": OUTAGE_ADMIN_KEY}
    if httpx.post(base + "/v1/innovators", json=probe, timeout=30).status_code != 201:
        result.problems.append("a write after the outage was refused")
        return False
    matches = httpx.get(f"{base}/v1/challenges/{challenge_id}/matches", params={"k": 200, "include_weak": "true"},
                        headers=admin, timeout=60).json()["data"]
    if probe["id"] not in {m["id"] for m in matches} and len(matches) < 200:
        result.problems.append("a write after the outage is not in the index")
        return False
    return True


def outage_test(down: float = typer.Option(10.0, min=1, help="seconds PostgreSQL stays down"),
                writers: int = typer.Option(3, min=1), readers: int = typer.Option(2, min=1),
                seed: int = typer.Option(0)) -> None:
    """Stop a private PostgreSQL under read/write traffic, start it again, and print the figures."""
    from eval.private_postgres import unavailable_reason

    reason = unavailable_reason()
    if reason:
        typer.echo(f"cannot run a private PostgreSQL here: {reason}", err=True)
        raise typer.Exit(1)
    with tempfile.TemporaryDirectory(prefix="outage-") as tmp:
        result = run_outage(Path(tmp), down, writers=writers, readers=readers, seed=seed,
                            progress=lambda m: typer.echo(f"... {m}", err=True))
    for line in result.lines():
        typer.echo(line)
    raise typer.Exit(0 if result.ok() else 1)


if __name__ == "__main__":
    typer.run(outage_test)
