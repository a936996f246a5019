"""`matcher consortium CHALLENGE_ID`: teams of 2-3 innovators that together cover a challenge's needs."""

from __future__ import annotations

from pathlib import Path

import typer

from matcher.cli.common import data_dir_option, handle_errors, print_json, resolve_settings


@handle_errors
def consortium(
    challenge: str = typer.Argument(..., help="Stored challenge id"),
    teams: int = typer.Option(3, "--teams", min=1, max=10, help="Number of teams to propose"),
    as_json: bool = typer.Option(False, "--json", help="JSON output"),
    data_dir: Path = data_dir_option(),
) -> None:
    """Split a challenge into its needs and propose teams whose members together cover them."""
    from matcher.consortium import consortia_for
    from matcher.engine import open_engine

    settings = resolve_settings(data_dir)
    engine = open_engine(settings.index_dir, settings.cache_dir)
    suggestion = consortia_for(engine, challenge, n_teams=teams)
    if as_json:
        print_json(suggestion.to_dict())
    else:
        typer.echo(suggestion.to_markdown())
