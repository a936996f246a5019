"""`matcher tune`: choose fusion weights on the dev split only (never on test).

Grid-searches the BM25 weight and the weight of the second encoder for z-score fusion, and the
RRF constant for RRF fusion, on one split of the demo corpus (dev by default), and writes the
table to eval/TUNING.md. It does not change the defaults by itself: the README explains the
choice, and `--lexical-weight` etc. apply any setting to `matcher eval`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import typer

from matcher.cli.common import handle_errors, resolve_settings
from matcher.corpora import PROJECT_ROOT

TUNING = PROJECT_ROOT / "eval" / "TUNING.md"
LEXICAL_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
SECOND_ENCODER_WEIGHTS = (0.5, 1.0, 1.5)
RRF_KS = (10, 30, 60, 100)


def grid():
    from matcher.config import DenseComponent, RetrievalConfig

    base = RetrievalConfig()
    first, second = base.dense[0].encoder, base.dense[1].encoder
    out = {}
    for w2 in SECOND_ENCODER_WEIGHTS:
        for lw in LEXICAL_WEIGHTS:
            out[f"zscore lexical={lw} {second}={w2}"] = base.model_copy(update={
                "lexical_weight": lw, "dense": [DenseComponent(encoder=first), DenseComponent(encoder=second, weight=w2)]})
    for k in RRF_KS:
        out[f"rrf k={k} (language-aware off)"] = base.model_copy(update={"fusion": "rrf", "rrf_k": k,
                                                                          "language_aware_lexical": False})
    return out


@handle_errors
def tune(split: str = typer.Option("dev", help="Demo split to tune on (never test)"),
         out: Path = typer.Option(TUNING, help="Markdown table to write"),
         data_dir: Path = typer.Option(None, "--data-dir"),
         progress: bool = typer.Option(None, "--progress/--no-progress")) -> None:
    """Grid-search fusion weights on the dev split and report the best configuration."""
    from eval.cli import evaluate_configs, git_commit, machine_description

    if split == "test":
        raise ValueError("tuning on the test split would leak it; use train or dev")
    configs = grid()
    evaluation = evaluate_configs(split, configs, resolve_settings(data_dir).cache_dir, 100, progress)
    metrics = {name: result.metrics for name, result in evaluation.results.items()}
    ranked = sorted(metrics.items(), key=lambda kv: -kv[1]["ndcg@10"])
    lines = ["# Fusion tuning (`matcher tune`)", "",
             f"{datetime.now(timezone.utc):%Y-%m-%d}, commit {git_commit()}, {machine_description()}, split `{split}`.", "",
             "| configuration | nDCG@10 | MRR@10 | same-language nDCG@10 | cross-language nDCG@10 |", "|---|---:|---:|---:|---:|"]
    for name, m in ranked:
        same = m["slices"].get("same-language", {}).get("ndcg@10", float("nan"))
        cross = m["slices"].get("cross-language", {}).get("ndcg@10", float("nan"))
        lines.append(f"| {name} | {m['ndcg@10']:.3f} | {m['mrr@10']:.3f} | {same:.3f} | {cross:.3f} |")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    typer.echo(f"best on {split}: {ranked[0][0]} (nDCG@10 {ranked[0][1]['ndcg@10']:.3f}); table in {out}")
