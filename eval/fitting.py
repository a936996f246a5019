"""`matcher fit`: fit the fit-score calibration and the relevance floor on the dev split, check them
on the test split, and write the model (package data) and its report.

For every dev challenge the default configuration ranks the innovators; each of the top
`depth` hits is a training row (its raw component scores, fused score and rank) labelled 1 when
the judged grade is >= 1 (unjudged pairs were not in any system's top-10 and count as 0). The
floor is the probability that maximises F1 of "shown as a match" against "relevant" on dev. On
the test split the report gives the reliability diagram (predicted vs observed by bin), the
Brier score, and the floor's precision / recall.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import typer

from matcher.cli.common import handle_errors, resolve_settings
from matcher.corpora import PROJECT_ROOT

from eval.markers import update_file

REPORT = PROJECT_ROOT / "eval" / "FIT.md"
DEPTH = 20
BINS = 10


def rows_for(split: str, config, cache_dir: Path | None, depth: int = DEPTH) -> tuple[list[list[float]], list[int], list[str]]:
    """(features, labels, query ids) of the top-`depth` hits of every query of a split."""
    from matcher.fit import pair_features

    from eval.datasets import load_dataset
    from eval.evaluation import index_dataset

    dataset = load_dataset(split)
    indexed = index_dataset(dataset, config.encoder_ids, cache_dir)
    indexed.use_hubness(config.hubness_k)
    collection, queries = indexed.collection, indexed.queries
    features, labels, qids = [], [], []
    for eq, query in zip(dataset.queries, queries):
        judged = dataset.qrels.get(eq.id, {})
        for hit in collection.search(query, depth, config, explain=False):
            features.append(pair_features(hit.components, hit.score, hit.rank, config.encoder_ids))
            labels.append(int(judged.get(hit.key, 0) >= 1))
            qids.append(eq.id)
    return features, labels, qids


def best_floor(probabilities: np.ndarray, labels: np.ndarray) -> float:
    best, best_f1 = 0.5, -1.0
    for threshold in np.linspace(0.05, 0.95, 91):
        shown = probabilities >= threshold
        tp = float((shown & (labels == 1)).sum())
        precision = tp / max(shown.sum(), 1)
        recall = tp / max((labels == 1).sum(), 1)
        f1 = 2 * precision * recall / max(precision + recall, 1e-9)
        if f1 > best_f1:
            best, best_f1 = float(threshold), f1
    return round(best, 3)


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS) -> list[dict[str, float]]:
    edges = np.linspace(0, 1, bins + 1)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (probabilities >= lo) & ((probabilities < hi) if hi < 1 else (probabilities <= hi))
        if sel.any():
            out.append({"bin": f"{lo:.1f}-{hi:.1f}", "pairs": int(sel.sum()), "predicted": float(probabilities[sel].mean()),
                        "observed": float(labels[sel].mean())})
    return out


def floor_tradeoff(probabilities: np.ndarray, labels: np.ndarray, floors=(0.2, 0.3, 0.4, 0.5, 0.6)) -> list[dict[str, float]]:
    out = []
    for floor in floors:
        shown = probabilities >= floor
        tp = float((shown & (labels == 1)).sum())
        out.append({"floor": floor, "shown": int(shown.sum()), "precision": tp / max(shown.sum(), 1),
                    "recall": tp / max((labels == 1).sum(), 1)})
    return out


def plot_reliability(path: Path, table: list[dict[str, float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="#999")
    ax.plot([r["predicted"] for r in table], [r["observed"] for r in table], marker="o", color="#3b6ea8")
    ax.set_xlabel("predicted probability of relevance")
    ax.set_ylabel("observed share relevant (test split)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_fit(cache_dir: Path | None) -> dict[str, Any]:
    from matcher.config import RetrievalConfig
    from matcher.encoders import get_encoder
    from matcher.fit import fit_logistic

    config = RetrievalConfig()
    x_dev, y_dev, _ = rows_for("dev", config, cache_dir)
    fingerprints = {eid: get_encoder(eid).fingerprint for eid in config.encoder_ids}
    model = fit_logistic(x_dev, y_dev, config.encoder_ids, fingerprints, floor=0.5,
                         fitted_on={"config": config.model_dump(mode="json"), "split": "dev", "rows": len(y_dev),
                                    "depth": DEPTH})
    p_dev = np.array([model.probability(f) for f in x_dev])
    model.floor = best_floor(p_dev, np.array(y_dev))
    x_test, y_test, _ = rows_for("test", config, cache_dir)
    p_test = np.array([model.probability(f) for f in x_test])
    labels = np.array(y_test)
    result = {"model": model, "reliability": reliability(p_test, labels),
              "brier": float(np.mean((p_test - labels) ** 2)), "tradeoff": floor_tradeoff(p_test, labels),
              "floor": model.floor, "test_rows": len(labels), "test_positive_share": float(labels.mean())}
    return result


def render(result: dict[str, Any]) -> str:
    lines = [f"Fitted by `matcher fit` on the dev split ({result['model'].fitted_on['rows']} ranked pairs, top-{DEPTH} "
             f"of the default configuration); checked on the test split ({result['test_rows']} pairs, "
             f"{result['test_positive_share']:.0%} relevant). Brier score {result['brier']:.3f}; floor "
             f"{result['floor']:.2f} (best F1 on dev).", "",
             "| predicted bin | pairs | mean predicted | observed relevant |", "|---|---:|---:|---:|"]
    lines += [f"| {r['bin']} | {r['pairs']} | {r['predicted']:.2f} | {r['observed']:.2f} |" for r in result["reliability"]]
    lines += ["", "| floor | shown | precision | recall |", "|---:|---:|---:|---:|"]
    lines += [f"| {r['floor']:.2f} | {r['shown']} | {r['precision']:.2f} | {r['recall']:.2f} |" for r in result["tradeoff"]]
    lines += ["", "![reliability](fit-reliability.png)"]
    return "\n".join(lines)


@handle_errors
def fit(data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (embedding cache)"),
        write_model: bool = typer.Option(True, "--write-model/--no-write-model")) -> None:
    """Fit the fit-score calibration and the floor on dev; report reliability on test."""
    settings = resolve_settings(data_dir)
    result = run_fit(settings.cache_dir)
    if write_model:
        result["model"].save()
    plot_reliability(REPORT.parent / "fit-reliability.png", result["reliability"])
    block = render(result)
    update_file(REPORT, "fit", block, append_if_missing=True)
    typer.echo(block)
    typer.echo(json.dumps({"floor": result["floor"], "brier": round(result["brier"], 4)}))
