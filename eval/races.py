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
                if_match: bool = False) -> RaceReport:
    """Two PATCHes of one challenge at once: one sets `confidential`, the other the title. Without
    If-Match both must land (merged); with If-Match one wins and the other gets 412."""
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
            a, b = _together(
                lambda: client.patch(f"/v1/challenges/{cid}", json={"confidential": True}, headers={**admin, **extra}),
                lambda: client.patch(f"/v1/challenges/{cid}", json={"title": f"{challenge['title']} {word}"},
                                     headers={**admin, **extra}))
            if not _record(report, [a, b]):
                continue
            stored = client.get(f"/v1/challenges/{cid}", headers=admin).json()
            title_won = a.status_code != 200 or b.status_code == 200
            conf_won = a.status_code == 200
            if if_match:
                if sorted([a.status_code, b.status_code]) != [200, 412]:
                    report.problem("lost_updates", f"round {n}: If-Match answers {a.status_code}/{b.status_code}")
            elif (a.status_code, b.status_code) != (200, 200):
                report.problem("lost_updates", f"round {n}: answers {a.status_code}/{b.status_code}")
            if conf_won and stored["confidential"] is not True:
                report.problem("lost_updates", f"round {n}: acknowledged confidential=true is lost")
            if b.status_code == 200 and word not in stored["title"]:
                report.problem("lost_updates", f"round {n}: acknowledged title is lost")
            # the index: the stored title is found by the owner; a confidential record never anonymously
            expect_word = word in stored["title"]
            if expect_word and not _eventually(lambda: _found_lexically(client, admin, word, "challenges", cid)):
                report.problem("index_drift", f"round {n}: stored title not in the index")
            if stored["confidential"] and _found_lexically(client, {}, stored["title"].split()[-1], "challenges", cid):
                report.problem("index_drift", f"round {n}: confidential challenge in anonymous search")
            reset = client.patch(f"/v1/challenges/{cid}", json={"confidential": False}, headers=admin)
            _record(report, [reset])
            del title_won
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
