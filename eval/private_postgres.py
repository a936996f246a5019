"""A throw-away PostgreSQL 15 cluster of our own (initdb + pg_ctl in a temp dir, on a free port).

The outage test stops and starts the database under a running service; doing that to the shared
cluster would break everybody else's tests, so it gets a private one. PostgreSQL refuses to run as
root, so when we are root the binaries run as the `postgres` OS user (`su postgres`).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from eval.processes import free_port

PG_BIN = Path(os.environ.get("MATCHER_PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"


def unavailable_reason() -> str | None:
    """Why a private cluster cannot be run here (None when it can): for pytest's skip."""
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not (PG_BIN / tool).exists():
            return f"no {PG_BIN / tool} (set MATCHER_PG_BIN to PostgreSQL's bin directory)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam(OS_USER)
        except KeyError:
            return f"running as root and there is no {OS_USER!r} OS user to run PostgreSQL as"
        if shutil.which("su") is None:
            return "running as root and `su` is missing"
    return None


class PrivatePostgres:
    """One cluster: `init()`, `start()`, `stop()` (fast shutdown, as an operator's restart does),
    `remove()`. `url` is a SQLAlchemy URL for its `postgres` database (trust authentication, only
    on 127.0.0.1)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="bic-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            import pwd

            entry = pwd.getpwnam(OS_USER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = " ".join(shlex.quote(a) for a in args)
        argv = ["su", OS_USER, "-s", "/bin/sh", "-c", command] if os.geteuid() == 0 else ["/bin/sh", "-c", command]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{command} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")

    def init(self) -> "PrivatePostgres":
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        return self

    def start(self) -> "PrivatePostgres":
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60",
                  "start")
        return self

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, new ones refused, as in a database restart."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        if self.running():
            try:
                self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except RuntimeError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PrivatePostgres":
        return self.init().start()

    def __exit__(self, *_exc) -> None:
        self.remove()
