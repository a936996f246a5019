"""From a cluster of complaints to a draft challenge an agency can review, edit and post.

Everything in a draft is cut from the complaints or counted from them, nothing is written: the
title is the first problem line of the cluster's medoid (the complaint most similar to all the
others), the description the medoid's problem lines followed by the first lines of the next most
representative complaints, the examples 3-5 complaint texts quoted verbatim (near-identical
ones skipped). Theme and sectors come from the complaints' own category labels through the
taxonomy (categories.py), districts and months are counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from matcher import taxonomy
from matcher.complaints.categories import main_theme, sectors_of_themes, theme_evidence, themes_of_labels
from matcher.complaints.cleaning import cut, headline, informative, problem_text
from matcher.complaints.clustering import Cluster
from matcher.complaints.models import Complaint, bangkok

MAX_EXAMPLES = 5
MIN_EXAMPLES = 3
DESCRIPTION_LEAD_CHARS = 600
MORE_LINES = 2
NEAR_DUPLICATE = 0.97
"""Examples whose vectors are this similar to one already quoted are skipped (repeat reports)."""


class Draft(BaseModel):
    """A draft challenge and the complaints it is based on."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    description: str
    theme: str | None = Field(description="Main BMA theme key")
    themes: dict[str, int] = Field(default_factory=dict, description="Complaints per theme, from their labels")
    sectors: list[str] = Field(default_factory=list, description="NIA sector keys of the main theme")
    districts: list[str] = Field(default_factory=list, description="District keys, most complaints first")
    district_counts: dict[str, int] = Field(default_factory=dict)
    complaint_ids: list[str]
    examples: list[str] = Field(description="Complaint texts quoted verbatim")
    example_ids: list[str] = Field(default_factory=list)
    months: dict[str, int] = Field(default_factory=dict, description="Complaints per month, YYYY-MM (Bangkok time)")
    first_reported: str | None = None
    last_reported: str | None = None
    categories: dict[str, int] = Field(default_factory=dict, description="The source's own labels, counted")
    size: int
    scope: str
    cohesion: float = Field(description="Mean cosine similarity of the complaints to their centroid")

    def evidence(self) -> dict:
        """The `evidence` block of a challenge posted from this draft."""
        return {"count": self.size, "complaint_ids": list(self.complaint_ids), "districts": list(self.districts),
                "months": dict(self.months), "draft_id": self.id}

    def challenge_fields(self) -> dict:
        """The fields of a challenge prefilled from this draft (the agency edits them before posting)."""
        return {"title": self.title, "description": self.description, "themes": [self.theme] if self.theme else [],
                "sectors": list(self.sectors), "district": self.districts[0] if len(self.districts) == 1 else None,
                "evidence": self.evidence()}


def representative_order(vectors: np.ndarray) -> tuple[np.ndarray, float]:
    """Member positions from most to least representative (mean similarity to the others; the first
    is the medoid), and the cluster's cohesion (mean cosine to the normalised centroid)."""
    similarity = vectors @ vectors.T
    order = np.argsort(-similarity.mean(axis=1), kind="stable")
    centroid = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    cohesion = float((vectors @ (centroid / norm)).mean()) if norm > 0 else 0.0
    return order, cohesion


def pick_examples(order: Sequence[int], texts: Sequence[str], vectors: np.ndarray) -> list[int]:
    """Up to MAX_EXAMPLES positions in representative order, skipping near-duplicates, but at least
    MIN_EXAMPLES when the cluster has that many (repeats then fill the gap)."""
    chosen: list[int] = []
    seen_text: set[str] = set()
    for position in order:
        key = problem_text(texts[position])
        if key in seen_text or any(float(vectors[position] @ vectors[c]) >= NEAR_DUPLICATE for c in chosen):
            continue
        chosen.append(int(position))
        seen_text.add(key)
        if len(chosen) == MAX_EXAMPLES:
            return chosen
    for position in order:
        if len(chosen) >= min(MIN_EXAMPLES, len(order)):
            break
        if int(position) not in chosen:
            chosen.append(int(position))
    return chosen


def describe(ordered_texts: Sequence[str]) -> str:
    """The medoid's problem lines, then the first problem line of the next representative complaints."""
    lead = cut(problem_text(ordered_texts[0]), DESCRIPTION_LEAD_CHARS)
    more: list[str] = []
    for text in ordered_texts[1:]:
        line = headline(text, 160)
        if line and line not in more and line not in lead:
            more.append(line)
        if len(more) == MORE_LINES:
            break
    return "\n".join([lead, *(f"- {line}" for line in more)])


def _counted(values: Sequence[str | None], order: Sequence[str] | None = None) -> dict[str, int]:
    counts = Counter(v for v in values if v)
    if order is not None:
        rank = {key: i for i, key in enumerate(order)}
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], rank.get(kv[0], len(rank)))))
    return dict(sorted(counts.items()))


def make_draft(cluster: Cluster, complaints: Sequence[Complaint], vectors: np.ndarray,
               matched_themes: Sequence[str | None] | None = None,
               background: Mapping[str, float] | None = None) -> Draft:
    """The draft of one cluster. `vectors` are the fused vectors of all complaints (rows aligned with
    `complaints`); `matched_themes`, one per complaint, is the theme found by text matching, used
    for complaints whose labels map to no theme; `background` is each theme's share among all
    complaints (see categories.main_theme)."""
    rows = list(cluster.members)
    members = [complaints[r] for r in rows]
    member_vectors = vectors[rows]
    order, cohesion = representative_order(member_vectors)
    texts = [c.text for c in members]
    ordered = [texts[i] for i in order]
    examples = pick_examples(order, texts, member_vectors)
    label_themes = [themes_of_labels(c.categories) for c in members]
    fallback = [matched_themes[r] for r in rows] if matched_themes is not None else []
    theme_counts = theme_evidence(label_themes, fallback)
    theme = main_theme(theme_counts, background)
    times = sorted(bangkok(c.created_at) for c in members if c.created_at is not None)
    district_counts = _counted([c.district for c in members], taxonomy.keys("district"))
    medoid = next((members[i] for i in order if informative(members[i].text)), members[int(order[0])])
    return Draft(
        id=f"draft-{cluster.scope}-{medoid.id}",
        title=headline(medoid.text),
        description=describe(ordered),
        theme=theme,
        themes=_counted(list(theme_counts.elements()), taxonomy.keys("theme")),
        sectors=sectors_of_themes([theme] if theme else []),
        districts=list(district_counts),
        district_counts=district_counts,
        complaint_ids=[members[i].id for i in order],
        examples=[texts[i] for i in examples],
        example_ids=[members[i].id for i in examples],
        months=_counted([c.month() for c in members]),
        first_reported=times[0].date().isoformat() if times else None,
        last_reported=times[-1].date().isoformat() if times else None,
        categories=_counted([label for c in members for label in c.categories]),
        size=len(members),
        scope=cluster.scope,
        cohesion=round(cohesion, 4),
    )
