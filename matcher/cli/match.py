"""`matcher match`: suggestions for a stored challenge, a stored innovator, or free text."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from matcher.cli.common import EXIT_USAGE, data_dir_option, fail, handle_errors, print_json, resolve_settings


class Target(str, Enum):
    innovators = "innovators"
    challenges = "challenges"


def print_table(title: str, hits, lang: str = "en") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in ("#", "id", "name / title", "fit", "why"):
        table.add_column(col, overflow="fold")
    for h in hits:
        fit = f"{h.fit} {h.band}" if h.fit is not None else "-"
        table.add_row(str(h.rank), h.key, h.title, fit, h.explanation.get("summary", {}).get(lang, ""))
    console = Console()
    console.print(table)
    if not hits:
        console.print("nothing fits well enough to suggest / ไม่มีรายการที่เหมาะพอจะแนะนำ")


@handle_errors
def match(
    challenge: str = typer.Option(None, "--challenge", "-c", help="Stored challenge id -> innovators"),
    innovator: str = typer.Option(None, "--innovator", "-i", help="Stored innovator id -> open challenges"),
    text: str = typer.Option(None, "--text", "-t", help="Free text (Thai/English/mixed)"),
    target: Target = typer.Option(Target.innovators, help="For --text: search innovators or challenges"),
    k: int = typer.Option(10, "-k", min=1, max=1000, help="Number of results"),
    mode: str = typer.Option(None, help="dense | lexical | hybrid (default: hybrid)"),
    sector: list[str] = typer.Option(None, help="Only these sectors (repeatable)"),
    theme: list[str] = typer.Option(None, help="Only these themes (repeatable)"),
    district: list[str] = typer.Option(None, help="Only these districts (repeatable)"),
    kind: list[str] = typer.Option(None, help="Innovators only: these kinds, e.g. startup (repeatable)"),
    status: list[str] = typer.Option(None, help="Challenges only: this status, e.g. open (repeatable)"),
    language: list[str] = typer.Option(None, help="Only records written in this language, e.g. th (repeatable)"),
    min_trl: int = typer.Option(None, help="Innovators only: minimum technology readiness level (1-9)"),
    as_json: bool = typer.Option(False, "--json", help="JSON output"),
    include_weak: bool = typer.Option(False, "--include-weak", help="Also list candidates below the relevance floor"),
    lang: str = typer.Option("en", help="Language of the reasons in the table: en or th"),
    data_dir: Path = data_dir_option(),
) -> None:
    """Rank innovators for a challenge, challenges for an innovator, or either for free text."""
    from matcher.config import RetrievalConfig
    from matcher.engine import open_engine
    from matcher.filters import Filters

    given = [x for x in (challenge, innovator, text) if x is not None]
    if len(given) != 1:
        fail("give exactly one of --challenge, --innovator or --text", EXIT_USAGE)
    target = Target(target).value
    side = "innovators" if challenge is not None else "challenges" if innovator is not None else target
    # the same checks and messages as the API's filters: an unknown value, or one for the other side, exits 2
    filters = Filters.from_params(sector=sector, theme=theme, district=district, kind=kind, status=status,
                                  language=language, min_trl=min_trl, side=side)
    settings = resolve_settings(data_dir)
    config = RetrievalConfig(mode=mode) if mode else RetrievalConfig()
    engine = open_engine(settings.index_dir, settings.cache_dir, config)
    engine.apply_floor = not include_weak
    if challenge is not None:
        hits, title = engine.match_challenge(challenge, k, filters), f"Innovators for {challenge}"
    elif innovator is not None:
        hits, title = engine.match_innovator(innovator, k, filters), f"Open challenges for {innovator}"
    else:
        hits, title = engine.search_text(text, target, k, filters), f"{target.capitalize()} for the text"
    if as_json:
        print_json({"query": {"challenge": challenge, "innovator": innovator, "text": text, "target": target},
                    "count": len(hits), "data": [h.to_dict() for h in hits]})
    else:
        print_table(title, hits, lang)
