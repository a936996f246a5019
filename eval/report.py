"""Render evaluation results: TREC run files, Markdown and HTML reports with matplotlib plots."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

HEADLINE = ["ndcg@10", "mrr@10", "recall@10", "recall@100", "map"]


def write_trec_run(path: Path, run: Mapping[str, Mapping[str, float]], tag: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for qid, docs in run.items():
            for rank, (did, score) in enumerate(sorted(docs.items(), key=lambda kv: -kv[1]), start=1):
                fh.write(f"{qid} Q0 {did} {rank} {score:.6f} {tag.replace(' ', '_')}\n")


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def metrics_table(results: Mapping[str, Mapping[str, Any]], metrics: list[str] = HEADLINE) -> str:
    lines = ["| configuration | " + " | ".join(metrics) + " |", "|---|" + "---:|" * len(metrics)]
    for name, m in results.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(m.get(x, float('nan'))) for x in metrics) + " |")
    return "\n".join(lines)


def slices_table(metrics: Mapping[str, Any], metric: str = "ndcg@10") -> str:
    lines = ["| slice | queries | " + metric + " |", "|---|---:|---:|"]
    for name, m in metrics.get("slices", {}).items():
        lines.append(f"| {name} | {m.get('queries', '')} | {_fmt(m.get(metric, float('nan')))} |")
    return "\n".join(lines)


def plot_all(out_dir: Path, results: Mapping[str, Mapping[str, Any]], recall_curves: Mapping[str, Mapping[int, float]]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    names = list(results)
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * len(names)))
    ax.barh(names, [results[n].get("ndcg@10", 0) for n in names], color="#3b6ea8")
    ax.set_xlabel("nDCG@10")
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    fig.tight_layout()
    fig.savefig(out_dir / "ndcg_by_config.png", dpi=110)
    plt.close(fig)
    files.append("ndcg_by_config.png")

    first = results[names[0]]
    slices = {k: v for k, v in first.get("slices", {}).items() if not k.startswith("sector:")}
    if slices:
        fig, ax = plt.subplots(figsize=(8, 0.5 + 0.4 * len(slices)))
        ax.barh(list(slices), [v.get("ndcg@10", 0) for v in slices.values()], color="#5a9e6f")
        ax.set_xlabel(f"nDCG@10 per slice ({names[0]})")
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        fig.tight_layout()
        fig.savefig(out_dir / "ndcg_by_slice.png", dpi=110)
        plt.close(fig)
        files.append("ndcg_by_slice.png")

    if recall_curves:
        fig, ax = plt.subplots(figsize=(7, 4))
        for name, curve in recall_curves.items():
            ks = sorted(curve)
            ax.plot(ks, [curve[k] for k in ks], marker="o", label=name)
        ax.set_xscale("log")
        ax.set_xlabel("k")
        ax.set_ylabel("recall@k")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out_dir / "recall_at_k.png", dpi=110)
        plt.close(fig)
        files.append("recall_at_k.png")
    return files


def write_reports(out_dir: Path, dataset: str, results: Mapping[str, Mapping[str, Any]],
                  recall_curves: Mapping[str, Mapping[int, float]], comparison: Mapping[str, Any] | None,
                  header: Mapping[str, str], sections: Sequence[str] = ()) -> None:
    """`sections`: further Markdown blocks rendered by their owners (e.g. the exposure comparison)."""
    plots = plot_all(out_dir, results, recall_curves)
    first_name = next(iter(results))
    md = [f"# Evaluation: {dataset}", ""]
    md += [f"- {k}: {v}" for k, v in header.items()]
    md += ["", "## Metrics", "", metrics_table(results), "", f"## Slices ({first_name})", "",
           slices_table(results[first_name]), ""]
    pref = results[first_name].get("language_preference", {})
    if pref:
        md += ["## Language preference", "",
               f"Same-language share of the top-10: {_fmt(pref.get('top10_same_language_share'))}; "
               f"among relevant documents: {_fmt(pref.get('relevant_same_language_share'))}.", ""]
    if comparison:
        md += ["## Paired significance (Student's t, p < 0.05, seed 42)", "", "```",
               json.dumps(comparison, indent=1, default=str)[:6000], "```", ""]
    for section in sections:
        md += [section, ""]
    md += [f"![{p}]({p})" for p in plots]
    (out_dir / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    body = "".join(f"<pre>{html.escape(line)}</pre>" if line.startswith("|") else f"<p>{html.escape(line)}</p>"
                   for line in md if not line.startswith("![") and line)
    images = "".join(f'<img src="{p}" alt="{p}" style="max-width:100%">' for p in plots)
    (out_dir / "report.html").write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(dataset)}</title></head>"
        f"<body>{body}{images}</body></html>", encoding="utf-8")
