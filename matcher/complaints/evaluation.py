"""How well complaint clusters agree with the Traffy categories, and how much demand drafts cover.

The reference is each complaint's first Traffy label (tickets carry 1-8 labels, 51% more than
one, and ถนน is on 46% of them, so the reference is noisy and coarser than the clusters: ARI
penalises a category split into several clusters, V-measure less so). Scores are computed on
the complaints that are in a cluster; complaints left out count in the coverage figure instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import numpy as np

from matcher.complaints.clustering import Cluster, labels_of
from matcher.complaints.pipeline import Plan


@dataclass(frozen=True)
class ClusteringScores:
    scope: str
    complaints: int
    clusters: int
    clustered: int
    adjusted_rand: float
    v_measure: float
    homogeneity: float
    completeness: float
    purity: float
    """Mean share of a cluster's complaints that carry the cluster's most common label."""

    @property
    def clustered_share(self) -> float:
        return self.clustered / self.complaints if self.complaints else 0.0


@dataclass(frozen=True)
class ComplaintsReport:
    complaints: int
    labelled: int
    drafts: int
    drafts_by_scope: dict[str, int]
    covered: int
    scores: list[ClusteringScores]
    threshold: float
    min_size: int
    within_min_size: int
    compared: list[ClusteringScores] = field(default_factory=list)

    @property
    def covered_share(self) -> float:
        return self.covered / self.complaints if self.complaints else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "covered_share": self.covered_share,
                "scores": [{**asdict(s), "clustered_share": s.clustered_share} for s in self.scores],
                "compared": [{**asdict(s), "clustered_share": s.clustered_share} for s in self.compared]}


def clustering_scores(plan: Plan, scope: str, clusters: Sequence[Cluster] | None = None) -> ClusteringScores:
    """Scores of one scope's clusters (or of `clusters`, for a compared method) against the labels."""
    from sklearn.metrics import adjusted_rand_score, homogeneity_completeness_v_measure

    n = len(plan.complaints)
    clusters = plan.clusters[scope] if clusters is None else clusters
    labels = labels_of(clusters, n)
    rows = [i for i in range(n) if labels[i] >= 0 and plan.complaints[i].categories]
    reference = [plan.complaints[i].categories[0] for i in rows]
    predicted = [int(labels[i]) for i in rows]
    if len(rows) < 2:
        return ClusteringScores(scope, n, len(clusters), len(rows), 0.0, 0.0, 0.0, 0.0, 0.0)
    homogeneity, completeness, v_measure = homogeneity_completeness_v_measure(reference, predicted)
    purities = []
    for cluster in clusters:
        tagged = [plan.complaints[r].categories for r in cluster.members if plan.complaints[r].categories]
        if tagged:
            top, _ = Counter(label for labels_ in tagged for label in labels_).most_common(1)[0]
            purities.append(np.mean([top in labels_ for labels_ in tagged]))
    return ClusteringScores(scope, n, len(clusters), int(np.sum(labels >= 0)), float(adjusted_rand_score(reference, predicted)),
                            float(v_measure), float(homogeneity), float(completeness), float(np.mean(purities)))


def compared_methods(plan: Plan, min_size: int) -> list[ClusteringScores]:
    """Other maintained clusterings of the same fused vectors, across districts, scored the same way
    (clusters under `min_size` dropped): the evidence behind the default's choice."""
    from sklearn.cluster import HDBSCAN, AgglomerativeClustering

    vectors = np.asarray(plan.vectors, dtype=np.float64)
    rows = list(range(len(vectors)))
    methods = {
        **{f"average linkage, threshold {t}": AgglomerativeClustering(n_clusters=None, distance_threshold=t,
                                                                     metric="cosine", linkage="average")
           for t in (0.5, 0.6, 0.7)},
        **{f"HDBSCAN, min cluster size {m}, min samples 3": HDBSCAN(min_cluster_size=m, min_samples=3, metric="cosine")
           for m in (5, 8)},
        "HDBSCAN, min cluster size 5": HDBSCAN(min_cluster_size=5, metric="cosine"),
        "ward linkage, 100 clusters": AgglomerativeClustering(n_clusters=100, linkage="ward"),
    }
    out = []
    for name, model in methods.items():
        labels = model.fit_predict(vectors)
        groups: dict[int, list[int]] = {}
        for row, label in zip(rows, labels):
            if label >= 0:
                groups.setdefault(int(label), []).append(row)
        clusters = [Cluster(m, "across") for m in groups.values() if len(m) >= min_size]
        out.append(clustering_scores(plan, name, clusters))
    return out


def evaluate(plan: Plan, threshold: float, min_size: int, within_min_size: int,
             compare: bool = False) -> ComplaintsReport:
    by_scope = Counter(d.scope for d in plan.drafts)
    return ComplaintsReport(len(plan.complaints), sum(1 for c in plan.complaints if c.categories), len(plan.drafts),
                            dict(sorted(by_scope.items())), len(plan.covered()),
                            [clustering_scores(plan, scope) for scope in plan.clusters], threshold, min_size,
                            within_min_size, compared_methods(plan, min_size) if compare else [])


def render_markdown(report: ComplaintsReport, source: str, draft_file: str | None = None) -> str:
    """eval/COMPLAINTS.md: every figure from the report object, none typed by hand."""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    lines = [
        "# Complaints: clusters and draft challenges", "",
        f"Measured by `matcher complaints eval` ({when}) on `{source}`: {report.complaints:,} complaints, "
        f"{report.labelled:,} with Traffy labels. Vectors: e5-small+center and use-m3+center, query mode, "
        "fused (mean cosine); agglomerative clustering, average linkage, cosine distance threshold "
        f"{report.threshold}; drafts from clusters of at least {report.min_size} complaints across districts "
        f"and {report.within_min_size} within one district.", "",
        "Reference: each complaint's first Traffy label. Scores on the complaints that are in a cluster.", "",
        "| scope | clusters | complaints in a cluster | adjusted Rand | V-measure | homogeneity | completeness | label purity |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report.scores:
        lines.append(f"| {s.scope} districts | {s.clusters} | {s.clustered:,} ({s.clustered_share:.1%}) | "
                     f"{s.adjusted_rand:.3f} | {s.v_measure:.3f} | {s.homogeneity:.3f} | {s.completeness:.3f} | {s.purity:.3f} |")
    scopes = ", ".join(f"{n} {scope}" for scope, n in report.drafts_by_scope.items())
    lines += ["", "| measure | value |", "|---|---:|",
              f"| draft challenges | {report.drafts} ({scopes}) |",
              f"| complaints covered by a draft | {report.covered:,} of {report.complaints:,} ({report.covered_share:.1%}) |"]
    if report.compared:
        lines += ["", f"Other clusterings of the same vectors, across districts, clusters of at least {report.min_size}:", "",
                  "| method | clusters | complaints in a cluster | adjusted Rand | V-measure | label purity |",
                  "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {s.scope} | {s.clusters} | {s.clustered:,} ({s.clustered_share:.1%}) | {s.adjusted_rand:.3f} | "
                  f"{s.v_measure:.3f} | {s.purity:.3f} |" for s in report.compared]
    if draft_file:
        lines += ["", f"Twenty drafts for judging by hand: `{draft_file}`."]
    lines += ["", "Adjusted Rand penalises one Traffy category split over several clusters (the clusters are finer "
              "than the 24 labels: street lights that are out and street lights that flicker are two drafts); "
              "homogeneity says how far each cluster keeps to one label.", ""]
    return "\n".join(lines)
