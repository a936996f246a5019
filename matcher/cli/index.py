"""`matcher index`: build the challenge and innovator indexes from corpus files."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from matcher.cli.common import data_dir_option, handle_errors, resolve_settings


def build_index(challenges_path: Path, innovators_path: Path, index_dir: Path, cache_dir: Path, dense_kind: str,
                show_progress: bool | None = None) -> dict[str, float]:
    """Load, validate, encode and save; returns counts and timings."""
    from matcher.corpora import load_challenges, load_innovators
    from matcher.documents import challenge_doc, innovator_doc
    from matcher.engine import MatchEngine

    challenges = load_challenges(challenges_path)
    innovators = load_innovators(innovators_path)
    start = time.perf_counter()
    engine = MatchEngine(cache_dir=cache_dir, dense_kind=dense_kind)
    engine.build("challenges", [challenge_doc(c) for c in challenges], show_progress)
    engine.build("innovators", [innovator_doc(i) for i in innovators], show_progress)
    engine.refresh_hubness()
    engine.save(index_dir)
    seconds = time.perf_counter() - start
    return {"challenges": len(challenges), "innovators": len(innovators), "seconds": round(seconds, 2),
            "records_per_second": round((len(challenges) + len(innovators)) / max(seconds, 1e-9), 1)}


@handle_errors
def index(
    challenges: Path = typer.Option(None, help="Challenges file (.jsonl/.csv/.parquet); default: bundled demo corpus"),
    innovators: Path = typer.Option(None, help="Innovators file (.jsonl/.csv/.parquet); default: bundled demo corpus"),
    data_dir: Path = data_dir_option(),
    dense_kind: str = typer.Option(None, help="flat (exact, default), hnsw or ivf"),
    progress: bool = typer.Option(None, "--progress/--no-progress", help="Progress bars (default: when interactive)"),
) -> None:
    """Build the indexes (FAISS + BM25) for challenges and innovators."""
    from matcher.corpora import MAIN_DIR

    settings = resolve_settings(data_dir)
    stats = build_index(challenges or MAIN_DIR / "challenges.jsonl", innovators or MAIN_DIR / "innovators.jsonl",
                        settings.index_dir, settings.cache_dir, dense_kind or settings.dense_kind, progress)
    typer.echo(f"indexed {stats['challenges']} challenges and {stats['innovators']} innovators into "
               f"{settings.index_dir} in {stats['seconds']} s ({stats['records_per_second']} records/s)")
