"""The evaluation core: run named configurations on one dataset and keep the results as objects.

The dataset is indexed once for the union of every configuration's encoders (and its queries
encoded once); each configuration then only ranks. `matcher eval`, `matcher results` and
`matcher tune` all go through `evaluate`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matcher.collection import Collection, Query
from matcher.config import RetrievalConfig
from matcher.encoders import get_encoder
from matcher.encoders.base import show_progress_default

from eval.datasets import EvalDataset

RECALL_KS = (1, 3, 5, 10, 20, 50, 100)


@dataclass
class ConfigResult:
    """One configuration's ranking of the dataset and its metrics."""

    name: str
    config: RetrievalConfig | None
    run: dict[str, dict[str, float]]
    metrics: dict[str, Any]
    recall_curve: dict[int, float]

    @property
    def slug(self) -> str:
        """A file-name-safe form of the name (output files are named by configuration)."""
        return "".join(c if c.isalnum() or c in "-_." else "-" for c in self.name).strip("-").lower() or "config"


@dataclass
class Evaluation:
    dataset: EvalDataset
    results: dict[str, ConfigResult]
    comparison: dict[str, Any] | None = None
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def first(self) -> ConfigResult:
        return next(iter(self.results.values()))

    def metric(self, name: str, metric: str = "ndcg@10") -> float:
        return float(self.results[name].metrics[metric])


@dataclass
class IndexedDataset:
    """A dataset's documents in a collection, and its queries encoded by the same encoders."""

    collection: Collection
    queries: list[Query]

    def use_hubness(self, k: int) -> None:
        """CSLS references: the dataset's own queries (the other side), with k neighbours."""
        if k and self.collection.encoders and self.collection.hub_k != k:
            self.collection.set_references({eid: np.stack([q.vectors[eid] for q in self.queries])
                                            for eid in self.collection.encoders}, k)


def index_dataset(dataset: EvalDataset, encoder_ids: list[str], cache_dir: Path | None = None,
                  show_progress: bool | None = None, store_dtype: str | None = None) -> IndexedDataset:
    """The one way the evaluation, the fit, the ranker training and the benchmarks index a dataset."""
    encoders = {eid: get_encoder(eid, cache_dir) for eid in encoder_ids}
    collection = Collection.build(dataset.name, dataset.docs, encoders, "flat", show_progress=show_progress,
                                  store_dtype=store_dtype)
    queries = collection.text_queries([q.text for q in dataset.queries], sectors=[q.sectors for q in dataset.queries],
                                      themes=[q.themes for q in dataset.queries], show_progress=show_progress)
    return IndexedDataset(collection, queries)


def rank_dataset(dataset: EvalDataset, configs: Mapping[str, RetrievalConfig], k: int = 100,
                 cache_dir: Path | None = None, show_progress: bool | None = None) -> dict[str, dict[str, dict[str, float]]]:
    """Runs of every configuration, from one collection over the union of their encoders."""
    from tqdm.auto import tqdm

    encoder_ids = sorted({e for c in configs.values() if c.mode != "lexical" for e in c.encoder_ids})
    indexed = index_dataset(dataset, encoder_ids, cache_dir, show_progress)
    collection, queries = indexed.collection, indexed.queries
    runs: dict[str, dict[str, dict[str, float]]] = {}
    for name, config in configs.items():
        indexed.use_hubness(config.hubness_k)
        run: dict[str, dict[str, float]] = {}
        for eq, query in tqdm(list(zip(dataset.queries, queries)), desc=f"rank [{dataset.name} / {name}]", unit="query",
                              disable=not show_progress_default(show_progress), leave=False):
            hits = collection.search(query, k, config, explain=False)
            run[eq.id] = {h.key: h.score for h in hits} or {"__none__": 0.0}
        runs[name] = run
    return runs


def evaluate(dataset: EvalDataset, configs: Mapping[str, RetrievalConfig | None], cache_dir: Path | None = None,
             k: int = 100, show_progress: bool | None = None, compare: bool = True) -> Evaluation:
    """Every configuration on one dataset (None = the TF-IDF baseline), metrics and a paired test."""
    from eval.baselines import tfidf_char_run
    from eval.metrics import compare_runs, compute_metrics, ranx_scores

    started = time.perf_counter()
    matcher_configs = {name: c for name, c in configs.items() if c is not None}
    runs = rank_dataset(dataset, matcher_configs, k, cache_dir, show_progress) if matcher_configs else {}
    query_lang = {q.id: q.lang for q in dataset.queries}
    query_sectors = {q.id: q.sectors for q in dataset.queries if q.sectors}
    results: dict[str, ConfigResult] = {}
    for name, config in configs.items():
        run = runs[name] if config is not None else tfidf_char_run(dataset, k)
        metrics = compute_metrics(dataset.qrels, run, query_lang, dataset.doc_lang, query_sectors)
        curve = dict(zip(RECALL_KS, ranx_scores(dataset.qrels, run, [f"recall@{x}" for x in RECALL_KS]).values()))
        results[name] = ConfigResult(name, config, run, metrics, curve)
    comparison = compare_runs(dataset.qrels, {n: r.run for n, r in results.items()}) if compare and len(results) > 1 else None
    return Evaluation(dataset, results, comparison, time.perf_counter() - started)
