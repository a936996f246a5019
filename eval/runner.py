"""Run a retrieval configuration over an evaluation dataset and produce a ranx Run."""

from __future__ import annotations

import logging
from pathlib import Path

from matcher.collection import Collection
from matcher.config import RetrievalConfig
from matcher.encoders import get_encoder
from matcher.encoders.base import show_progress_default

from eval.datasets import EvalDataset

log = logging.getLogger(__name__)


def retrieve(dataset: EvalDataset, config: RetrievalConfig, k: int = 100, cache_dir: Path | None = None,
             show_progress: bool | None = None) -> dict[str, dict[str, float]]:
    """Index the dataset's documents with the configuration's encoders and rank them for each query."""
    encoder_ids = [] if config.mode == "lexical" else config.encoder_ids
    encoders = {eid: get_encoder(eid, cache_dir) for eid in encoder_ids}
    collection = Collection.build(dataset.name, dataset.docs, encoders, "flat", show_progress=show_progress)
    queries = collection.text_queries([q.text for q in dataset.queries], sectors=[q.sectors for q in dataset.queries],
                                      themes=[q.themes for q in dataset.queries], show_progress=show_progress)
    from tqdm.auto import tqdm

    run: dict[str, dict[str, float]] = {}
    for eq, query in tqdm(list(zip(dataset.queries, queries)), desc=f"retrieve [{dataset.name}]", unit="query",
                          disable=not show_progress_default(show_progress), leave=False):
        hits = collection.search(query, k, config, explain=False)
        run[eq.id] = {h.key: h.score for h in hits} or {"__none__": 0.0}
    return run
