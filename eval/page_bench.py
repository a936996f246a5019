"""`matcher bench-pages`: how fast the challenge page renders for its agency, over loopback HTTP.

The page an agency officer opens most: the challenge with its ten suggestions, each with the
matched solution, fit band, reason and contact. A fresh `matcher serve` over `--innovators`
stored innovators (service_bench.populate: the bundled corpus plus clones with stored vectors);
an administrator logs in through the login form, and the pages of every open challenge are
fetched in turn (the first round warms the solution-vector cache, as a running service is).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import typer

from eval.markers import update_file
from eval.service_bench import README, populate

LOGIN, PASSWORD = "bench-admin", "bench-admin-password"


def bench_pages(innovators: int = typer.Option(10_000, help="Stored innovators"),
                rounds: int = typer.Option(2, help="Timed passes over the open challenges (after one warm pass)"),
                cache_from: Path = typer.Option(Path("data/cache"), help="Embedding cache to reuse (bundled texts)"),
                update_readme: bool = typer.Option(True, "--update-readme/--no-update-readme")) -> None:
    """Measure GET /challenges/{id} (agency view with suggestions): p50 / p95 / p99 in ms."""
    from datetime import datetime, timezone

    import httpx

    from eval.cli import machine_description
    from eval.processes import Server

    tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    try:
        data = tmp / "data"
        data.mkdir(parents=True)
        if cache_from.exists():
            shutil.copytree(cache_from, data / "cache")
        typer.echo(f"populating {innovators:,} innovators...", err=True)
        challenge_ids = populate(data, innovators)
        server = Server(data, env={"MATCHER_BOOTSTRAP_ADMIN_LOGIN": LOGIN, "MATCHER_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD})
        server.start()
        try:
            server.wait_ready(timeout=3600)
            with httpx.Client(base_url=server.base, timeout=60, headers={"accept": "text/html"}) as http:
                http.get("/login")
                answer = http.post("/login", data={"login": LOGIN, "password": PASSWORD,
                                                    "csrf": http.cookies.get("bic_csrf")})
                if answer.status_code != 303 or answer.headers.get("location") != "/admin":
                    raise RuntimeError(f"login failed: HTTP {answer.status_code}")
                latencies: list[float] = []
                for round_ in range(rounds + 1):
                    for cid in challenge_ids:
                        start = time.perf_counter()
                        page = http.get(f"/challenges/{cid}")
                        elapsed = (time.perf_counter() - start) * 1000
                        if page.status_code != 200 or not re.search(r'class="card suggestion"|id="nothing-fits"',
                                                                     page.text):
                            raise RuntimeError(f"/challenges/{cid}: HTTP {page.status_code} without suggestions")
                        if round_ > 0:
                            latencies.append(elapsed)
                    typer.echo(f"pass {round_}: {len(challenge_ids)} pages", err=True)
        finally:
            server.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    arr = np.asarray(latencies)
    p50, p95, p99 = (float(np.percentile(arr, q)) for q in (50, 95, 99))
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    block = "\n".join([
        f"Measured by `matcher bench-pages` ({date}, {machine_description()}): `GET /challenges/{{id}}` as the owning "
        f"agency (up to ten suggestions above the relevance floor, with matched solution, fit band, reason, contact) over loopback HTTP, "
        f"{innovators:,} stored innovators, SQLite, 1 worker, {len(latencies)} timed requests over "
        f"{len(challenge_ids)} open challenges after one warm pass.", "",
        "| p50 ms | p95 ms | p99 ms | goal p95 |", "|---:|---:|---:|---:|",
        f"| {p50:.1f} | {p95:.1f} | {p99:.1f} | ≤ 150 ms |"])
    typer.echo(block)
    if update_readme:
        update_file(README, "page-speed", block)
