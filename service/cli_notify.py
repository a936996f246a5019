"""`matcher notifications send | scan`: the e-mail sender and the alert scan (a plugin of the matcher CLI).

Both use the service's database (the same settings as `matcher serve`, SMTP from MATCHER_SMTP_*).
Also runnable as `python -m service.cli_notify ...` (what the kill -9 runs start).
"""

from __future__ import annotations

from pathlib import Path

import typer

from matcher.cli.common import fail, handle_errors

notifications = typer.Typer(help="Notifications: send the e-mail outbox, scan for saved-search and suggestion alerts.",
                            no_args_is_help=True)


def _echo(line: str) -> None:
    typer.echo(line, err=True)


def _stop_on_signals():
    import signal
    import threading

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _scanner(settings, sessions, min_band: str, quiet: bool = False):
    """A function running one alert scan on an index this process builds once (from a snapshot or
    the stored vectors), then keeps following the change log. `quiet`: report a scan only when it
    wrote something (the sender loop)."""
    from service.indexing import IndexService
    from service.notify_alerts import scan

    index = IndexService(settings.model_copy(update={"seed_demo": False}), sessions)
    index.start()

    def run_scan():
        import time

        last = ""
        while not index.ready:
            if index.status == "failed":
                fail("the index could not be prepared, so no alert scan (the error is logged above)")
            progress = index.progress
            line = f"preparing the index ({progress['phase']}: {progress['indexed']:,} / {progress['total']:,})"
            if line != last:
                _echo(line)
                last = line
            time.sleep(0.5)
        report = scan(sessions, index, min_band, progress=None if quiet else _echo)
        if quiet and not report.notifications:
            return report
        _echo(f"alert scan: {report.saved_searches} saved searches, {report.challenges} open challenges "
              f"({report.first_seen} seen for the first time), {report.notifications} notifications written"
              + (f"; {len(report.skipped)} not indexed yet" if report.skipped else ""))
        return report

    return index, run_scan


@notifications.command("send")
@handle_errors
def send_command(once: bool = typer.Option(False, "--once", help="Send what is due now, then exit"),
                 data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (SQLite file, indexes)"),
                 scan_interval: float = typer.Option(0.0, min=0, help="Also run the alert scan every SECONDS (0: never)"),
                 min_band: str = typer.Option(None, help="strong | possible | weak (default MATCHER_NOTIFY_MIN_BAND)")
                 ) -> None:
    """Deliver the e-mail outbox over SMTP: retries with backoff, each message marked sent once.
    Without --once it keeps running until SIGTERM / Ctrl-C."""
    from service.cli import open_database
    from service.notify_sender import run, send_all_due

    settings, engine, sessions = open_database(data_dir, durable=False)
    stop = _stop_on_signals()
    index = None
    try:
        if once:
            report = send_all_due(sessions, settings, stop=stop)
            typer.echo(f"sent {report.sent}, retrying later {report.retried}, failed {report.failed}"
                       + (f", {report.in_doubt} resent after a crashed sender" if report.in_doubt else ""))
            for error in report.errors[-5:]:
                _echo(f"  {error}")
            return
        scan = None
        if scan_interval > 0:
            index, scan = _scanner(settings, sessions, min_band or settings.notify_min_band, quiet=True)
        _echo(f"sending notifications through {settings.smtp_host}:{settings.smtp_port} "
              f"(poll every {settings.notify_poll_interval:g} s)")
        run(sessions, settings, stop, scan=scan, scan_interval=scan_interval, echo=_echo)
    finally:
        if index is not None:
            index.stop()
        engine.dispose()


@notifications.command("scan")
@handle_errors
def scan_command(data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (SQLite file, indexes)"),
                 min_band: str = typer.Option(None, help="strong | possible | weak (default MATCHER_NOTIFY_MIN_BAND)")
                 ) -> None:
    """One alert scan: new challenges for every saved search, new strong fits for every open
    challenge; each alert written with its outbox rows in one transaction, never twice."""
    from service.cli import open_database

    settings, engine, sessions = open_database(data_dir)
    index = None
    try:
        index, scan = _scanner(settings, sessions, min_band or settings.notify_min_band)
        report = scan()
        typer.echo(f"{report.notifications} notifications")
    finally:
        if index is not None:
            index.stop()
        engine.dispose()


if __name__ == "__main__":
    import sys

    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    notifications()
