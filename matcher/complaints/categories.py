"""From a complaint's own category labels to the platform's taxonomy: BMA themes and NIA sectors.

Traffy Fondue tags tickets with its own types (ถนน, ทางเท้า, แสงสว่าง...). The table below maps each
type to the BMA pain-point theme(s) it is evidence for; a type that says nothing about the problem
(ร้องเรียน "complaint", สอบถาม "inquiry", เสนอแนะ "suggestion") maps to none. Text without a usable
label gets its theme by matching, the way the traffy-types benchmark routes complaints: the
nearest theme description (`themes_by_similarity`). Sectors follow from themes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from matcher import taxonomy

TRAFFY_THEMES: dict[str, tuple[str, ...]] = {
    "ถนน": ("traffic_transport",),
    "ทางเท้า": ("street_vendors_sidewalks",),
    "ความปลอดภัย": ("public_safety",),
    "ร้องเรียน": (),
    "ความสะอาด": ("waste",),
    "กีดขวาง": ("street_vendors_sidewalks",),
    "แสงสว่าง": ("street_lighting",),
    "ท่อระบายน้ำ": ("flooding_drainage",),
    "ป้าย": ("public_safety",),
    "จราจร": ("traffic_transport",),
    "เสียงรบกวน": ("noise",),
    "สะพาน": ("traffic_transport",),
    "คลอง": ("canals",),
    "ต้นไม้": ("green_space",),
    "น้ำท่วม": ("flooding_drainage",),
    "สายไฟ": ("public_safety",),
    "สัตว์จรจัด": ("stray_animals",),
    "PM2.5": ("air_pm25",),
    "สอบถาม": (),
    "คนจรจัด": ("homelessness",),
    "เสนอแนะ": (),
    "การเดินทาง": ("traffic_transport",),
    "ป้ายจราจร": ("traffic_transport",),
    "ห้องน้ำ": ("health",),
}
"""Traffy Fondue type -> BMA themes (keys of matcher.taxonomy.THEMES). Labels are also accepted when
they already are theme keys or theme labels, so other sources can use the taxonomy directly."""

THEME_SECTORS: dict[str, tuple[str, ...]] = {
    "traffic_transport": ("urbanization",),
    "waste": ("environment",),
    "air_pm25": ("environment", "health"),
    "street_vendors_sidewalks": ("urbanization", "finance_employment_welfare"),
    "transparency": ("government_education",),
    "flooding_drainage": ("disaster_management", "food_water_energy"),
    "education": ("government_education",),
    "health": ("health",),
    "tourism": ("tourism_culture",),
    "ageing": ("health", "finance_employment_welfare"),
    "disability_access": ("urbanization", "health"),
    "public_safety": ("urbanization", "disaster_management"),
    "canals": ("environment", "food_water_energy"),
    "street_lighting": ("urbanization", "food_water_energy"),
    "green_space": ("environment", "urbanization"),
    "stray_animals": ("health", "environment"),
    "homelessness": ("finance_employment_welfare", "health"),
    "noise": ("environment", "health"),
    "digital_services": ("government_education",),
    "employment_livelihood": ("finance_employment_welfare",),
}
"""BMA theme -> the NIA sectors an answer to it belongs to (first = main sector)."""


def themes_of_labels(labels: Iterable[str]) -> list[str]:
    """Theme keys a complaint's labels are evidence for, in label order, without repeats."""
    out: list[str] = []
    for label in labels:
        found = TRAFFY_THEMES.get(label.strip())
        if found is None:
            try:
                found = (taxonomy.resolve("theme", label),)
            except ValueError:
                found = ()
        out.extend(t for t in found if t not in out)
    return out


def sectors_of_themes(themes: Iterable[str]) -> list[str]:
    """NIA sector keys for these themes, main sectors first, in taxonomy order within each rank."""
    ranked: dict[str, int] = {}
    for theme in themes:
        for rank, sector in enumerate(THEME_SECTORS.get(theme, ())):
            ranked[sector] = min(rank, ranked.get(sector, rank))
    order = {key: i for i, key in enumerate(taxonomy.keys("sector"))}
    return sorted(ranked, key=lambda s: (ranked[s], order[s]))


def theme_texts() -> list[str]:
    """One Thai + English description per theme, the documents of theme matching."""
    return [f"{t.th} / {t.en}" for t in taxonomy.THEMES]


def themes_by_similarity(vectors: np.ndarray, theme_vectors: np.ndarray) -> list[str]:
    """For each row of `vectors` (normalised), the key of the most similar theme description."""
    keys = taxonomy.keys("theme")
    if len(vectors) == 0:
        return []
    return [keys[int(i)] for i in np.argmax(np.asarray(vectors) @ np.asarray(theme_vectors).T, axis=1)]


def theme_evidence(label_themes: Sequence[Sequence[str]], fallback: Sequence[str | None] = ()) -> Counter:
    """How many complaints are evidence for each theme: their labels' themes or, for a complaint
    without a mapped label, its matched theme (`fallback`, one per complaint)."""
    counts: Counter = Counter()
    for i, themes in enumerate(label_themes):
        if themes:
            counts.update(themes)
        elif i < len(fallback) and fallback[i]:
            counts[fallback[i]] += 1
    return counts


def main_theme(counts: Mapping[str, int], background: Mapping[str, float] | None = None) -> str | None:
    """The theme a group is most specifically about: its count weighted by -log of the theme's share
    among all complaints (`background`), so a label Traffy attaches to almost everything (ถนน, on
    46% of tickets) does not outvote the specific one (แสงสว่าง). Only themes with at least
    a third of the top count compete, so one rare label in a large group does not win. Ties: taxonomy order."""
    if not counts:
        return None
    top = max(counts.values())
    counts = {theme: n for theme, n in counts.items() if n >= top / 3}
    order = {key: i for i, key in enumerate(taxonomy.keys("theme"))}

    def weight(theme: str) -> float:
        share = (background or {}).get(theme)
        return counts[theme] * (-math.log(share) if share and 0 < share < 1 else 1.0)

    return min(counts, key=lambda t: (-weight(t), order[t]))
