"""The coverage-gap map: where citizens and agencies ask for something no innovator is strong at.

For every theme x district cell: complaints (citizen demand), open challenges (agency demand) and
the innovators with a *strong* fit to that demand. An innovator counts as capable for a cell when
the matcher's calibrated fit to one of the cell's queries (its most representative complaints and
its open challenges) is in the strong band (fit >= 60, matcher.fit.BANDS); without a fit model
for the running encoders, when the fused score is at least FALLBACK_FUSED. A gap is demand with no
capable innovator; cells are ranked by gap score = demand / (1 + capable innovators). The
computation here is pure: the service gathers the counts and the matches, rendering is elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from matcher import taxonomy
from matcher.complaints.categories import THEME_SECTORS

STRONG_BAND = "strong"
FALLBACK_FUSED = 5.0
"""Fused-score (sum of per-query z-scores) threshold for 'strong', used only when no calibrated fit
model matches the running encoders (after an encoder change, before `matcher fit`): a conservative
fixed cut, five standard deviations above the candidate pool's mean; not calibrated."""

CellKey = tuple[str, str]
"""(theme key, district key)"""


def is_strong(fit: int | None, band: str | None, fused: float) -> bool:
    """The capability rule (see module docstring)."""
    if fit is not None:
        return band == STRONG_BAND
    return fused >= FALLBACK_FUSED


class _DemandAndSupply:
    """The gap rule, one place for cells and sectors: demand is complaints plus open challenges;
    the gap score is demand / (1 + capable innovators)."""

    complaints: int
    open_challenges: int
    innovators: tuple[str, ...]

    @property
    def demand(self) -> int:
        return self.complaints + self.open_challenges

    @property
    def capable(self) -> int:
        return len(self.innovators)

    @property
    def gap_score(self) -> float:
        return self.demand / (1 + self.capable)


@dataclass(frozen=True)
class GapCell(_DemandAndSupply):
    theme: str
    district: str
    complaints: int
    open_challenges: int
    innovators: tuple[str, ...]
    """Capable innovators' ids (strong fit to the cell's demand), best first."""

    @property
    def is_gap(self) -> bool:
        return self.demand > 0 and self.capable == 0

    def to_dict(self) -> dict:
        return {"theme": self.theme, "district": self.district, "complaints": self.complaints,
                "open_challenges": self.open_challenges, "capable_innovators": self.capable,
                "innovator_ids": list(self.innovators), "demand": self.demand,
                "gap_score": round(self.gap_score, 3), "is_gap": self.is_gap}


@dataclass(frozen=True)
class SectorGap(_DemandAndSupply):
    sector: str
    complaints: int
    open_challenges: int
    innovators: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"sector": self.sector, "complaints": self.complaints, "open_challenges": self.open_challenges,
                "capable_innovators": self.capable, "demand": self.demand, "gap_score": round(self.gap_score, 3)}


@dataclass
class GapMap:
    cells: list[GapCell]
    """Every cell with demand, ranked: gaps first, then by gap score, complaints, theme, district."""
    sectors: list[SectorGap] = field(default_factory=list)
    unplaced_complaints: int = 0
    """Complaints without a district or a theme (not on the map)."""

    @property
    def gaps(self) -> list[GapCell]:
        return [c for c in self.cells if c.is_gap]

    def cell(self, theme: str, district: str) -> GapCell | None:
        return next((c for c in self.cells if c.theme == theme and c.district == district), None)

    def themes(self) -> list[str]:
        """Themes with demand, taxonomy order."""
        present = {c.theme for c in self.cells}
        return [k for k in taxonomy.keys("theme") if k in present]

    def districts(self) -> list[str]:
        present = {c.district for c in self.cells}
        return [k for k in taxonomy.keys("district") if k in present]

    def to_dict(self) -> dict:
        return {"cells": [c.to_dict() for c in self.cells], "sectors": [s.to_dict() for s in self.sectors],
                "unplaced_complaints": self.unplaced_complaints}


def rank_cells(cells: Iterable[GapCell]) -> list[GapCell]:
    theme_order = {k: i for i, k in enumerate(taxonomy.keys("theme"))}
    district_order = {k: i for i, k in enumerate(taxonomy.keys("district"))}
    return sorted((c for c in cells if c.demand > 0),
                  key=lambda c: (not c.is_gap, -c.gap_score, -c.complaints, theme_order.get(c.theme, 99),
                                 district_order.get(c.district, 99)))


def sector_gaps(cells: Iterable[GapCell]) -> list[SectorGap]:
    """Demand and capability summed over the 9 NIA sectors (a theme counts for each of its sectors;
    an innovator capable in several cells of a sector counts once), ranked by gap score."""
    complaints: dict[str, int] = defaultdict(int)
    challenges: dict[str, int] = defaultdict(int)
    innovators: dict[str, dict[str, None]] = defaultdict(dict)
    for cell in cells:
        for sector in THEME_SECTORS.get(cell.theme, ()):
            complaints[sector] += cell.complaints
            challenges[sector] += cell.open_challenges
            innovators[sector].update(dict.fromkeys(cell.innovators))
    out = [SectorGap(s, complaints[s], challenges[s], tuple(innovators[s])) for s in taxonomy.keys("sector")]
    return sorted(out, key=lambda s: (s.demand == 0, -s.gap_score, -s.demand))


def build_gap_map(complaints: Mapping[CellKey, int], open_challenges: Mapping[CellKey, int],
                  capable: Mapping[CellKey, Iterable[str]], unplaced_complaints: int = 0) -> GapMap:
    """Assemble and rank the map from per-cell counts and capable innovators."""
    keys = set(complaints) | set(open_challenges)
    cells = [GapCell(theme, district, int(complaints.get((theme, district), 0)),
                     int(open_challenges.get((theme, district), 0)),
                     tuple(dict.fromkeys(capable.get((theme, district), ()))))
             for theme, district in keys]
    ranked = rank_cells(cells)
    return GapMap(ranked, sector_gaps(ranked), unplaced_complaints)


def gaps_csv(gap_map: GapMap) -> str:
    """One row per cell, ranked, with Thai and English labels."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rank", "theme", "theme_th", "theme_en", "district", "district_th", "district_en", "complaints",
                     "open_challenges", "capable_innovators", "gap_score", "is_gap", "innovator_ids"])
    for rank, c in enumerate(gap_map.cells, start=1):
        theme, district = taxonomy.term("theme", c.theme), taxonomy.term("district", c.district)
        writer.writerow([rank, c.theme, theme.th, theme.en, c.district, district.th, district.en, c.complaints,
                         c.open_challenges, c.capable, f"{c.gap_score:.3f}", int(c.is_gap), " ".join(c.innovators)])
    return out.getvalue()


def gaps_png(gap_map: GapMap) -> bytes:
    """A heat map (themes x districts, colour = gap score, a dot where no innovator is capable).
    Labels are English: matplotlib's bundled fonts have no Thai glyphs."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    themes, districts = gap_map.themes(), gap_map.districts()
    grid = np.full((len(themes), len(districts)), np.nan)
    for c in gap_map.cells:
        grid[themes.index(c.theme), districts.index(c.district)] = c.gap_score
    figure, axes = plt.subplots(figsize=(max(6, 0.32 * len(districts) + 3), max(3, 0.35 * len(themes) + 1.5)))
    image = axes.imshow(grid, aspect="auto", cmap="Reds")
    for c in gap_map.gaps:
        axes.plot(districts.index(c.district), themes.index(c.theme), "k.", markersize=3)
    axes.set_xticks(range(len(districts)), [taxonomy.term("district", d).en for d in districts], rotation=90, fontsize=7)
    axes.set_yticks(range(len(themes)), [taxonomy.term("theme", t).en for t in themes], fontsize=7)
    figure.colorbar(image, ax=axes, label="gap score = demand / (1 + capable innovators)")
    axes.set_title("Coverage gaps (dot: demand and no innovator with a strong fit)", fontsize=9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()
