"""Entry point of the `matcher` command."""

from __future__ import annotations

import sys

import typer

from matcher.cli.calibrate import calibrate
from matcher.cli.demo import demo
from matcher.cli.export import export_model
from matcher.cli.index import index
from matcher.cli.match import match

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Bangkok Innovation Center matcher: pain points <-> innovators, Thai and English.")
app.command()(index)
app.command()(match)
app.command()(demo)
app.command()(calibrate)
app.command(name="export-model")(export_model)


def _register_plugins() -> None:
    """Commands contributed by other packages of the distribution (eval, service) via entry points,
    so that the library does not import them."""
    from importlib.metadata import entry_points

    for entry in entry_points(group="matcher.commands"):
        try:
            command = entry.load()
            if isinstance(command, typer.Typer):
                app.add_typer(command, name=entry.name)
            else:
                app.command(name=entry.name)(command)
        except ImportError as exc:  # an optional extra is not installed
            message = f"`matcher {entry.name}` is unavailable: {exc}"

            def unavailable(message: str = message) -> None:
                raise SystemExit(f"error: {message}")

            app.command(name=entry.name, help=message)(unavailable)


_register_plugins()


def run() -> None:
    """Console-script entry: UTF-8 output whatever the locale, so Thai never turns into '?'."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    app()


if __name__ == "__main__":
    run()
