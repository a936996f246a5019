"""Rank one dataset with one configuration (a thin wrapper over `eval.evaluation.rank_dataset`)."""

from __future__ import annotations

from pathlib import Path

from matcher.config import RetrievalConfig

from eval.datasets import EvalDataset


def retrieve(dataset: EvalDataset, config: RetrievalConfig, k: int = 100, cache_dir: Path | None = None,
             show_progress: bool | None = None) -> dict[str, dict[str, float]]:
    from eval.evaluation import rank_dataset

    return rank_dataset(dataset, {"config": config}, k, cache_dir, show_progress)["config"]
