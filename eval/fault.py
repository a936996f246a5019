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
from typing import Callable

import httpx
import typer

from matcher.cli.common import handle_errors

from eval.processes import Server

FAULT_ADMIN_KEY = "fault-admin-" + "k" * 30


def run_kill_rounds(data_dir: Path, challenge: dict, template: dict, rounds: int, seed: int = 0,
                    database_url: str | None = None, env: dict[str, str] | None = None,
                    admin_key: str = FAULT_ADMIN_KEY, writers: int = 3,
                    progress: Callable[[str], None] = lambda _m: None) -> dict:
    """Writes innovators from `writers` threads, kill -9s the server at a random moment, restarts it,
    and checks that every acknowledged write is in the database and in the index (found by a
    search for its own word), that the index holds exactly the database's records, and that no
    temp directory of the killed process survives the restart. Returns counts; AssertionError
    naming what was lost otherwise."""
    rng = random.Random(seed)
    admin = {"X-API-Key": admin_key}
    server = Server(data_dir, env={**(env or {}), "MATCHER_BOOTSTRAP_ADMIN_KEY": admin_key},
                    database_url=database_url).start()
    server.wait_ready()
    created = httpx.post(server.base + "/v1/challenges", json=challenge, headers=admin, timeout=60)
    if created.status_code != 201:
        raise RuntimeError(f"could not post the challenge: {created.text}")
    acknowledged: list[str] = []
    words: dict[str, str] = {}
    lock = threading.Lock()
    attempted = 0
    temp_left = 0
    try:
        for round_no in range(rounds):
            stop = threading.Event()
            first_ack = threading.Event()

            def burst(writer: int, round_no: int = round_no) -> None:
                nonlocal attempted
                n = 0
                with httpx.Client(base_url=server.base, timeout=30) as http:
                    while not stop.is_set():
                        rid = f"in-kill-{round_no:03d}-{writer}-{n:04d}"
                        word = f"zqk{round_no:03d}w{writer}n{n:04d}"  # one word only this record has
                        n += 1
                        with lock:
                            attempted += 1
                        body = {**template, "id": rid, "name": f"ทดสอบ {rid}",
                                "description": f"{template['description'][:300]} {word} รอบ {round_no} ลำดับ {n}"}
                        try:
                            if http.post("/v1/innovators", json=body).status_code == 201:
                                with lock:
                                    acknowledged.append(rid)
                                    words[rid] = word
                                first_ack.set()
                        except httpx.HTTPError:
                            return

            threads = [threading.Thread(target=burst, args=(w,)) for w in range(writers)]
            for thread in threads:
                thread.start()
            first_ack.wait(120)  # kill in the middle of the burst, not before its first write
            time.sleep(rng.uniform(0.05, 1.0))
            killed = server.proc.pid
            server.kill()
            stop.set()
            for thread in threads:
                thread.join()
            temp_left += len(_temp_dirs_of(data_dir, killed))
            server.start()
            server.wait_ready()
            assert not _temp_dirs_of(data_dir, killed), f"temp dirs of killed pid {killed} survived the restart"
            with lock:
                new = [rid for rid in acknowledged if rid.startswith(f"in-kill-{round_no:03d}-")]
                earlier = [rid for rid in acknowledged if rid not in set(new)]
            sample = new + rng.sample(earlier, min(5, len(earlier)))
            check_consistent(server.base, challenge["id"], acknowledged, admin, {rid: words[rid] for rid in sample})
            progress(f"round {round_no + 1}/{rounds}: {len(acknowledged)} acknowledged so far, none lost")
    finally:
        server.stop()
    return {"rounds": rounds, "attempted": attempted, "acknowledged": len(acknowledged), "lost": 0,
            "temp_dirs_left_by_kills": temp_left}


def _temp_dirs_of(data_dir: Path, pid: int) -> list[Path]:
    from service.indexing import TEMP_PREFIX

    root = data_dir / "snapshots"
    return [p for p in root.glob(f"{TEMP_PREFIX}*-{pid}-*")] if root.exists() else []


def check_consistent(base: str, challenge_id: str, acknowledged: list[str], admin: dict[str, str],
                     words: dict[str, str] | None = None) -> None:
    """The index holds exactly the database's records and every acknowledged write, and a lexical
    search for each record's own word in `words` finds it (AssertionError if not)."""
    ready = httpx.get(base + "/v1/ready", timeout=30).json()
    listed = httpx.get(base + "/v1/innovators", params={"limit": 1}, timeout=30).json()["count"]
    assert ready["index"]["innovators"] == listed, (ready, listed)  # index neither ahead nor behind
    challenges = httpx.get(base + "/v1/challenges", params={"limit": 1}, headers=admin, timeout=30).json()["count"]
    assert ready["index"]["challenges"] == challenges, (ready, challenges)
    lost = [rid for rid in acknowledged if httpx.get(f"{base}/v1/innovators/{rid}", timeout=30).status_code != 200]
    assert not lost, f"acknowledged writes lost: {lost}"
    response = httpx.get(f"{base}/v1/challenges/{challenge_id}/matches", params={"k": 200, "include_weak": "true"},
                         headers=admin, timeout=60)
    assert response.status_code == 200, response.text
    matched = {m["id"] for m in response.json()["data"]}
    missing = [rid for rid in acknowledged if rid not in matched]
    assert not missing or len(matched) == 200, missing
    for rid, word in (words or {}).items():
        found = httpx.post(f"{base}/v1/search", json={"text": word, "target": "innovators", "mode": "lexical", "k": 3},
                           timeout=60)
        assert found.status_code == 200, found.text
        assert rid in [m["id"] for m in found.json()["data"]], f"search for {word!r} does not find {rid}: {found.text[:500]}"


@handle_errors
def fault_test(kills: int = typer.Option(20, min=1, help="kill -9 rounds"),
               seed: int = typer.Option(0),
               writers: int = typer.Option(3, min=1, help="writer threads"),
               database_url: str = typer.Option(None, help="PostgreSQL URL (default: SQLite in a temp dir)")) -> None:
    """kill -9 the server during write bursts, restart, and verify no acknowledged write is lost."""
    from matcher.corpora import load_corpus

    corpus = load_corpus()
    challenge = {**corpus.challenges[0].model_dump(mode="json"), "id": "ch-fault", "agency_id": None}
    template = corpus.innovators[0].model_dump(mode="json")
    env = {"MATCHER_SNAPSHOT_INTERVAL": "2", "MATCHER_RELEVANCE_FLOOR": "false"}  # kills also hit snapshot writes
    with tempfile.TemporaryDirectory(prefix="fault-") as tmp:
        result = run_kill_rounds(Path(tmp) / "data", challenge, template, kills, seed, database_url, env=env,
                                 writers=writers, progress=lambda m: typer.echo(f"... {m}", err=True))
    typer.echo(f"{result['rounds']} kill -9 rounds: {result['attempted']} writes attempted, "
               f"{result['acknowledged']} acknowledged, {result['lost']} lost, index equal to the database and "
               f"every checked record found by search after every restart; "
               f"{result['temp_dirs_left_by_kills']} snapshot temp dirs left by kills, all removed at restart")


if __name__ == "__main__":
    typer.run(fault_test)
