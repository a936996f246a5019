"""Learning to rank: a LightGBM lambdarank model re-orders the top of the fused ranking.

Features are cheap and text-only (so the model needs nothing that only this project's corpus
has; a BEIR folder with `_id`, `title`, `text` gets the same features): each encoder's cosine,
its CSLS-corrected score, both standardised within the query's pool, its rank; in-language BM25
and the cross-language bridge, standardised within their language groups; the fused score and
rank; whether the pair crosses languages; the lengths of both texts. The model is trained on the
judged train split (and agencies' feedback), tuned on dev (`matcher train`), and shipped as
`matcher/data/ranker.txt` with the encoder fingerprints and configuration it was trained for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from matcher.config import scoring_identity

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_FILE = DATA_DIR / "ranker.txt"
META_FILE = DATA_DIR / "ranker.json"


def feature_names(encoder_ids: Sequence[str]) -> list[str]:
    names = []
    for eid in encoder_ids:
        names += [f"cos:{eid}", f"z_cos:{eid}", f"z_csls:{eid}", f"log_rank:{eid}"]
    return names + ["log1p_bm25", "z_bm25", "z_bridge", "fused", "log_fused_rank", "cross_language",
                    "log_query_tokens", "log_doc_tokens"]


def _z(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    from matcher.ranking import zscore

    return zscore(values, mask).astype(np.float32)


def _log_rank(values: np.ndarray) -> np.ndarray:
    from matcher.ranking import ranks

    return np.log(ranks(values).astype(np.float32))


def pool_features(encoder_ids: Sequence[str], cosines: Mapping[str, np.ndarray], corrected: Mapping[str, np.ndarray],
                  bm25: np.ndarray | None, bridge: np.ndarray | None, fused: np.ndarray, same_language: np.ndarray,
                  query_tokens: int, doc_tokens: np.ndarray) -> np.ndarray:
    """One row of features per pool candidate (see `feature_names`)."""
    n = len(fused)
    columns: list[np.ndarray] = []
    for eid in encoder_ids:
        cos = np.asarray(cosines.get(eid, np.zeros(n)), dtype=np.float32)
        columns += [cos, _z(cos), _z(np.asarray(corrected.get(eid, cos), dtype=np.float32)), _log_rank(cos)]
    lexical = np.zeros(n, dtype=np.float32) if bm25 is None else np.asarray(bm25, dtype=np.float32)
    bridged = np.zeros(n, dtype=np.float32) if bridge is None else np.asarray(bridge, dtype=np.float32)
    columns += [np.log1p(np.maximum(lexical, 0)), _z(lexical, same_language), _z(bridged, ~same_language),
                np.asarray(fused, dtype=np.float32), _log_rank(np.asarray(fused)),
                (~same_language).astype(np.float32), np.full(n, np.log1p(query_tokens), dtype=np.float32),
                np.log1p(np.asarray(doc_tokens, dtype=np.float32))]
    return np.stack(columns, axis=1)


@dataclass
class Reranker:
    booster: Any
    encoder_ids: list[str]
    fingerprints: dict[str, str]
    config: dict[str, Any]
    depth: int

    def score(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(features), dtype=np.float64)

    def usable_with(self, fingerprints: Mapping[str, str], config: Mapping[str, Any]) -> bool:
        base = {k: v for k, v in scoring_identity(config).items() if k not in ("rerank", "rerank_depth")}
        mine = {k: v for k, v in scoring_identity(self.config).items() if k not in ("rerank", "rerank_depth")}
        return base == mine and all(fingerprints.get(e) == fp for e, fp in self.fingerprints.items())

    def save(self, model_file: Path = MODEL_FILE, meta_file: Path = META_FILE, extra: dict[str, Any] | None = None) -> None:
        self.booster.save_model(str(model_file))
        meta = {"encoder_ids": self.encoder_ids, "fingerprints": self.fingerprints, "config": self.config,
                "depth": self.depth, **(extra or {})}
        meta_file.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, model_file: Path = MODEL_FILE, meta_file: Path = META_FILE) -> "Reranker":
        try:
            import lightgbm
        except ImportError as exc:  # pragma: no cover - lightgbm is a core dependency
            raise ImportError("the learned re-ranker needs lightgbm: pip install lightgbm") from exc
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        return cls(lightgbm.Booster(model_file=str(model_file)), meta["encoder_ids"], meta["fingerprints"],
                   meta["config"], int(meta["depth"]))


@cache
def shipped_reranker(model_file: Path = MODEL_FILE, meta_file: Path = META_FILE) -> Reranker | None:
    return Reranker.load(model_file, meta_file) if model_file.exists() and meta_file.exists() else None
