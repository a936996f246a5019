"""`matcher export-model`: write the bundled e5-small as a sentence-transformers directory."""

from __future__ import annotations

from pathlib import Path

import typer

from matcher.cli.common import handle_errors

DEFAULT_OUT = Path("models/multilingual-e5-small")


@handle_errors
def export_model(out: Path = typer.Option(DEFAULT_OUT, "--out", help="Output directory")) -> None:
    """Export the bundled multilingual-e5-small (dequantised) for sentence-transformers and fine-tuning."""
    from matcher.export import export_sentence_transformer

    path = export_sentence_transformer(out)
    typer.echo(f"wrote {path}; load it with SentenceTransformer('{path}') or use encoder id 'st:{path}'")
