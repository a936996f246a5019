"""`matcher bench-service`: latency and throughput of the running service over HTTP.

Starts `matcher serve` on a loopback port with 10,000 stored innovators and drives
GET /v1/challenges/{id}/matches from this (second) process with 1 and 8 concurrent clients.
The 10,000 innovators are the 400 demo profiles cloned under new ids with unchanged text, so
their embeddings come from the cache (no hour-long encoding) while FAISS, BM25, fusion, the
database and HTTP do the full work of a 10,000-record collection.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import typer

from matcher.cli.common import handle_errors
from matcher.corpora import PROJECT_ROOT, load_corpus

from eval.markers import update_file

README = PROJECT_ROOT / "README.md"
ADMIN_KEY = "bench-admin-" + "x" * 32


def populate(data_dir: Path, n_innovators: int, database_url: str | None = None) -> list[str]:
    """A fresh database with the bundled challenges and n innovators, each with stored vectors and a
    change-log entry, as the write path leaves them. Innovators beyond the bundled ones are clones
    (new ids, same text), so their vectors are encoded once per distinct text."""
    import numpy as np
    from sqlalchemy import insert

    from matcher.collection import encode_docs
    from matcher.config import RetrievalConfig
    from matcher.documents import challenge_doc, innovator_doc
    from matcher.engine import load_encoders
    from service.changes import Sessions
    from service.config import ServiceSettings
    from service.db import Change, InnovatorRow, RecordVector, make_engine, migrate
    from service.seed import ensure_admin_key, seed_demo

    settings = ServiceSettings(data_dir=data_dir, database_url=database_url)
    engine = make_engine(settings.db_url)
    migrate(engine)
    corpus = load_corpus()
    sessions = Sessions.for_engine(engine)
    with sessions.write() as session:
        seed_demo(session)
        ensure_admin_key(session, ADMIN_KEY)
    encoders = load_encoders(RetrievalConfig(), data_dir / "cache")
    fingerprints = {eid: enc.fingerprint for eid, enc in encoders.items()}

    def vector_rows(side: str, ids: list[str], encoded, rows: list[int]) -> list[dict]:
        out = []
        for mode, attribute in (("d", "documents"), ("q", "queries")):
            for eid, matrix in getattr(encoded, attribute).items():
                for record_id, row in zip(ids, rows):
                    out.append({"side": side, "record_id": record_id, "encoder": fingerprints[eid], "mode": mode,
                                "vector": np.asarray(matrix[row], dtype=np.float32).tobytes()})
        return out

    challenges = corpus.challenges
    encoded = encode_docs([challenge_doc(c) for c in challenges], encoders, True)
    base = corpus.innovators
    base_encoded = encode_docs([innovator_doc(i) for i in base], encoders, True)
    with sessions.write() as session:
        session.execute(insert(RecordVector), vector_rows("challenges", [c.id for c in challenges], encoded,
                                                          list(range(len(challenges)))))
        session.execute(insert(RecordVector), vector_rows("innovators", [i.id for i in base], base_encoded,
                                                          list(range(len(base)))))
    dumped = [i.model_dump(mode="json") for i in base]
    for start in range(len(base), n_innovators, 2000):
        stop = min(n_innovators, start + 2000)
        ids = [f"in-clone-{n:07d}" for n in range(start, stop)]
        sources = [n % len(base) for n in range(start, stop)]
        with sessions.write() as session:
            session.execute(insert(InnovatorRow), [{"id": rid, "data": {**dumped[src], "id": rid}, "version": 1}
                                                   for rid, src in zip(ids, sources)])
            session.execute(insert(RecordVector), vector_rows("innovators", ids, base_encoded, sources))
            session.execute(insert(Change), [{"side": "innovators", "record_id": rid, "op": "upsert"} for rid in ids])
    engine.dispose()
    return [c.id for c in challenges if c.status == "open"]


def drive(base_url: str, challenge_ids: list[str], clients: int, requests_per_client: int) -> dict[str, float]:
    import httpx

    latencies: list[float] = []
    lock = threading.Lock()
    errors = []

    def worker(offset: int) -> None:
        with httpx.Client(base_url=base_url, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as http:
            local = []
            for i in range(requests_per_client):
                cid = challenge_ids[(offset * 7 + i) % len(challenge_ids)]
                start = time.perf_counter()
                response = http.get(f"/v1/challenges/{cid}/matches", params={"k": 10})
                local.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    errors.append(response.status_code)
            with lock:
                latencies.extend(local)

    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. HTTP {errors[0]}")
    arr = np.asarray(latencies)
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95)),
            "p99": float(np.percentile(arr, 99)), "rps": len(latencies) / elapsed, "requests": len(latencies)}


def _post_innovators(base_url: str, n: int, tag: str) -> list[float]:
    """POST n new innovators (fixed texts, so runs at different sizes encode the same work)."""
    import httpx

    template = load_corpus().innovators[0].model_dump(mode="json")
    out = []
    with httpx.Client(base_url=base_url, timeout=120) as http:
        for i in range(n):
            body = {**template, "id": f"in-bench-{tag}-{i:04d}", "name": f"Bench {i}",
                    "description": f"{template['description']} (bench record {i})"}
            start = time.perf_counter()
            response = http.post("/v1/innovators", json=body)
            out.append((time.perf_counter() - start) * 1000)
            if response.status_code != 201:
                raise RuntimeError(f"POST /v1/innovators: HTTP {response.status_code} {response.text[:200]}")
    return out


def _propagation(a: str, b: str, n: int) -> list[float]:
    """Write in replica A, then poll replica B's matches until the new innovator is there. The
    challenge polled has the new innovators' own text, so they rank at the top in any corpus."""
    import httpx

    template = load_corpus().innovators[0].model_dump(mode="json")
    challenge_id = "ch-propagation"
    out = []
    with httpx.Client(timeout=60, headers={"X-API-Key": ADMIN_KEY}) as http:
        challenge = {"id": challenge_id, "agency": "สำนักงานปลัดกรุงเทพมหานคร", "title": template["name"],
                     "description": "\n".join([template["description"]] + [f"{s['title']}: {s['description']}"
                                                                          for s in template["solutions"]])}
        if http.post(a + "/v1/challenges", json=challenge).status_code != 201:
            raise RuntimeError("could not post the propagation challenge in replica A")
        for i in range(n):
            rid = f"in-prop-{i:04d}"
            body = {**template, "id": rid, "name": f"Propagation {i}"}
            if http.post(a + "/v1/innovators", json=body).status_code != 201:
                raise RuntimeError("write in replica A failed")
            start = time.perf_counter()
            while True:
                data = http.get(f"{b}/v1/challenges/{challenge_id}/matches", params={"k": 200, "include_weak": "true"}).json()["data"]
                if any(m["id"] == rid for m in data):
                    break
                if time.perf_counter() - start > 30:
                    raise RuntimeError(f"{rid} not visible in replica B after 30 s")
                time.sleep(0.01)
            out.append((time.perf_counter() - start) * 1000)
    return out


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


@handle_errors
def bench_service(innovators: int = typer.Option(10_000, help="Stored innovators for the read benchmark"),
                  large: int = typer.Option(100_000, help="Stored innovators for the write-cost and restart figures"),
                  requests: int = typer.Option(300, help="Requests per client (1 client; 8 clients do a quarter each)"),
                  writes: int = typer.Option(40, help="POSTs per write-cost measurement"),
                  database_url: str = typer.Option(None, help="PostgreSQL URL for the replica test (default: one SQLite file)"),
                  cache_from: Path = typer.Option(Path("data/cache"), help="Embedding cache to reuse (bundled texts)"),
                  phases: str = typer.Option("health,reads,writes,propagation", help="Which measurements to run"),
                  update_readme: bool = typer.Option(True, "--update-readme/--no-update-readme")) -> None:
    """Measure the service over HTTP: reads with 1/8 clients and 1/2 workers, write cost at two sizes,
    propagation between two replicas, start-up and restart from a snapshot."""
    from datetime import datetime, timezone

    from eval.cli import machine_description
    from eval.processes import Server

    def fresh(name: str) -> Path:
        data = tmp / name / "data"
        data.mkdir(parents=True)
        if cache_from.exists():
            shutil.copytree(cache_from, data / "cache")
        return data

    tmp = Path(tempfile.mkdtemp(prefix="bench-service-"))
    env = {"MATCHER_SNAPSHOT_INTERVAL": "30"}
    rows: list[str] = []
    try:
        wanted = set(phases.split(","))
        health_s = restart_s = float("nan")
        reads: dict[tuple[int, int], dict[str, float]] = {}
        write_cost: dict[int, list[float]] = {}
        propagation: list[float] = []
        # 1. start-up with an empty data dir (seeds the bundled corpus; encodes in the background)
        server = None if "health" not in wanted else Server(tmp / "empty" / "data", env={**env, "MATCHER_SEED_DEMO": "true"})
        if server is not None:
            server.data_dir.mkdir(parents=True)
            server.start()
            health_s = server.wait_health()
            server.stop()
            typer.echo(f"health after start (empty data dir): {health_s:.2f} s", err=True)
        # 2. reads: 1 and 2 workers, 1 and 8 clients
        data = fresh("reads")
        challenge_ids = populate(data, innovators) if "reads" in wanted else []
        for workers in ((1, 2) if "reads" in wanted else ()):
            server = Server(data, workers=workers, env=env).start()
            try:
                server.wait_ready(timeout=3600, consecutive=2 * workers)
                drive(server.base, challenge_ids, 1, 20)
                reads[(workers, 1)] = drive(server.base, challenge_ids, 1, requests)
                reads[(workers, 8)] = drive(server.base, challenge_ids, 8, max(requests // 4, 20))
            finally:
                server.stop()
            typer.echo(f"reads, {workers} worker(s): {reads[(workers, 1)]} / {reads[(workers, 8)]}", err=True)
        # 3. write cost at 1,000 and at `large` innovators; restart time from a snapshot at `large`
        for size in ((1000, large) if "writes" in wanted else ()):
            data = fresh(f"writes-{size}")
            populate(data, size)
            server = Server(data, env=env).start()
            try:
                server.wait_ready(timeout=7200)
                _post_innovators(server.base, 5, "warm")
                write_cost[size] = _post_innovators(server.base, writes, "timed")
            finally:
                server.stop()  # writes the shutdown snapshot
            typer.echo(f"writes at {size}: p50 {_pct(write_cost[size], 50):.0f} p95 {_pct(write_cost[size], 95):.0f} ms",
                       err=True)
            if size == large:
                server = Server(data, env=env).start()
                started = time.monotonic()
                try:
                    server.wait_ready(timeout=3600)
                    restart_s = time.monotonic() - started
                finally:
                    server.stop()
                typer.echo(f"restart with a snapshot at {size}: {restart_s:.1f} s", err=True)
        # 4. propagation between two replicas on one database
        if "propagation" in wanted:
            data_a, data_b = fresh("replica-a"), tmp / "replica-b" / "data"
            populate(data_a, 2000, database_url)
            url = database_url or f"sqlite:///{(data_a / 'matcher.sqlite3').resolve()}"
            a = Server(data_a, database_url=url, env=env).start()
            b = Server(data_b, database_url=url, env=env)
            try:
                a.wait_ready(timeout=3600)
                b.start().wait_ready(timeout=3600)
                propagation = _propagation(a.base, b.base, 20)
            finally:
                a.stop()
                b.stop()
            typer.echo(f"propagation p50 {_pct(propagation, 50):.0f} p95 {_pct(propagation, 95):.0f} ms", err=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    backend = "PostgreSQL" if database_url else "SQLite (WAL)"
    if wanted != {"health", "reads", "writes", "propagation"}:
        typer.echo(json.dumps({"health_s": health_s, "reads": {f"{w} workers, {c} clients": m for (w, c), m in reads.items()},
                               "write_p95": {k: _pct(v, 95) for k, v in write_cost.items()}, "restart_s": restart_s,
                               "propagation_p95": _pct(propagation, 95) if propagation else None}, indent=2))
        return
    ratio = _pct(write_cost[large], 95) / _pct(write_cost[1000], 95)
    one_worker_8 = reads[(1, 8)]["rps"]
    rows = [
        f"Measured by `matcher bench-service` ({date}, {machine_description()}): `matcher serve` processes on "
        f"loopback HTTP, driven by a second process; reads are `GET /v1/challenges/{{id}}/matches?k=10` with "
        f"{innovators:,} stored innovators (SQLite).", "",
        "| workers | clients | requests | p50 ms | p95 ms | p99 ms | requests/s |", "|---:|---:|---:|---:|---:|---:|---:|",
        *[f"| {w} | {c} | {m['requests']} | {m['p50']:.1f} | {m['p95']:.1f} | {m['p99']:.1f} | {m['rps']:.1f} |"
          for (w, c), m in reads.items()],
        "", "| measure | value |", "|---|---:|",
        f"| 2 workers / 1 worker throughput, 8 clients | {reads[(2, 8)]['rps'] / one_worker_8:.2f}x |",
        f"| `POST /v1/innovators` p95 at 1,000 stored innovators | {_pct(write_cost[1000], 95):.0f} ms |",
        f"| `POST /v1/innovators` p95 at {large:,} stored innovators | {_pct(write_cost[large], 95):.0f} ms |",
        f"| ratio (goal <= 1.5) | {ratio:.2f} |",
        f"| write in replica A visible in replica B's matches ({backend}), p50 / p95 | "
        f"{_pct(propagation, 50):.0f} / {_pct(propagation, 95):.0f} ms |",
        f"| `/v1/health` answers after start, empty data dir | {health_s:.2f} s |",
        f"| restart with a snapshot at {large:,} innovators until `/v1/ready` | {restart_s:.1f} s |",
    ]
    block = "\n".join(rows)
    typer.echo(block)
    if update_readme:
        update_file(README, "service-speed", block)
