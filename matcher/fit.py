"""A fit score people can read: the probability that a suggested pair is relevant, and a floor.

The fused ranking score is standardised per query, so "5.9" on one query and on another mean
different things, and it cannot say "nothing fits". The fit model is a logistic regression
(Platt scaling generalised to a few features) over absolute signals of a pair: each encoder's
cosine, the fused score, BM25 and bridge evidence, and the rank. It is fitted on judged pairs of
the corpus's dev split (`matcher fit`), checked on the test split with a reliability diagram, and
shipped as `matcher/data/fit-model.json` with the encoder fingerprints it was fitted for (a model
fitted on other vectors is not used). Hits below the floor are not presented as matches.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).resolve().parent / "data" / "fit-model.json"
BANDS = (("strong", 0.6), ("possible", 0.35))
"""Band of a probability: strong >= 0.6, possible >= 0.35, else weak (down to the floor)."""
BAND_LABELS = {"strong": {"th": "เหมาะมาก", "en": "strong fit"}, "possible": {"th": "น่าจะเหมาะ", "en": "possible fit"},
               "weak": {"th": "อาจเกี่ยวข้อง", "en": "weak fit"}}


def pair_features(components: Mapping[str, float], fused: float, rank: int, encoder_ids: Sequence[str]) -> list[float]:
    """The model's inputs for one hit: raw component scores (0 when absent), fused score, rank."""
    out = [float(components.get(eid, 0.0)) for eid in encoder_ids]
    out.append(math.log1p(max(0.0, float(components.get("bm25", 0.0)))))
    out.append(math.log1p(max(0.0, float(components.get("bridge", 0.0)))))
    out.append(float(components.get("fused", fused)))
    out.append(1.0 / max(rank, 1))
    return out


def feature_names(encoder_ids: Sequence[str]) -> list[str]:
    return [*(f"cos:{e}" for e in encoder_ids), "log1p_bm25", "log1p_bridge", "fused", "inverse_rank"]


@dataclass
class FitModel:
    encoder_ids: list[str]
    fingerprints: dict[str, str]
    coefficients: list[float]
    intercept: float
    mean: list[float]
    scale: list[float]
    floor: float
    fitted_on: dict[str, Any] = field(default_factory=dict)

    def probability(self, features: Sequence[float]) -> float:
        z = self.intercept + sum(c * (x - m) / s for c, x, m, s in zip(self.coefficients, features, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def usable_with(self, fingerprints: Mapping[str, str]) -> bool:
        return all(fingerprints.get(eid) == fp for eid, fp in self.fingerprints.items())

    def save(self, path: Path = DATA_FILE) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = DATA_FILE) -> "FitModel":
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def band(probability: float) -> str:
    for name, threshold in BANDS:
        if probability >= threshold:
            return name
    return "weak"


@cache
def shipped_model() -> FitModel | None:
    return FitModel.load() if DATA_FILE.exists() else None


def fit_logistic(features: Sequence[Sequence[float]], labels: Sequence[int], encoder_ids: Sequence[str],
                 fingerprints: Mapping[str, str], floor: float, fitted_on: dict[str, Any] | None = None) -> FitModel:
    """Fit the calibration on judged pairs (label 1 = grade >= 1)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    model = LogisticRegression(C=1.0, max_iter=2000).fit((x - mean) / scale, y)
    return FitModel(list(encoder_ids), dict(fingerprints), model.coef_[0].tolist(), float(model.intercept_[0]),
                    mean.tolist(), scale.tolist(), floor, fitted_on or {})
