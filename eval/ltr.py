"""`matcher train`: train the learned re-ranker (LightGBM lambdarank) from judged pairs and feedback.

Rows: for every challenge of the train split, the top-`depth` candidates of the hand-weighted
default configuration, with the features of `matcher.rerank.feature_names` and the judged grade
(0 when unjudged). Agencies' decisions exported by the service (`GET /v1/feedback/export`,
accept 2 / shortlist 1 / reject 0) are added with `--feedback`. Early stopping and the number of
trees are chosen on the dev split; the test split decides, with a paired t-test, whether the
model beats the hand-weighted fusion. The model is written to `matcher/data/ranker.txt` (and
`.json`) only with `--write-model`; a service loads it at its next start.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import typer

from matcher.cli.common import handle_errors, resolve_settings

DEPTH = 50


def query_rows(dataset, config, cache_dir: Path | None, depth: int, extra_qrels: dict[str, dict[str, int]] | None = None):
    """(features, grades, group sizes, per-query candidate keys) from one dataset."""
    from eval.evaluation import index_dataset

    indexed = index_dataset(dataset, config.encoder_ids, cache_dir)
    indexed.use_hubness(config.hubness_k)
    collection, queries = indexed.collection, indexed.queries
    features, grades, groups, keys = [], [], [], []
    for eq, query in zip(dataset.queries, queries):
        scored = collection._score_pool(query, depth, config, None, set())
        if scored is None:
            continue
        order = np.argsort(-scored.fused.scores, kind="stable")[:depth]
        matrix = collection.pool_features(query, config, scored)[order]
        judged = {**dataset.qrels.get(eq.id, {}), **(extra_qrels or {}).get(eq.id, {})}
        features.append(matrix)
        grades += [int(judged.get(scored.pool[i], 0)) for i in order]
        groups.append(len(order))
        keys.append((eq.id, [scored.pool[i] for i in order]))
    return np.concatenate(features), np.asarray(grades), groups, keys


def rerank_run(model, features: np.ndarray, groups: list[int], keys) -> dict[str, dict[str, float]]:
    scores = model.predict(features)
    run, start = {}, 0
    for size, (qid, candidates) in zip(groups, keys):
        part = scores[start:start + size]
        run[qid] = {key: float(s) for key, s in zip(candidates, part)}
        start += size
    return run


def fused_run(groups: list[int], keys) -> dict[str, dict[str, float]]:
    return {qid: {key: float(len(candidates) - i) for i, key in enumerate(candidates)} for qid, candidates in keys}


def train_ranker(cache_dir: Path | None, feedback: Path | None, depth: int = DEPTH, seed: int = 42) -> dict[str, Any]:
    import lightgbm

    from matcher.config import RetrievalConfig
    from matcher.corpora import load_pairs
    from matcher.encoders import get_encoder
    from matcher.rerank import Reranker, feature_names

    from eval.datasets import load_dataset
    from eval.metrics import compare_runs, ranx_scores

    config = RetrievalConfig()
    extra: dict[str, dict[str, int]] = {}
    if feedback is not None:
        for pair in load_pairs(feedback):
            extra.setdefault(pair.challenge_id, {})[pair.innovator_id] = pair.grade
    train = load_dataset("train")
    x_train, y_train, g_train, _ = query_rows(train, config, cache_dir, depth, extra)
    dev = load_dataset("dev")
    x_dev, y_dev, g_dev, k_dev = query_rows(dev, config, cache_dir, depth)
    params = {"objective": "lambdarank", "metric": "ndcg", "ndcg_eval_at": [10], "learning_rate": 0.05,
              "num_leaves": 15, "min_data_in_leaf": 20, "feature_fraction": 0.8, "bagging_fraction": 0.8,
              "bagging_freq": 1, "lambdarank_truncation_level": 20, "seed": seed, "verbose": -1,
              "num_threads": 2, "deterministic": True, "force_row_wise": True}
    names = ["".join(c if c.isalnum() else "_" for c in n) for n in feature_names(config.encoder_ids)]
    booster = lightgbm.train(params, lightgbm.Dataset(x_train, y_train, group=g_train, feature_name=names),
                             num_boost_round=600,
                             valid_sets=[lightgbm.Dataset(x_dev, y_dev, group=g_dev, feature_name=names)],
                             callbacks=[lightgbm.early_stopping(50, verbose=False)])
    test = load_dataset("test")
    x_test, y_test, g_test, k_test = query_rows(test, config, cache_dir, depth)
    runs = {"learned re-ranker": rerank_run(booster, x_test, g_test, k_test),
            "hand-weighted fusion (default)": fused_run(g_test, k_test)}
    test_metrics = {name: ranx_scores(test.qrels, run, ["ndcg@10", "precision@5", "recall@50"]) for name, run in runs.items()}
    comparison = compare_runs(test.qrels, runs, ["ndcg@10"])
    p_value = comparison["learned re-ranker"]["comparisons"]["hand-weighted fusion (default)"]["ndcg@10"]
    dev_runs = {"learned": rerank_run(booster, x_dev, g_dev, k_dev), "fusion": fused_run(g_dev, k_dev)}
    dev_metrics = {name: ranx_scores(dev.qrels, run, ["ndcg@10"])["ndcg@10"] for name, run in dev_runs.items()}
    fingerprints = {eid: get_encoder(eid).fingerprint for eid in config.encoder_ids}
    ranker = Reranker(booster, config.encoder_ids, fingerprints, config.model_dump(mode="json"), depth)
    importance = dict(zip(names, booster.feature_importance("gain").round(1).tolist()))
    return {"ranker": ranker, "test": test_metrics, "p_value": p_value, "dev": dev_metrics,
            "trees": booster.best_iteration or booster.current_iteration(), "train_rows": len(y_train),
            "feedback_pairs": sum(len(v) for v in extra.values()), "importance": importance}


@handle_errors
def train(feedback: Path = typer.Option(None, "--feedback", help="Service feedback as graded pairs (TSV)"),
          write_model: bool = typer.Option(False, "--write-model/--no-write-model",
                                           help="Ship the model (matcher/data/ranker.*) for the default to use"),
          data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (embedding cache)")) -> None:
    """Train the learned re-ranker on the train split (+ feedback), tune on dev, test on test."""
    settings = resolve_settings(data_dir)
    result = train_ranker(settings.cache_dir, feedback)
    if write_model:
        result["ranker"].save(extra={"test": result["test"], "p_value": result["p_value"], "trees": result["trees"]})
    summary = {k: v for k, v in result.items() if k != "ranker"}
    typer.echo(json.dumps(summary, indent=2, default=float))
