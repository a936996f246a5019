"""Complaints -> vectors -> clusters -> drafts: the one build path the CLI, the service and the
evaluation share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from matcher.complaints.categories import main_theme, theme_evidence, theme_texts, themes_by_similarity, themes_of_labels
from matcher.complaints.clustering import Cluster, ClusterSettings, Scope, cluster_complaints
from matcher.complaints.drafting import Draft, make_draft
from matcher.complaints.embedding import encode_texts, fuse
from matcher.complaints.models import Complaint
from matcher.encoders import Encoder

DraftScope = Literal["across", "within", "both"]
NEW_EVIDENCE_SHARE = 0.5
"""With scope 'both', a district cluster becomes a draft only when at most this share of its
complaints already sits in one city-wide draft (otherwise it repeats that draft)."""


@dataclass
class Plan:
    """Everything computed from one set of complaints: vectors, clusters per scope, drafts."""

    complaints: list[Complaint]
    vectors: np.ndarray
    per_encoder: dict[str, np.ndarray]
    clusters: dict[str, list[Cluster]] = field(default_factory=dict)
    drafts: list[Draft] = field(default_factory=list)
    themes: list[str | None] = field(default_factory=list)
    """Each complaint's main theme (its labels', or the matched one without a mapped label)."""

    def covered(self) -> set[str]:
        """Ids of complaints that are in at least one draft."""
        return {cid for d in self.drafts for cid in d.complaint_ids}


def matched_themes(complaints: Sequence[Complaint], vectors: np.ndarray, encoders: Mapping[str, Encoder]) -> list[str | None]:
    """For complaints whose labels map to no theme, the nearest theme description (None for the others)."""
    need = [i for i, c in enumerate(complaints) if not themes_of_labels(c.categories)]
    out: list[str | None] = [None] * len(complaints)
    if need:
        theme_vectors = fuse({eid: enc.encode_documents(theme_texts()) for eid, enc in encoders.items()})
        for i, theme in zip(need, themes_by_similarity(vectors[need], theme_vectors)):
            out[i] = theme
    return out


def select_drafts(across: Sequence[Draft], within: Sequence[Draft]) -> list[Draft]:
    """City-wide drafts, then district drafts that add evidence (see NEW_EVIDENCE_SHARE)."""
    home = {cid: d.id for d in across for cid in d.complaint_ids}
    kept = list(across)
    for draft in within:
        counts: dict[str, int] = {}
        for cid in draft.complaint_ids:
            if cid in home:
                counts[home[cid]] = counts.get(home[cid], 0) + 1
        if max(counts.values(), default=0) <= NEW_EVIDENCE_SHARE * draft.size:
            kept.append(draft)
    return kept


def plan(complaints: Sequence[Complaint], encoders: Mapping[str, Encoder], scope: DraftScope = "both",
         settings: ClusterSettings = ClusterSettings(), show_progress: bool | None = None) -> Plan:
    """Encode (cached by the encoders), cluster and draft. Complaints are taken in the order given."""
    complaints = list(complaints)
    per_encoder = encode_texts([c.text for c in complaints], encoders, show_progress)
    vectors = fuse(per_encoder) if complaints else np.zeros((0, 1), dtype=np.float32)
    result = Plan(complaints, vectors, per_encoder)
    if not complaints:
        return result
    themes = matched_themes(complaints, vectors, encoders)
    overall = theme_evidence([themes_of_labels(c.categories) for c in complaints], themes)
    background = {theme: n / len(complaints) for theme, n in overall.items()}
    result.themes = [main_theme(theme_evidence([themes_of_labels(c.categories)], [fallback]), background)
                     for c, fallback in zip(complaints, themes)]
    districts = [c.district for c in complaints]
    scopes: list[Scope] = ["across", "within"] if scope == "both" else [scope]  # type: ignore[list-item]
    drafts: dict[str, list[Draft]] = {}
    for name in scopes:
        result.clusters[name] = cluster_complaints(vectors, districts, name, settings)
        drafts[name] = [make_draft(c, complaints, vectors, themes, background) for c in result.clusters[name]]
    result.drafts = select_drafts(drafts.get("across", []), drafts.get("within", [])) if scope == "both" \
        else drafts[scope]
    return result
