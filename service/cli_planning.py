"""`matcher complaints import | drafts | eval`: the planning commands (a plugin of the matcher CLI).

`import` and `drafts` use the service's database (the same settings as `matcher serve`); `eval`
reads a complaints file directly and writes the measured figures, so it needs no database.
"""

from __future__ import annotations

from pathlib import Path

import typer

from matcher.cli.common import handle_errors, print_json

complaints = typer.Typer(help="Citizen complaints: import, draft challenges, evaluate the clustering.",
                         no_args_is_help=True)

DEFAULT_EVAL_OUT = Path("eval/COMPLAINTS.md")
DEFAULT_DRAFTS_OUT = Path("eval/complaint-drafts.json")
JUDGED_DRAFTS = 20


def _sessions(data_dir: Path | None):
    from service.cli import open_database

    return open_database(data_dir)


@complaints.command("import")
@handle_errors
def import_command(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Traffy JSONL or a CSV file"),
                   map_: list[str] = typer.Option([], "--map", help="FIELD=COLUMN pairs, e.g. text=description,district=khet"),
                   data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (SQLite file, cache)"),
                   json_output: bool = typer.Option(False, "--json", help="Print the report as JSON")) -> None:
    """Import complaints into the database: new ones added, changed ones updated, the same ones left
    (re-importing a file adds nothing). Bad lines are reported and skipped, never abort the rest."""
    from matcher.complaints.loading import decode, kind_of, parse_mapping

    from service.planning import import_text, progress_printer

    mapping = parse_mapping(map_)
    settings, engine, sessions = _sessions(data_dir)
    try:
        echo = lambda line: typer.echo(line, err=True)  # noqa: E731
        report = import_text(sessions, decode(file.read_bytes(), str(file)), kind_of(file.name), mapping, file.name,
                             progress_printer(echo))
    finally:
        engine.dispose()
    if json_output:
        print_json(report.to_dict())
        return
    typer.echo(f"{file}: {report.lines:,} records; {report.added:,} added, {report.updated:,} updated, "
               f"{report.unchanged:,} unchanged, {len(report.errors):,} with errors")
    for error in report.errors:
        typer.echo(f"  {file.name}: {error}")
    if report.errors and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(1)


@complaints.command("drafts")
@handle_errors
def drafts_command(data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (SQLite file, cache)"),
                   json_output: bool = typer.Option(False, "--json", help="Print the drafts as JSON"),
                   limit: int = typer.Option(0, min=0, help="Print at most this many (0: all)")) -> None:
    """Draft challenges from the stored complaints (clusters across and within districts)."""
    from matcher.config import RetrievalConfig

    from service.planning import current_plan

    settings, engine, sessions = _sessions(data_dir)
    try:
        with sessions() as session:
            drafts = current_plan(session, settings, RetrievalConfig().encoder_ids, show_progress=None).drafts
    finally:
        engine.dispose()
    drafts = drafts[:limit] if limit else drafts
    if json_output:
        print_json([d.model_dump(mode="json") for d in drafts])
        return
    for d in drafts:
        typer.echo(f"{d.size:4d}  {d.scope:6s}  {d.theme or '-':24s}  {', '.join(d.districts[:3])}  {d.title}")


@complaints.command("eval")
@handle_errors
def eval_command(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Complaints with Traffy labels (JSONL)"),
                 out: Path = typer.Option(DEFAULT_EVAL_OUT, help="Markdown report"),
                 drafts_out: Path = typer.Option(DEFAULT_DRAFTS_OUT, help="Drafts for judging by hand (JSON)"),
                 data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (embedding cache)")) -> None:
    """Cluster a complaints file, score the clusters against its Traffy labels (adjusted Rand,
    V-measure), measure the share covered by drafts; write OUT and DRAFTS_OUT."""
    import json

    from matcher.cli.common import resolve_settings
    from matcher.complaints.clustering import ClusterSettings
    from matcher.complaints.evaluation import evaluate, render_markdown
    from matcher.complaints.loading import load_file
    from matcher.complaints.pipeline import plan
    from matcher.config import RetrievalConfig
    from matcher.encoders import get_encoder

    settings = resolve_settings(data_dir)
    loaded = load_file(file)
    for error in loaded.errors:
        typer.echo(f"  {file.name}: {error}", err=True)
    clustering = ClusterSettings()
    encoders = {eid: get_encoder(eid, settings.cache_dir) for eid in RetrievalConfig().encoder_ids}
    result = plan(loaded.complaints, encoders, "both", clustering, show_progress=None)
    report = evaluate(result, clustering.threshold, clustering.min_size, clustering.within_min_size, compare=True)
    sample = judged_sample(result.drafts, JUDGED_DRAFTS)
    out.parent.mkdir(parents=True, exist_ok=True)
    drafts_out.parent.mkdir(parents=True, exist_ok=True)
    drafts_out.write_text(json.dumps([d.model_dump(mode="json") for d in sample], ensure_ascii=False, indent=2) + "\n",
                          encoding="utf-8")
    out.write_text(render_markdown(report, file.name, str(drafts_out)), encoding="utf-8")
    typer.echo(f"wrote {out} and {drafts_out}: {report.drafts} drafts, {report.covered_share:.1%} of complaints covered")
    for s in report.scores:
        typer.echo(f"  {s.scope}: ARI {s.adjusted_rand:.3f}, V-measure {s.v_measure:.3f}, {s.clusters} clusters")


def judged_sample(drafts, n: int):
    """`n` drafts spread over the list (largest, middle, smallest; both scopes) for judging by hand."""
    if len(drafts) <= n:
        return list(drafts)
    step = len(drafts) / n
    return [drafts[int(i * step)] for i in range(n)]
