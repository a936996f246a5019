"""`matcher bench-service`: latency and throughput of the running service over HTTP.

Starts `matcher serve` on a loopback port with 10,000 stored innovators and drives
GET /v1/challenges/{id}/matches from this (second) process with 1 and 8 concurrent clients.
The 10,000 innovators are the 400 demo profiles cloned under new ids with unchanged text, so
their embeddings come from the cache (no hour-long encoding) while FAISS, BM25, fusion, the
database and HTTP do the full work of a 10,000-record collection.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import typer

from matcher.cli.common import handle_errors
from matcher.corpora import PROJECT_ROOT, load_demo

from eval.markers import update_file

README = PROJECT_ROOT / "README.md"
ADMIN_KEY = "bench-admin-" + "x" * 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def populate(data_dir: Path, n_innovators: int) -> list[str]:
    """Write demo challenges and n cloned innovators straight into a fresh database."""
    from service.config import ServiceSettings
    from service.db import InnovatorRow, make_engine, migrate, session_factory
    from service.seed import ensure_admin_key, seed_demo

    settings = ServiceSettings(data_dir=data_dir)
    engine = make_engine(settings.db_url)
    migrate(engine)
    corpus = load_demo()
    with session_factory(engine)() as session:
        seed_demo(session)
        base = [i.model_dump(mode="json") for i in corpus.innovators]
        for n in range(len(base), n_innovators):
            clone = {**base[n % len(base)], "id": f"in-clone-{n:06d}"}
            session.add(InnovatorRow(id=clone["id"], data=clone))
        session.commit()
        ensure_admin_key(session, ADMIN_KEY)
    engine.dispose()
    return [c.id for c in corpus.challenges if c.status == "open"]


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


@handle_errors
def bench_service(innovators: int = typer.Option(10_000, help="Stored innovators"),
                  requests: int = typer.Option(300, help="Requests per client"),
                  cache_from: Path = typer.Option(Path("data/cache"), help="Embedding cache to reuse (warm demo texts)"),
                  update_readme: bool = typer.Option(True, "--update-readme/--no-update-readme")) -> None:
    """Start the service with N innovators and measure matches latency with 1 and 8 clients."""
    from datetime import datetime, timezone

    import httpx

    from eval.cli import machine_description

    tmp = Path(tempfile.mkdtemp(prefix="bench-service-"))
    try:
        data = tmp / "data"
        data.mkdir()
        if cache_from.exists():
            shutil.copytree(cache_from, data / "cache")
        challenge_ids = populate(data, innovators)
        port = _free_port()
        env = {**os.environ, "MATCHER_SEED_DEMO": "false"}
        server = subprocess.Popen([sys.executable, "-m", "matcher.cli.main", "serve", "--port", str(port),
                                   "--data-dir", str(data), "--log-level", "warning"], env=env)
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 3600
            while time.time() < deadline:
                try:
                    if httpx.get(base_url + "/v1/ready", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None:
                    raise RuntimeError("the server exited during start-up")
                time.sleep(1)
            drive(base_url, challenge_ids, 1, 20)  # warm-up: query embeddings into the cache
            one = drive(base_url, challenge_ids, 1, requests)
            eight = drive(base_url, challenge_ids, 8, max(requests // 4, 20))
        finally:
            server.terminate()
            server.wait(timeout=60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    block = "\n".join([
        f"Measured by `matcher bench-service` ({date}, {machine_description()}): `matcher serve` (uvicorn, 1 worker, SQLite) "
        f"with {innovators:,} innovators, driven over loopback HTTP by a second process, "
        "`GET /v1/challenges/{id}/matches?k=10` with an API key:", "",
        "| clients | requests | p50 ms | p95 ms | p99 ms | requests/s |", "|---:|---:|---:|---:|---:|---:|",
        *[f"| {c} | {m['requests']} | {m['p50']:.1f} | {m['p95']:.1f} | {m['p99']:.1f} | {m['rps']:.1f} |"
          for c, m in ((1, one), (8, eight))]])
    typer.echo(block)
    if update_readme:
        update_file(README, "service-speed", block)
