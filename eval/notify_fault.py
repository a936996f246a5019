"""`matcher notify-fault-test`: kill -9 the notification sender while it sends, count what arrives.

A real SMTP server (aiosmtpd, in this process) records every message it accepts. The outbox is
filled with Thai/English messages; then, run after run, a real sender process
(`python -m service.cli_notify send`) is started and gets SIGKILL at a random moment shortly after
its first delivery of the run; finally a sender that is not killed (in this process, once the
killed senders' leases ran out) delivers the rest. Every outbox Message-ID must
have arrived (none lost), each row must be marked sent, and a Message-ID that arrived twice can
only be the message in flight when a sender was killed (the crash window between the server's
acceptance and the commit of `sent_at`, see service.notify_sender). The figures are printed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import typer

from matcher.cli.common import handle_errors

from eval.processes import free_port

FAULT_LOGIN = "innovator.fault@bic.example"
KILL_WITHIN = 0.1
"""Seconds after a run's first delivery within which the kill falls (uniformly): a few messages."""
PER_RUN = 40
LEASE = 1.5
"""The senders' lease (seconds): how long a killed sender's claims wait before another takes them."""


@dataclass(frozen=True)
class Received:
    """One message as the SMTP server accepted it."""

    recipients: tuple[str, ...]
    content: bytes

    @property
    def message_id(self) -> str:
        return str(message_from_bytes(self.content, policy=default_policy)["Message-ID"])


class RecordingSMTP:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts; `refuse`
    names recipients to reject permanently (550)."""

    def __init__(self, port: int | None = None, refuse: Callable[[str], bool] | None = None):
        self.port = port or free_port()
        self.refuse = refuse or (lambda address: False)
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook
        if self.refuse(address):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        with self._lock:
            self.messages.append(Received(tuple(envelope.rcpt_tos), bytes(envelope.original_content or
                                                                          envelope.content)))
        return "250 2.0.0 accepted"

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def start(self) -> "RecordingSMTP":
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            raise ImportError("the SMTP tests need aiosmtpd: pip install 'bic-matcher[test]'") from None
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "RecordingSMTP":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def fill_outbox(sessions, messages: int) -> list[str]:
    """An agency, a challenge, an innovator with one account (an e-mail login) and `messages`
    invitations for it (distinct items); returns the outbox Message-IDs."""
    from sqlalchemy import select

    from matcher.records import Challenge, Innovator

    from service import notify
    from service.accounts import new_user
    from service.db import Agency, ChallengeRow, InnovatorRow, OutboxMessage

    with sessions.write() as session:
        session.add(Agency(id="ag-fault", name_th="สำนักการระบายน้ำ", name_en="Drainage and Sewerage Department"))
        challenge = Challenge(id="c-fault", agency="สำนักการระบายน้ำ", title="ระบบเตือนน้ำท่วมซอยด้วยเซนเซอร์ระดับน้ำ",
                              description="ต้องการเซนเซอร์วัดระดับน้ำในซอยและแจ้งเตือนประชาชนก่อนน้ำท่วมขัง")
        innovator = Innovator(id="in-fault", name="ทีมเซนเซอร์น้ำ Bangkok Flood Lab", kind="startup",
                              description="Low-cost water level sensors with LINE alerts",
                              solutions=[{"title": "เซนเซอร์ระดับน้ำ", "description": "IoT water level sensor", "trl": 6}])
        session.add(ChallengeRow(id="c-fault", agency_id="ag-fault", status="open", confidential=False,
                                 data=challenge.model_dump(mode="json")))
        session.add(InnovatorRow(id="in-fault", data=innovator.model_dump(mode="json")))
        session.flush()
        user = new_user(session, FAULT_LOGIN, "ทีมเซนเซอร์น้ำ", "fault-test-password", "innovator",
                        innovator_id="in-fault")
        challenge = session.get(ChallengeRow, "c-fault")
        for n in range(messages):
            params = {**notify.challenge_params(challenge), "innovator": "ทีมเซนเซอร์น้ำ Bangkok Flood Lab",
                      "note": f"ข้อความที่ {n + 1}: เชิญนำเสนอภายในวันศุกร์ (message {n + 1})"}
            notify.announce(session, "invited", [user], f"fault:{n}", params, challenge_id="c-fault",
                            innovator_id="in-fault")
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage.message_id).order_by(OutboxMessage.id)))


@dataclass
class FaultFigures:
    """What the kill -9 runs measured."""

    runs: int = 0
    kills_while_sending: int = 0
    messages: int = 0
    received: int = 0
    distinct_received: int = 0
    duplicates: int = 0
    lost: int = 0
    unexpected: int = 0
    marked_sent: int = 0
    resent_after_kill: int = 0
    duplicates_not_in_flight: int = 0
    """Duplicated Message-IDs whose row was attempted only once (impossible if the design holds)."""
    duplicate_copies_differ: int = 0
    seconds: float = 0.0
    duplicated_ids: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"runs {self.runs} (killed while sending: {self.kills_while_sending}), {self.messages} messages in "
                f"the outbox", f"received {self.received} deliveries, {self.distinct_received} distinct Message-IDs; "
                f"duplicates {self.duplicates}, lost {self.lost}, unexpected {self.unexpected}",
                f"rows marked sent {self.marked_sent} / {self.messages}; rows re-attempted after a kill "
                f"{self.resent_after_kill}; duplicates of a row attempted once {self.duplicates_not_in_flight}; "
                f"duplicate copies that differ {self.duplicate_copies_differ}", f"{self.seconds:.1f} s"]


def _sender(data_dir: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """A real sender process (the loop of `matcher notifications send`), in its own process group."""
    command = [sys.executable, "-m", "service.cli_notify", "send", "--data-dir", str(data_dir)]
    with open(log, "ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def kill_runs(work: Path, runs: int, messages: int, *, seed: int = 0, database_url: str | None = None,
              progress: Callable[[str], None] | None = None, run_timeout: float = 60.0) -> FaultFigures:
    """`runs` senders killed with SIGKILL at a random moment after their first delivery, then one
    sender that finishes; returns the figures (see the module docstring)."""
    from sqlalchemy import select

    from service.changes import Sessions
    from service.db import OutboxMessage, make_engine, migrate
    from service.config import ServiceSettings
    from service.notify_sender import send_all_due

    rng = random.Random(seed)
    started = time.monotonic()
    data_dir = work / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = ServiceSettings(data_dir=data_dir, database_url=database_url, seed_demo=False)
    engine = make_engine(settings.db_url)
    migrate(engine)
    sessions = Sessions.for_engine(engine)
    expected = fill_outbox(sessions, messages)
    figures = FaultFigures(messages=len(expected))
    log = work / "sender.log"
    with RecordingSMTP() as smtp:
        env = {**os.environ, "MATCHER_SMTP_HOST": "127.0.0.1", "MATCHER_SMTP_PORT": str(smtp.port),
               "MATCHER_SMTP_TIMEOUT": "5", "MATCHER_NOTIFY_LEASE": str(LEASE), "MATCHER_NOTIFY_POLL_INTERVAL": "0.05",
               "MATCHER_NOTIFY_RETRY_BASE": "0.2", "MATCHER_SEED_DEMO": "false",
               "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                              os.environ.get("PYTHONPATH", "")])}
        if database_url:
            env["DATABASE_URL"] = database_url
        for run in range(runs):
            before = smtp.count()
            if before >= len(expected) and _all_sent(sessions):
                break
            proc = _sender(data_dir, env, log)
            deadline = time.monotonic() + run_timeout
            while smtp.count() == before and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, KILL_WITHIN))
            sending = not _all_sent(sessions)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            figures.runs += 1
            figures.kills_while_sending += int(sending and smtp.count() > before)
            if progress:
                progress(f"run {run + 1}/{runs}: killed after {smtp.count() - before} deliveries "
                         f"({smtp.count()} in all)")
        # The rest, by a sender that is not killed (in this process, on the same code), once the
        # killed senders' leases have run out.
        time.sleep(LEASE)
        deadline = time.monotonic() + run_timeout
        final = settings.model_copy(update={"smtp_port": smtp.port, "smtp_timeout": 5.0, "notify_lease": LEASE})
        while not _all_sent(sessions) and time.monotonic() < deadline:
            send_all_due(sessions, final)
            time.sleep(0.05)
        received = list(smtp.messages)
    with sessions() as session:
        rows = {r.message_id: r for r in session.scalars(select(OutboxMessage))}
        figures.marked_sent = sum(1 for r in rows.values() if r.sent_at is not None)
        figures.resent_after_kill = sum(1 for r in rows.values() if r.attempts > 1)
        attempts = {mid: r.attempts for mid, r in rows.items()}
    engine.dispose()
    counts = Counter(m.message_id for m in received)
    copies: dict[str, set[bytes]] = {}
    for m in received:
        copies.setdefault(m.message_id, set()).add(m.content)
    figures.received = len(received)
    figures.distinct_received = len(counts)
    figures.duplicates = sum(c - 1 for c in counts.values())
    figures.lost = sum(1 for mid in expected if mid not in counts)
    figures.unexpected = sum(1 for mid in counts if mid not in attempts)
    figures.duplicated_ids = sorted(mid for mid, c in counts.items() if c > 1)
    figures.duplicates_not_in_flight = sum(1 for mid in figures.duplicated_ids if attempts.get(mid, 0) < 2)
    figures.duplicate_copies_differ = sum(1 for mid in figures.duplicated_ids if len(copies[mid]) > 1)
    figures.seconds = time.monotonic() - started
    return figures


def _all_sent(sessions) -> bool:
    from sqlalchemy import func, select

    from service.db import OutboxMessage

    with sessions() as session:
        return not session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))


@handle_errors
def notify_fault_test(runs: int = typer.Option(20, min=1, help="Sender processes killed with SIGKILL"),
                      messages: int = typer.Option(0, min=0, help=f"Outbox messages (0: {PER_RUN} per run)"),
                      seed: int = typer.Option(0, help="Seed of the kill moments"),
                      database_url: str = typer.Option(None, help="PostgreSQL URL of an empty database (default: SQLite)"),
                      json_output: bool = typer.Option(False, "--json", help="Print the figures as JSON")) -> None:
    """kill -9 the e-mail sender RUNS times while it delivers to a real SMTP server; print the
    figures (messages, received, duplicates, lost). Exit 1 if a message was lost."""
    with tempfile.TemporaryDirectory(prefix="bic-notify-fault-") as tmp:
        figures = kill_runs(Path(tmp), runs, messages or PER_RUN * runs, seed=seed, database_url=database_url,
                            progress=lambda line: typer.echo(line, err=True))
    if json_output:
        import json

        typer.echo(json.dumps(asdict(figures), indent=2))
    else:
        for line in figures.lines():
            typer.echo(line)
    if figures.lost or figures.unexpected or figures.marked_sent != figures.messages:
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(notify_fault_test)
