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
    return {
        "default (hybrid)": default,
        "bm25": RetrievalConfig(mode="lexical"),
        TFIDF: None,
        "e5-small": _dense("e5-small"),
        "use-m3": _dense("use-m3"),
        "e5-small+center": _dense("e5-small+center"),
        "dense fusion (default encoders)": default.model_copy(update={"mode": "dense"}),
        "e5+use raw z-fusion": _dense("e5-small", "use-m3"),
        "hybrid rrf, not language-aware": default.model_copy(update={"fusion": "rrf", "language_aware_lexical": False}),
    }
