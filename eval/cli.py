"""`matcher eval` and `matcher results`, registered as plugins of the matcher CLI (entry points),
so the library never imports the evaluation package."""

from __future__ import annotations

import json
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import typer

from matcher.cli.common import handle_errors, print_json, resolve_settings

def machine_description() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent.parent, timeout=5).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def evaluate_configs(dataset_spec: str, configs: dict[str, Any], cache_dir: Path | None, k: int = 100,
                     show_progress: bool | None = None, split: str = "test"):
    """Load a dataset by name or folder and evaluate every configuration on it (an `Evaluation`)."""
    from eval.datasets import load_dataset
    from eval.evaluation import evaluate

    return evaluate(load_dataset(dataset_spec, split), configs, cache_dir, k, show_progress)


def build_config(mode: str | None, encoders: list[str] | None, lexical_weight: float | None, fusion: str | None,
                 rrf_k: int | None, language_aware: bool | None):
    from matcher.config import RetrievalConfig

    config = RetrievalConfig()
    if encoders:
        config = config.with_encoders(list(encoders))
    updates = {k: v for k, v in {"mode": mode, "lexical_weight": lexical_weight, "fusion": fusion, "rrf_k": rrf_k,
                                  "language_aware_lexical": language_aware}.items() if v is not None}
    return RetrievalConfig.model_validate({**config.model_dump(), **updates})


@handle_errors
def evaluate(
    dataset: str = typer.Argument(..., help="A BEIR folder, a demo corpus split (train, dev, test), or a folder "
                                            "with challenges.jsonl + innovators.jsonl + pairs.tsv"),
    split: str = typer.Option("test", help="Split of pairs.tsv to evaluate, for a folder in the project's format"),
    out: Path = typer.Option(None, "--out", help="Results folder (default: runs/<dataset>-<time>)"),
    mode: str = typer.Option(None, help="dense | lexical | hybrid (default: the service's default, hybrid)"),
    encoder: list[str] = typer.Option(None, "--encoder", help="Dense encoder id (repeatable; replaces the default set)"),
    lexical_weight: float = typer.Option(None, help="Weight of BM25 in hybrid fusion"),
    fusion: str = typer.Option(None, help="zscore | rrf"),
    rrf_k: int = typer.Option(None, help="RRF constant"),
    language_aware: bool = typer.Option(None, "--language-aware/--no-language-aware", help="Language-aware BM25 fusion"),
    config: list[str] = typer.Option(None, "--config", help="Also evaluate these named configurations (see `matcher eval --list-configs`)"),
    list_configs: bool = typer.Option(False, "--list-configs", help="Print the named configurations and exit"),
    k: int = typer.Option(100, "-k", min=10, help="Depth of each ranking"),
    progress: bool = typer.Option(None, "--progress/--no-progress"),
    data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (embedding cache)"),
) -> None:
    """Evaluate a retrieval configuration (default: what `matcher serve` uses) on labeled pairs."""
    from eval.configs import named_configs
    from eval.report import write_reports, write_trec_run

    registry = named_configs()
    if list_configs:
        for name, cfg in registry.items():
            typer.echo(f"{name}: {'scikit-learn TF-IDF char 2-4 grams' if cfg is None else cfg.model_dump_json()}")
        return
    unknown = [c for c in config or [] if c not in registry]
    if unknown:
        raise ValueError(f"unknown --config {unknown}; expected one of: {', '.join(registry)}")
    settings = resolve_settings(data_dir)
    main = build_config(mode, encoder, lexical_weight, fusion, rrf_k, language_aware)
    configs: dict[str, Any] = {"evaluated": main}
    configs.update({name: registry[name] for name in config or []})
    from eval.datasets import load_dataset
    from eval.evaluation import evaluate as evaluate_dataset
    from eval.exposure import compare_fairness, with_counterpart

    loaded = load_dataset(dataset, split)
    evaluation = evaluate_dataset(loaded, with_counterpart(configs, loaded), settings.cache_dir, k, progress)
    fairness = compare_fairness(evaluation)  # None without innovator kinds (a BEIR folder)
    ds = evaluation.dataset
    out = out or Path("runs") / f"{ds.name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    main_result = evaluation.results["evaluated"]
    exposure = {"exposure": fairness.to_dict()} if fairness else {}
    (out / "metrics.json").write_text(json.dumps({**main_result.metrics, **exposure}, indent=2), encoding="utf-8")
    header = {"dataset": dataset, "queries": str(len(ds.queries)), "documents": str(len(ds.docs)),
              "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "commit": git_commit(),
              "machine": machine_description(), "seconds": f"{evaluation.seconds:.1f}"}
    (out / "config.json").write_text(json.dumps({"configuration": main.model_dump(), **header,
                                                 "compared": list(configs)[1:]}, indent=2, ensure_ascii=False),
                                     encoding="utf-8")
    write_trec_run(out / "run.trec", main_result.run, "evaluated")
    for result in list(evaluation.results.values())[1:]:
        write_trec_run(out / f"run-{result.slug}.trec", result.run, result.name)
        (out / f"metrics-{result.slug}.json").write_text(json.dumps({"name": result.name, **result.metrics}, indent=2),
                                                         encoding="utf-8")
    if evaluation.comparison:
        (out / "comparison.json").write_text(json.dumps(evaluation.comparison, indent=2, default=str), encoding="utf-8")
    write_reports(out, ds.name, {n: r.metrics for n, r in evaluation.results.items()},
                  {n: r.recall_curve for n, r in evaluation.results.items()}, evaluation.comparison, header,
                  [fairness.to_markdown()] if fairness else [])
    summary = {m: round(v, 4) for m, v in main_result.metrics.items() if isinstance(v, float)}
    if fairness:
        summary["exposure"] = fairness.summary()
    print_json({"dataset": ds.name, "out": str(out), **summary})
