"""Write races against a running server: two PATCHes of one challenge, and PATCH against DELETE of
one innovator, each round started at the same moment from two threads.

What must hold (issue #12): no acknowledged change is lost (two PATCHes of different fields both
land; with `If-Match` exactly one wins and the other gets 412), the index never holds an older
version than the database (a lexical search for the winning text finds the record; a confidential
challenge is never in anonymous search), no 5xx, and a deleted id is never reused.
Run long with `matcher races --rounds 200` (README); the suite runs a shorter count.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import typer


@dataclass
class RaceReport:
    """Counts of one race kind: rounds, responses by status, and every violation found."""

    name: str
    rounds: int = 0
    statuses: Counter = field(default_factory=Counter)
    lost_updates: int = 0
    index_drift: int = 0
    server_errors: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, kind: str, detail: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.problems) < 20:
            self.problems.append(f"{kind}: {detail}")

    def as_dict(self) -> dict[str, Any]:
        return {"race": self.name, "rounds": self.rounds, "statuses": dict(sorted(self.statuses.items())),
                "lost_updates": self.lost_updates, "index_drift": self.index_drift,
                "server_errors": self.server_errors, "problems": self.problems}


def _together(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Run the calls in threads released by one barrier; their responses in call order."""
    barrier = threading.Barrier(len(calls))
    out: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], httpx.Response]) -> None:
        barrier.wait()
        try:
            out[i] = call()
        except httpx.HTTPError as exc:  # no answer at all is a failure of its own
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _record(report: RaceReport, responses: list[Any]) -> bool:
    ok = True
    for r in responses:
        if not isinstance(r, httpx.Response):
            report.problem("server_errors", f"no response: {r!r}")
            ok = False
            continue
        report.statuses[r.status_code] += 1
        if r.status_code >= 500:
            report.problem("server_errors", f"{r.status_code} {r.text[:200]}")
            ok = False
    return ok


def _found_lexically(client: httpx.Client, headers: dict[str, str], word: str, target: str, record_id: str) -> bool:
    response = client.post("/v1/search", json={"text": word, "target": target, "mode": "lexical", "k": 20,
                                                 "filters": {"status": ["open", "closed"]} if target == "challenges" else {}},
                           headers=headers)
    response.raise_for_status()
    return record_id in {h["id"] for h in response.json()["data"]}


def _eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    """The write's own process applies it before answering; this allows for another worker."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def patch_patch(base: str, admin: dict[str, str], challenge: dict[str, Any], rounds: int,
                if_match: bool = False, text_every: int = 1) -> RaceReport:
    """Two PATCHes of one challenge at once: one sets `confidential`, the other the title (every
    `text_every`-th round; the budget otherwise, which needs no encoding and so races tighter).
    Without If-Match both must land (merged); with If-Match one wins and the other gets 412."""
    report = RaceReport("patch-patch" + ("-if-match" if if_match else ""))
    cid = f"race-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=base, timeout=60) as client:
        created = client.post("/v1/challenges", json={**challenge, "id": cid, "confidential": False}, headers=admin)
        created.raise_for_status()
        for n in range(rounds):
            report.rounds += 1
            word = f"zq{uuid.uuid4().hex[:10]}"
            current = client.get(f"/v1/challenges/{cid}", headers=admin)
            etag = current.headers.get("ETag", "")
            extra = {"If-Match": etag} if if_match else {}
            textual = n % text_every == 0
            second = {"title": f"{challenge['title']} {word}"} if textual else {"budget_max_thb": float(1000 + n)}
            a, b = _together(
                lambda: client.patch(f"/v1/challenges/{cid}", json={"confidential": True}, headers={**admin, **extra}),
                lambda: client.patch(f"/v1/challenges/{cid}", json=second, headers={**admin, **extra}))
            if not _record(report, [a, b]):
                continue
            stored = client.get(f"/v1/challenges/{cid}", headers=admin).json()
            conf_won = a.status_code == 200
            if if_match:
                if sorted([a.status_code, b.status_code]) != [200, 412]:
                    report.problem("lost_updates", f"round {n}: If-Match answers {a.status_code}/{b.status_code}")
            elif (a.status_code, b.status_code) != (200, 200):
                report.problem("lost_updates", f"round {n}: answers {a.status_code}/{b.status_code}")
            if conf_won and stored["confidential"] is not True:
                report.problem("lost_updates", f"round {n}: acknowledged confidential=true is lost")
            if b.status_code == 200 and (word not in stored["title"] if textual
                                         else stored["budget_max_thb"] != second["budget_max_thb"]):
                report.problem("lost_updates", f"round {n}: acknowledged {next(iter(second))} is lost")
            # the index: the stored title is found by the owner; a confidential record never anonymously
            expect_word = word in stored["title"]
            if expect_word and not _eventually(lambda: _found_lexically(client, admin, word, "challenges", cid)):
                report.problem("index_drift", f"round {n}: stored title not in the index")
            if stored["confidential"] and _found_lexically(client, {}, stored["title"].split()[-1], "challenges", cid):
                report.problem("index_drift", f"round {n}: confidential challenge in anonymous search")
            reset = client.patch(f"/v1/challenges/{cid}", json={"confidential": False}, headers=admin)
            _record(report, [reset])
    return report


def patch_delete(base: str, innovator: dict[str, Any], rounds: int) -> RaceReport:
    """PATCH and DELETE of one innovator at once: never a 5xx; afterwards the profile is gone from
    the database and the index, and its id cannot be registered again."""
    report = RaceReport("patch-delete")
    with httpx.Client(base_url=base, timeout=60) as client:
        for n in range(rounds):
            report.rounds += 1
            iid = f"race-in-{uuid.uuid4().hex[:8]}"
            created = client.post("/v1/innovators", json={**innovator, "id": iid})
            created.raise_for_status()
            key = {"X-API-Key": created.json()["api_key"]}
            word = f"zq{uuid.uuid4().hex[:10]}"
            patch, delete = _together(
                lambda: client.patch(f"/v1/innovators/{iid}", json={"description": f"{innovator['description']} {word}"},
                                     headers=key),
                lambda: client.delete(f"/v1/innovators/{iid}", headers=key))
            if not _record(report, [patch, delete]):
                continue
            if delete.status_code != 204:
                report.problem("lost_updates", f"round {n}: DELETE answered {delete.status_code} {delete.text[:200]}")
            if client.get(f"/v1/innovators/{iid}").status_code != 404:
                report.problem("lost_updates", f"round {n}: deleted profile still readable")
            if _found_lexically(client, {}, word, "innovators", iid) or \
                    _found_lexically(client, {}, innovator["name"], "innovators", iid):
                report.problem("index_drift", f"round {n}: deleted profile still in the index")
            again = client.post("/v1/innovators", json={**innovator, "id": iid})
            _record(report, [again])
            if again.status_code != 409:
                report.problem("lost_updates", f"round {n}: a deleted id was registered again ({again.status_code})")
    return report


SHORT_CHALLENGE = {"title": "ขยะอุดตันคลองแสนแสบ", "description": "ขยะลอยในคลองหน้าชุมชน ส่งกลิ่นเหม็น น้ำไม่ไหล",
                   "agency": "สำนักงานเขตบางกะปิ"}
SHORT_INNOVATOR = {"name": "Canal Clean Co", "kind": "startup", "description": "Floating trash barriers for canals",
                   "solutions": [{"title": "Trash boom", "description": "A floating boom that collects canal garbage",
                                  "trl": 6}]}
"""Short records: a race round should cost the race, not the encoding of a long text."""


def run_races(base: str, admin: dict[str, str], rounds: int, text_every: int = 1) -> list[RaceReport]:
    """Every race kind, `rounds` rounds each, against the server at `base`."""
    return [patch_patch(base, admin, SHORT_CHALLENGE, rounds, text_every=text_every),
            patch_patch(base, admin, SHORT_CHALLENGE, rounds, if_match=True, text_every=text_every),
            patch_delete(base, SHORT_INNOVATOR, rounds)]


def races(rounds: int = typer.Option(200, help="Rounds of each race"),
          database_url: str = typer.Option("", help="PostgreSQL URL (a fresh database is made in it); "
                                                    "empty: SQLite"),
          text_every: int = typer.Option(1, help="Change the title (re-encoding) every N-th round")) -> None:
    """Run the write races against a fresh server and print what held (lost updates, index drift,
    5xx per race); exit 1 if anything broke."""
    import json
    import tempfile
    from pathlib import Path

    from eval.processes import Server, fresh_postgres_database

    key = "races-admin-" + uuid.uuid4().hex
    admin = {"X-API-Key": key}
    url = fresh_postgres_database(database_url, "races_") if database_url else None
    with tempfile.TemporaryDirectory(prefix="races-") as tmp:
        server = Server(Path(tmp) / "data", database_url=url,
                        env={"MATCHER_BOOTSTRAP_ADMIN_KEY": key, "MATCHER_RELEVANCE_FLOOR": "false"}).start()
        try:
            server.wait_ready()
            started = time.monotonic()
            reports = []
            for report in run_races(server.base, admin, rounds, text_every):
                print(json.dumps(report.as_dict(), ensure_ascii=False), flush=True)
                reports.append(report)
        finally:
            server.stop()
    broken = sum(r.lost_updates + r.index_drift + r.server_errors for r in reports)
    print(f"{'postgresql' if url else 'sqlite'}: {rounds} rounds x {len(reports)} races in "
          f"{time.monotonic() - started:.0f} s; lost updates, index drift, 5xx: {broken}")
    raise typer.Exit(1 if broken else 0)

