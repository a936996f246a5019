"""`matcher calibrate`: estimate the language means that '+center' encoders subtract."""

from __future__ import annotations

from pathlib import Path

import typer

from matcher.cli.common import data_dir_option, handle_errors, resolve_settings


@handle_errors
def calibrate(encoder: str = typer.Argument(..., help="Base encoder id, e.g. e5-small, use-m3, st:models/x"),
              data_dir: Path = data_dir_option()) -> None:
    """Estimate per-language mean vectors on the bundled parallel Thai/English text."""
    from matcher.calibration import calibrate as run

    settings = resolve_settings(data_dir)
    path = run(encoder, settings.cache_dir, None)
    typer.echo(f"wrote {path}")
