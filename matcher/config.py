"""Retrieval configuration: which components are fused, and how.

The defaults are the configuration measured best on the corpora dev split and the shared
benchmarks (see README, "Choosing the default"); `matcher serve`, `matcher match` and
`matcher eval` all use `RetrievalConfig()` unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["dense", "lexical", "hybrid"]
Fusion = Literal["zscore", "rrf"]
ORDER_ONLY_FIELDS = ("fair_exposure", "fair_alpha", "fair_margin")
"""Settings applied after fusion (they move hits, never change a hit's component scores)."""


def scoring_identity(dumped: Mapping[str, Any]) -> dict[str, Any]:
    """What decides the component and fused scores of a hit, from a dumped configuration (live or
    stored with a fit model or a learned ranker): the order-only fields are left out, so switching
    them (or a model stored before they existed) keeps the shipped models usable."""
    return {k: v for k, v in dumped.items() if k not in ORDER_ONLY_FIELDS}


class DenseComponent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    encoder: str
    weight: float = Field(default=1.0, ge=0)


def _default_dense() -> list[DenseComponent]:
    return [DenseComponent(encoder="e5-small+center", weight=1.0), DenseComponent(encoder="use-m3+center", weight=1.0)]


class RetrievalConfig(BaseModel):
    """How a query is scored. Pure data: no models are loaded by building one."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = "hybrid"
    dense: list[DenseComponent] = Field(default_factory=_default_dense, min_length=1)
    lexical_weight: float = Field(default=1.0, ge=0)
    fusion: Fusion = "zscore"
    rrf_k: int = Field(default=60, ge=1)
    language_aware_lexical: bool = True
    bridge_weight: float = Field(default=0.25, ge=0,
                                 description="Weight of the Thai-English WordNet bridge (hybrid mode; 0: off)")
    hubness_k: int = Field(default=10, ge=0, le=1000,
                           description="CSLS hubness correction with this many neighbours (0: off)")
    rerank: bool = Field(default=False, description="Re-order the top with the shipped learned ranker")
    rerank_depth: int = Field(default=50, ge=1, le=1000)
    pool_size: int = Field(default=200, ge=10, le=10_000)
    exhaustive_below: int = Field(default=2000, ge=0)
    fair_exposure: bool = Field(default=True, description="Floor for community groups in the top 10 (matcher.fair; "
                                                          "on: its measured test cost is within 0.01 nDCG@10, eval/EXPOSURE.md)")
    fair_alpha: float = Field(default=0.4, gt=0, lt=1, description="FA*IR significance of the floor (higher: stricter)")
    fair_margin: float = Field(default=0.25, ge=0, description="Largest score deficit, in standard deviations of the "
                                                              "pool's scores, a promoted candidate may overcome")

    @property
    def encoder_ids(self) -> list[str]:
        return [c.encoder for c in self.dense]

    def with_encoders(self, encoder_ids: list[str]) -> "RetrievalConfig":
        return self.model_copy(update={"dense": [DenseComponent(encoder=e) for e in encoder_ids]})
