"""`matcher fault-test`: kill -9 the server during bursts of writes and check nothing acknowledged is lost.

Each round: a client posts innovators as fast as the server accepts them, the server's whole
process group gets SIGKILL at a random moment in the burst, the server restarts, and then every
acknowledged write must be readable and matchable, and the index must hold exactly as many
records as the database (neither ahead nor behind).
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path

import httpx
import typer

from matcher.cli.common import handle_errors

from eval.processes import Server

FAULT_ADMIN_KEY = "fault-admin-" + "k" * 30


def run_kill_rounds(data_dir: Path, challenge: dict, template: dict, rounds: int, seed: int = 0,
                    database_url: str | None = None, env: dict[str, str] | None = None,
                    admin_key: str = FAULT_ADMIN_KEY) -> dict:
    """Writes innovators in a burst, kill -9s the server at a random moment, restarts it, and checks
    that every acknowledged write is in the database and in the index, and that the index holds
    exactly the database's records. Returns counts."""
    rng = random.Random(seed)
    admin = {"X-API-Key": admin_key}
    server = Server(data_dir, env={**(env or {}), "MATCHER_BOOTSTRAP_ADMIN_KEY": admin_key},
                    database_url=database_url).start()
    server.wait_ready()
    created = httpx.post(server.base + "/v1/challenges", json=challenge, headers=admin, timeout=60)
    if created.status_code != 201:
        raise RuntimeError(f"could not post the challenge: {created.text}")
    acknowledged: list[str] = []
    attempted = 0
    try:
        for round_no in range(rounds):
            stop = threading.Event()
            first_ack = threading.Event()

            def burst(round_no: int = round_no) -> None:
                nonlocal attempted
                n = 0
                with httpx.Client(base_url=server.base, timeout=30) as http:
                    while not stop.is_set():
                        rid = f"in-kill-{round_no:03d}-{n:04d}"
                        n += 1
                        attempted += 1
                        body = {**template, "id": rid, "name": f"ทดสอบ {rid}",
                                "description": f"{template['description']} รอบ {round_no} ลำดับ {n}"}
                        try:
                            if http.post("/v1/innovators", json=body).status_code == 201:
                                acknowledged.append(rid)
                                first_ack.set()
                        except httpx.HTTPError:
                            return

            writer = threading.Thread(target=burst)
            writer.start()
            first_ack.wait(120)  # kill in the middle of the burst, not before its first write
            time.sleep(rng.uniform(0.05, 1.0))
            server.kill()
            stop.set()
            writer.join()
            server.start()
            server.wait_ready()
            check_consistent(server.base, challenge["id"], acknowledged, admin)
    finally:
        server.stop()
    return {"rounds": rounds, "attempted": attempted, "acknowledged": len(acknowledged)}


def check_consistent(base: str, challenge_id: str, acknowledged: list[str], admin: dict[str, str]) -> None:
    """The index holds exactly the database's records and every acknowledged write (AssertionError if not)."""
    ready = httpx.get(base + "/v1/ready", timeout=30).json()
    listed = httpx.get(base + "/v1/innovators", params={"limit": 1}, timeout=30).json()["count"]
    assert ready["index"]["innovators"] == listed, (ready, listed)  # index neither ahead nor behind
    challenges = httpx.get(base + "/v1/challenges", params={"limit": 1}, headers=admin, timeout=30).json()["count"]
    assert ready["index"]["challenges"] == challenges, (ready, challenges)
    for rid in acknowledged:
        assert httpx.get(f"{base}/v1/innovators/{rid}", timeout=30).status_code == 200, rid
    response = httpx.get(f"{base}/v1/challenges/{challenge_id}/matches", params={"k": 200, "include_weak": "true"},
                         headers=admin, timeout=60)
    assert response.status_code == 200, response.text
    matched = {m["id"] for m in response.json()["data"]}
    missing = [rid for rid in acknowledged if rid not in matched]
    assert not missing or len(matched) == 200, missing



@handle_errors
def fault_test(kills: int = typer.Option(20, min=1, help="kill -9 rounds"),
               seed: int = typer.Option(0),
               database_url: str = typer.Option(None, help="PostgreSQL URL (default: SQLite in a temp dir)")) -> None:
    """kill -9 the server during write bursts, restart, and verify no acknowledged write is lost."""
    from matcher.corpora import load_corpus

    corpus = load_corpus()
    challenge = {**corpus.challenges[0].model_dump(mode="json"), "id": "ch-fault", "agency_id": None}
    template = corpus.innovators[0].model_dump(mode="json")
    with tempfile.TemporaryDirectory(prefix="fault-") as tmp:
        result = run_kill_rounds(Path(tmp) / "data", challenge, template, kills, seed, database_url)
    typer.echo(f"{result['rounds']} kill -9 rounds: {result['attempted']} writes attempted, "
               f"{result['acknowledged']} acknowledged, 0 lost, index equal to the database after every restart")
