"""How the attention of a ranking is shared between innovators and groups of them (pure functions).

A person reading a ranked list looks at the first places more than at later ones; the *exposure*
an item gets from one ranking is the probability that the reader looks at its position, under a
position-based browsing model. Summed over every query, it says who the matcher puts in front of
agency staff. Following "expected exposure" (Diaz et al., 2020), each item's exposure is compared
with its *target*: the exposure it would get from the ideal stochastic ranking, which orders items
by judged grade and shuffles items of equal grade uniformly (so each item of a grade tier gets the
mean weight of the positions that tier occupies, and the unjudged rest shares what is left of the
top). Over-exposure of a group is exposure the relevance judgments do not justify; under-exposure
is attention a group's relevant members deserve and do not get.

Two browsing models: the default weights position i by 1/log2(i + 1) (the discount of nDCG, so
exposure and nDCG@10 speak about the same reader), or rank-biased patience p (weight p**(i - 1),
the model of RBP and of the expected-exposure paper). Both stop at `depth` (10: the page shown).

Everything here is computed from rankings (lists of ids), judged grades and a group label per
id; nothing reads a file or an index, so the evaluation, the service and the tests share it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

UNKNOWN = "(none)"
"""Group of an item without a label (a BEIR document has no innovator kind)."""


@dataclass(frozen=True)
class BrowsingModel:
    """Where a reader looks: the weight of each position of a ranking, down to `depth`."""

    depth: int = 10
    patience: float | None = None
    """None: the nDCG discount 1/log2(i + 1); a number in (0, 1): RBP's patience**(i - 1)."""

    def __post_init__(self) -> None:
        if self.depth < 1:
            raise ValueError("depth must be at least 1")
        if self.patience is not None and not 0 < self.patience < 1:
            raise ValueError("patience must be in (0, 1)")

    def weights(self, n: int) -> np.ndarray:
        """Exposure of positions 1..min(n, depth)."""
        positions = np.arange(1, min(n, self.depth) + 1, dtype=np.float64)
        if self.patience is None:
            return 1.0 / np.log2(positions + 1.0)
        return self.patience ** (positions - 1.0)

    @property
    def name(self) -> str:
        return "1/log2(1+rank)" if self.patience is None else f"RBP patience {self.patience}"


def ranking_exposure(ranked: Sequence[str], model: BrowsingModel = BrowsingModel()) -> dict[str, float]:
    """Exposure of each item of one deterministic ranking (items below the depth get none)."""
    return {key: float(w) for key, w in zip(ranked, model.weights(len(ranked)))}


def target_exposure(grades: Mapping[str, int], candidates: Sequence[str],
                    model: BrowsingModel = BrowsingModel()) -> dict[str, float]:
    """Expected exposure of each candidate under the ideal stochastic ranking for these grades.

    Tiers in decreasing grade (every grade <= 0 and every unjudged candidate form the last tier);
    a tier occupying positions a..b gives each member the mean weight of those positions."""
    weights = model.weights(len(candidates))
    tiers: dict[int, list[str]] = {}
    for key in candidates:
        tiers.setdefault(max(0, int(grades.get(key, 0))), []).append(key)
    out: dict[str, float] = {}
    start = 0
    for grade in sorted(tiers, reverse=True):
        members = tiers[grade]
        share = float(weights[start:start + len(members)].sum()) / len(members)
        for key in members:
            out[key] = share
        start += len(members)
    return out


def gini(values: Iterable[float]) -> float:
    """Gini coefficient: sum_i sum_j |x_i - x_j| / (2 n^2 mean); 0 = equal, -> 1 = one takes all."""
    x = np.sort(np.asarray(list(values), dtype=np.float64))
    n = len(x)
    if n == 0 or x.sum() <= 0:
        return 0.0
    if (x < 0).any():
        raise ValueError("gini needs non-negative values")
    index = np.arange(1, n + 1, dtype=np.float64)
    return float((2.0 * index - n - 1.0).dot(x) / (n * x.sum()))


@dataclass(frozen=True)
class GroupExposure:
    """One group's share of the candidates, of the relevant pairs, of the exposure and of the target."""

    group: str
    candidates: int
    candidate_share: float
    relevant: int
    relevant_share: float
    exposure_share: float
    target_share: float

    @property
    def ratio(self) -> float:
        """Exposure received per unit of exposure deserved (1 = fair; > 1 over-exposed)."""
        return self.exposure_share / self.target_share if self.target_share > 0 else math.nan


@dataclass
class ExposureReport:
    """Exposure of a set of rankings, per innovator (Gini) and per group of each attribute."""

    model: BrowsingModel
    queries: int
    gini: float
    """Gini of the summed exposure over every candidate (those never shown count with 0)."""
    target_gini: float
    """The same for the ideal stochastic ranking: how unequal the judgments themselves are."""
    groups: dict[str, list[GroupExposure]] = field(default_factory=dict)

    def share(self, attribute: str, members: Iterable[str]) -> float:
        """Summed exposure share of some groups of one attribute."""
        wanted = set(members)
        return sum(g.exposure_share for g in self.groups.get(attribute, []) if g.group in wanted)

    def target(self, attribute: str, members: Iterable[str]) -> float:
        wanted = set(members)
        return sum(g.target_share for g in self.groups.get(attribute, []) if g.group in wanted)

    def to_dict(self) -> dict[str, Any]:
        return {"browsing_model": self.model.name, "depth": self.model.depth, "queries": self.queries,
                "gini": self.gini, "target_gini": self.target_gini,
                "groups": {a: [{**asdict(g), "ratio": g.ratio} for g in rows] for a, rows in self.groups.items()}}

    def to_markdown(self, attribute: str) -> str:
        """One attribute's groups as a Markdown table."""
        lines = [f"| {attribute} | candidates | share of candidates | share of relevant | share of exposure "
                 "| target share | exposure / target |", "|---|---:|---:|---:|---:|---:|---:|"]
        for g in self.groups.get(attribute, []):
            lines.append(f"| {g.group} | {g.candidates} | {g.candidate_share:.3f} | {g.relevant_share:.3f} | "
                         f"{g.exposure_share:.3f} | {g.target_share:.3f} | {g.ratio:.2f} |")
        return "\n".join(lines)


def measure_exposure(rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]],
                     candidates: Sequence[str], attributes: Mapping[str, Mapping[str, str | None]],
                     model: BrowsingModel = BrowsingModel()) -> ExposureReport:
    """Exposure of `rankings` (query -> ranked ids) against the judged `qrels`, every candidate
    being eligible for every query; `attributes` maps an attribute name ("kind", "language") to
    each candidate's group."""
    exposure = dict.fromkeys(candidates, 0.0)
    target = dict.fromkeys(candidates, 0.0)
    for qid, ranked in rankings.items():
        for key, w in ranking_exposure(ranked, model).items():
            if key in exposure:
                exposure[key] += w
        for key, w in target_exposure(qrels.get(qid, {}), candidates, model).items():
            target[key] += w
    total, target_total = sum(exposure.values()) or 1.0, sum(target.values()) or 1.0
    relevant_pairs = [key for qid in rankings for key, g in qrels.get(qid, {}).items() if g > 0 and key in exposure]
    groups: dict[str, list[GroupExposure]] = {}
    for attribute, label in attributes.items():
        of = {key: (label.get(key) or UNKNOWN) for key in candidates}
        rows = []
        for group in sorted(set(of.values())):
            members = [key for key in candidates if of[key] == group]
            relevant = sum(1 for key in relevant_pairs if of[key] == group)
            rows.append(GroupExposure(group, len(members), len(members) / len(candidates),
                                      relevant, relevant / len(relevant_pairs) if relevant_pairs else math.nan,
                                      sum(exposure[k] for k in members) / total,
                                      sum(target[k] for k in members) / target_total))
        groups[attribute] = rows
    return ExposureReport(model, len(rankings), gini(exposure.values()), gini(target.values()), groups)
