"""The matching engine: two collections (challenges, innovators) and the three directions.

- challenge -> innovators (agency staff looking for solvers),
- innovator -> open challenges (innovators looking for problems they can solve),
- free text (Thai, English or mixed) -> either side.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from matcher.collection import Collection, Hit, IndexDoc, build_queries
from matcher.config import RetrievalConfig
from matcher.encoders import Encoder, get_encoder
from matcher.filters import Filters
from matcher.index.manifest import IndexCorruptError, IndexMismatchError

log = logging.getLogger(__name__)

Side = Literal["challenges", "innovators"]
SIDES: tuple[Side, ...] = ("challenges", "innovators")


class UnknownRecordError(KeyError):
    """An id that is not in the index."""

    def __init__(self, side: str, key: str):
        super().__init__(key)
        self.side = side
        self.key = key

    def __str__(self) -> str:
        return f"unknown {self.side[:-1]} id {self.key!r}"


class MatchEngine:
    """Owns the collections and the encoders; every entry point of the product goes through it."""

    def __init__(self, config: RetrievalConfig | None = None, cache_dir: Path | None = None, dense_kind: str = "flat"):
        self.config = config or RetrievalConfig()
        self.cache_dir = cache_dir
        self.dense_kind = dense_kind
        self._encoders: dict[str, Encoder] | None = None
        self.collections: dict[str, Collection] = {}

    @property
    def encoders(self) -> dict[str, Encoder]:
        """Loaded on first use, never at construction (a CLI --help must not load models)."""
        if self._encoders is None:
            self._encoders = {eid: get_encoder(eid, self.cache_dir) for eid in self.config.encoder_ids}
        return self._encoders

    def collection(self, side: Side) -> Collection:
        if side not in self.collections:
            self.collections[side] = Collection.for_encoders(self.encoders, dense_kind=self.dense_kind, name=side)
        return self.collections[side]

    # --- building and persistence ------------------------------------------------------------

    def upsert(self, side: Side, docs: Sequence[IndexDoc], show_progress: bool | None = False,
               warm_queries: bool = True) -> None:
        """Index records; with an embedding cache, also store their query-mode embeddings.

        Every stored record is later used as a query (a challenge looking for innovators, an
        innovator looking for challenges), so encoding its query form at write time keeps
        matching a stored record at search-only cost.
        """
        self.collection(side).upsert(docs, self.encoders, show_progress=show_progress)
        if warm_queries:
            self.warm_queries(docs, show_progress)

    def warm_queries(self, docs: Sequence[IndexDoc], show_progress: bool | None = False) -> None:
        """Put the query-mode embeddings of stored records into the cache (no-op without a cache)."""
        if self.cache_dir is None or not docs:
            return
        for encoder in self.encoders.values():
            encoder.encode_queries([d.text for d in docs], show_progress)

    def remove(self, side: Side, keys: Sequence[str]) -> int:
        return self.collection(side).remove(keys)

    def save(self, index_dir: Path) -> None:
        for side in SIDES:
            self.collection(side).save(Path(index_dir) / side)

    def load(self, index_dir: Path) -> "MatchEngine":
        for side in SIDES:
            self.collections[side] = Collection.load(Path(index_dir) / side, self.encoders)
        return self

    @staticmethod
    def index_exists(index_dir: Path) -> bool:
        return all((Path(index_dir) / side / "manifest.json").exists() for side in SIDES)

    # --- matching ------------------------------------------------------------------------------

    def _doc(self, side: Side, key: str) -> IndexDoc:
        doc = self.collection(side).docs.get(key)
        if doc is None:
            raise UnknownRecordError(side, key)
        return doc

    def match_challenge(self, challenge_id: str, k: int = 10, filters: Filters | None = None,
                        config: RetrievalConfig | None = None, exclude: Sequence[str] = ()) -> list[Hit]:
        """Innovators for a stored challenge."""
        doc = self._doc("challenges", challenge_id)
        return self._search_doc(doc, "innovators", k, filters, config, exclude)

    def match_innovator(self, innovator_id: str, k: int = 10, filters: Filters | None = None,
                        config: RetrievalConfig | None = None, include_confidential: bool = False) -> list[Hit]:
        """Open challenges for a stored innovator (closed ones only if the filter asks for them)."""
        doc = self._doc("innovators", innovator_id)
        filters = filters or Filters()
        if not filters.status:
            filters = filters.model_copy(update={"status": ["open"]})
        exclude = [] if include_confidential else self.confidential_challenges()
        return self._search_doc(doc, "challenges", k, filters, config, exclude)

    def confidential_challenges(self) -> list[str]:
        return [key for key, d in self.collection("challenges").docs.items() if d.facets.get("confidential")]

    def search_text(self, text: str, target: Side, k: int = 10, filters: Filters | None = None,
                    config: RetrievalConfig | None = None, exclude: Sequence[str] = ()) -> list[Hit]:
        if target not in SIDES:
            raise ValueError(f"target must be one of {SIDES}, not {target!r}")
        if not text or not text.strip():
            raise ValueError("text must not be empty")
        query = build_queries([text], self._encoders_for(config))[0]
        return self.collection(target).search(query, k, config or self.config, filters, exclude)

    def _encoders_for(self, config: RetrievalConfig | None) -> dict[str, Encoder]:
        config = config or self.config
        if config.mode == "lexical":
            return {}
        unknown = [e for e in config.encoder_ids if e not in self.encoders]
        if unknown:
            raise IndexMismatchError(f"encoders {unknown} are not part of this index ({list(self.encoders)})")
        return {eid: self.encoders[eid] for eid in config.encoder_ids}

    def _search_doc(self, doc: IndexDoc, target: Side, k: int, filters: Filters | None,
                    config: RetrievalConfig | None, exclude: Sequence[str]) -> list[Hit]:
        query = build_queries([doc.text], self._encoders_for(config), sectors=[doc.facets.get("sectors") or []],
                              themes=[doc.facets.get("themes") or []])[0]
        return self.collection(target).search(query, k, config or self.config, filters, exclude)


def open_engine(index_dir: Path, cache_dir: Path | None, config: RetrievalConfig | None = None) -> MatchEngine:
    """Load a saved engine, with errors that say how to fix a missing or mismatched index."""
    engine = MatchEngine(config, cache_dir)
    if not MatchEngine.index_exists(index_dir):
        raise IndexCorruptError(f"no index in {index_dir}; build one with `matcher index`")
    return engine.load(index_dir)
