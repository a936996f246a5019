"""Named retrieval configurations for comparisons and the RESULTS table.

One registry: the CLI's --config choices, the RESULTS table rows and the docs all derive from it.
"""

from __future__ import annotations

from matcher.config import DenseComponent, RetrievalConfig

TFIDF = "tfidf-char"


def _dense(*encoders: str) -> RetrievalConfig:
    return RetrievalConfig(mode="dense", dense=[DenseComponent(encoder=e) for e in encoders])


def named_configs() -> dict[str, RetrievalConfig | None]:
    """Name -> configuration; None marks the TF-IDF baseline, which is not a matcher configuration."""
    default = RetrievalConfig()
    previous = default.model_copy(update={"hubness_k": 0, "bridge_weight": 0.0, "lexical_weight": 0.5,
                                          "fair_exposure": False})
    return {
        "default (hybrid)": default,
        "previous default (2026-11)": previous,
        "default without CSLS": default.model_copy(update={"hubness_k": 0}),
        "default without bridge": default.model_copy(update={"bridge_weight": 0.0}),
        "default without fair exposure": default.model_copy(update={"fair_exposure": False}),
        "bm25": RetrievalConfig(mode="lexical"),
        TFIDF: None,
        "e5-small": _dense("e5-small"),
        "use-m3": _dense("use-m3"),
        "e5-small+center": _dense("e5-small+center"),
        "dense fusion (default encoders)": default.model_copy(update={"mode": "dense"}),
        "e5+use raw z-fusion": _dense("e5-small", "use-m3"),
        "hybrid rrf, not language-aware": default.model_copy(update={"fusion": "rrf", "language_aware_lexical": False}),
        **({"learned re-ranker": default.model_copy(update={"rerank": True})} if _ranker_shipped(default) else {}),
    }


def _ranker_shipped(config: RetrievalConfig) -> bool:
    from matcher.encoders import get_encoder
    from matcher.rerank import shipped_reranker

    ranker = shipped_reranker()
    fingerprints = {eid: get_encoder(eid).fingerprint for eid in config.encoder_ids}
    return ranker is not None and ranker.usable_with(fingerprints, config.model_dump(mode="json"))
