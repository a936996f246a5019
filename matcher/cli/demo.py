"""`matcher demo`: the main job end to end on the embedded defaults."""

from __future__ import annotations

from pathlib import Path

import typer

from matcher.cli.common import data_dir_option, handle_errors, resolve_settings

DEMO_CHALLENGES = 4


@handle_errors
def demo(data_dir: Path = data_dir_option(), k: int = typer.Option(5, "-k", min=1, max=50),
         rebuild: bool = typer.Option(False, help="Rebuild the index even if one exists")) -> None:
    """Index the bundled corpus with the bundled encoders and show suggested innovators with reasons."""
    from matcher.cli.index import build_index
    from matcher.cli.match import print_table
    from matcher.corpora import MAIN_DIR, load_challenges
    from matcher.engine import MatchEngine, open_engine

    settings = resolve_settings(data_dir)
    if rebuild or not MatchEngine.index_exists(settings.index_dir):
        typer.echo("building the index from the bundled demo corpus (first run encodes every record)...")
        stats = build_index(MAIN_DIR / "challenges.jsonl", MAIN_DIR / "innovators.jsonl", settings.index_dir,
                            settings.cache_dir, settings.dense_kind, None)
        typer.echo(f"indexed {stats['challenges']} challenges and {stats['innovators']} innovators "
                   f"in {stats['seconds']} s")
    engine = open_engine(settings.index_dir, settings.cache_dir)
    challenges = load_challenges(MAIN_DIR / "challenges.jsonl")
    picks = [c for c in challenges if c.language == "th"][:2] + [c for c in challenges if c.language == "en"][:1] + \
        [c for c in challenges if c.language == "mixed"][:1]
    for challenge in picks[:DEMO_CHALLENGES]:
        typer.echo(f"\n[{challenge.id}] {challenge.agency}: {challenge.title}\n{challenge.description[:300]}")
        print_table(f"Suggested innovators for {challenge.id}", engine.match_challenge(challenge.id, k),
                    "th" if challenge.language != "en" else "en")
    innovator_id = next(iter(engine.collection("innovators").docs))
    print_table(f"Open challenges for innovator {innovator_id}", engine.match_innovator(innovator_id, k))
    query = "แพลตฟอร์มแจ้งเตือนน้ำท่วมด้วยเซนเซอร์"
    print_table(f"Innovators for free text: {query}", engine.search_text(query, "innovators", k), "th")
