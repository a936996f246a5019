"""`matcher serve` and `matcher keys`, registered as plugins of the matcher CLI."""

from __future__ import annotations

from pathlib import Path

import typer

from matcher.cli.common import handle_errors

keys = typer.Typer(help="Manage API keys (printed once, stored hashed).", no_args_is_help=True)


def _settings(data_dir: Path | None):
    from service.config import get_service_settings

    settings = get_service_settings()
    return settings.model_copy(update={"data_dir": data_dir}) if data_dir else settings


def open_database(data_dir: Path | None, durable: bool = True):
    """(settings, engine, sessions) of the service's database, migrated: what every database command
    opens (`durable`: see service.db.make_engine)."""
    from service.changes import Sessions
    from service.db import make_engine, migrate

    settings = _settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url, durable=durable)
    migrate(engine)
    return settings, engine, Sessions.for_engine(engine)


@handle_errors
def serve(host: str = typer.Option("127.0.0.1", help="Interface to bind"),
          port: int = typer.Option(8000, help="Port"),
          data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (SQLite file, indexes, cache)"),
          workers: int = typer.Option(1, min=1, max=64, help="Worker processes; each follows the database's change log"),
          log_level: str = typer.Option("info")) -> None:
    """Start the API and web UI (http://HOST:PORT, /docs for the OpenAPI UI).

    With --workers N, uvicorn starts N processes from the import string of the app factory; the
    settings reach them through the environment. Migrations and seeding run once here first."""
    import os

    import uvicorn

    from service.app import create_app
    from service.changes import Sessions
    from service.db import make_engine, migrate
    from service.config import DEMO_PASSWORD
    from service.seed import DEMO_ACCOUNTS, ensure_accounts, ensure_admin_key, seed_demo

    settings = _settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    typer.echo(f"serving on http://{host}:{port} with {workers} worker(s) (data in {settings.data_dir}, "
               f"database {settings.db_url.split('@')[-1]})")
    if settings.wants_demo_accounts:
        typer.echo(f"demo log-ins (password {DEMO_PASSWORD}): " + ", ".join(a[0] for a in DEMO_ACCOUNTS))
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
        return
    engine = make_engine(settings.db_url)
    migrate(engine)
    sessions = Sessions.for_engine(engine)
    with sessions.write() as session:
        if settings.seed_demo:
            seed_demo(session)
        ensure_accounts(session, settings)
        if settings.bootstrap_admin_key:
            ensure_admin_key(session, settings.bootstrap_admin_key)
    engine.dispose()
    os.environ["MATCHER_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["MATCHER_MIGRATE_ON_START"] = "false"
    # Several processes on few cores: one BLAS/OpenMP thread each, or their idle threads spin
    # against each other (an operator's explicit setting wins).
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    if settings.database_url:
        os.environ["DATABASE_URL"] = settings.database_url
    uvicorn.run("service.app:create_app", factory=True, host=host, port=port, workers=workers, log_level=log_level)


@keys.command("create")
@handle_errors
def create(role: str = typer.Option(..., help="admin | agency | innovator"),
           agency: str = typer.Option(None, "--agency", help="Agency id (role agency)"),
           innovator: str = typer.Option(None, "--innovator", help="Innovator id (role innovator)"),
           label: str = typer.Option("", help="A note about who holds the key"),
           data_dir: Path = typer.Option(None, "--data-dir")) -> None:
    """Create an API key and print it once."""
    from service.auth import create_key
    from service.db import make_engine, migrate, session_factory
    from service.errors import ServiceError

    settings = _settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    migrate(engine)
    with session_factory(engine)() as session:
        try:
            key = create_key(session, role, agency, innovator, label)
        except ServiceError as exc:
            raise ValueError(exc.message) from None
        session.commit()
    typer.echo(key)
