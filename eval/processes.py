"""Real `matcher serve` processes, for benchmarks and for end-to-end, multi-worker, replica and fault tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `matcher serve` process (its own process group, so a kill reaches its workers)."""

    def __init__(self, data_dir: Path, *, workers: int = 1, database_url: str | None = None,
                 env: dict[str, str] | None = None, port: int | None = None):
        self.data_dir = data_dir
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        # benchmarks and fault runs send far more than a person would: no rate limits unless asked
        self.env = {**os.environ, "MATCHER_SEED_DEMO": "false", "MATCHER_RATE_LIMIT_SEARCH": "",
                    "MATCHER_RATE_LIMIT_WRITE": "", "MATCHER_RATE_LIMIT_KEY": "", **(env or {})}
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.proc: subprocess.Popen | None = None
        self.log = data_dir.parent / f"server-{self.port}.log"

    def start(self) -> "Server":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "matcher.cli.main", "serve", "--port", str(self.port), "--data-dir",
                 str(self.data_dir), "--workers", str(self.workers), "--log-level", "warning"],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_health(self, timeout: float = 60.0) -> float:
        """Seconds from now until /v1/health answers 200."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            try:
                if httpx.get(self.base + "/v1/health", timeout=2).status_code == 200:
                    return time.monotonic() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"no health answer after {timeout} s:\n{self.log.read_text()[-3000:]}")

    def wait_ready(self, timeout: float = 240.0, consecutive: int = 1) -> None:
        """Until /v1/ready is 200 `consecutive` times in a row (several workers answer in turn)."""
        deadline = time.monotonic() + timeout
        streak = 0
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                ok = httpx.get(self.base + "/v1/ready", timeout=5).status_code == 200
            except httpx.HTTPError:
                ok = False
            streak = streak + 1 if ok else 0
            if streak >= consecutive:
                return
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout} s:\n{self.log.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        import psutil

        return [child.pid for child in psutil.Process(self.proc.pid).children(recursive=True)
                if "multiprocessing" in " ".join(child.cmdline()) or self.workers == 1]

    def kill(self) -> None:
        """kill -9 of the whole process group (the supervisor and every worker)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()


def fresh_postgres_database(base_url: str, prefix: str = "bic_") -> str:
    """A new, empty database on the PostgreSQL server of `base_url`; its URL (tests and long runs
    each get their own, so they never see each other's rows)."""
    import uuid

    from sqlalchemy import create_engine, text

    name = prefix + uuid.uuid4().hex[:10]
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name
