"""The matching engine: two collections (challenges, innovators) and the three directions.

- challenge -> innovators (agency staff looking for solvers),
- innovator -> open challenges (innovators looking for problems they can solve),
- free text (Thai, English or mixed) -> either side.

Visibility (confidential challenges, open by default) is decided by `matcher.policy` with the
caller's `Viewer` passed in; nothing here reads a database or the environment.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from matcher.collection import Collection, Hit, IndexDoc, Query
from matcher.config import RetrievalConfig, scoring_identity
from matcher.encoders import Encoder, get_encoder
from matcher.encoders.base import EncoderWrapper
from matcher.filters import Filters
from matcher.fit import FitModel, band, pair_features, shipped_model
from matcher.index.manifest import IndexCorruptError, IndexMismatchError
from matcher.policy import ANYONE, Viewer, may_see_facets, open_unless_asked
from matcher.solutions import MatchedSolution, SolutionMatcher
from matcher.text import cut_query, has_content

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


def load_encoders(config: RetrievalConfig, cache_dir: Path | None = None, cache_queries: bool = True) -> dict[str, Encoder]:
    """The encoders a configuration needs (each built once per process)."""
    return {eid: get_encoder(eid, cache_dir, cache_queries) for eid in config.encoder_ids}


class MatchEngine:
    """Holds the two collections; every entry point of the product goes through it."""

    def __init__(self, config: RetrievalConfig | None = None, cache_dir: Path | None = None, dense_kind: str = "auto",
                 query_memo: int = 0):
        self.config = config or RetrievalConfig()
        self.cache_dir = cache_dir
        self.query_memo = query_memo
        """Free-text query vectors kept in memory (matcher.encoders.cache.QueryMemo) instead of in the
        disk cache; 0: none (queries go to the disk cache, bounded, when there is one)."""
        self.dense_kind = dense_kind
        self._solutions: SolutionMatcher | None = None
        self._encoders: dict[str, Encoder] | None = None
        self._collections: dict[str, Collection] = {}
        self.apply_floor = True
        """Hide hits under the fit model's relevance floor (per call: `floor=`)."""

    @property
    def encoders(self) -> dict[str, Encoder]:
        """Loaded on first use, never at construction (a CLI --help must not load models)."""
        if self._encoders is None:
            encoders = load_encoders(self.config, self.cache_dir, cache_queries=self.query_memo <= 0)
            if self.query_memo > 0:
                from matcher.encoders.cache import QueryMemo

                encoders = {eid: QueryMemo(e, self.query_memo) for eid, e in encoders.items()}
            self._encoders = encoders
        return self._encoders

    def collection(self, side: Side) -> Collection:
        """The collection of one side (an empty one until records arrive)."""
        if side not in self._collections:
            self._collections[side] = Collection.build(side, [], self.encoders, self.dense_kind)
        return self._collections[side]

    def set_collection(self, side: Side, collection: Collection) -> None:
        """Swap in a whole collection (a rebuild or a loaded snapshot): one reference assignment,
        so readers see the old or the new one, never half of either."""
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, not {side!r}")
        if sorted(collection.encoders) != sorted(self.encoders):
            raise IndexMismatchError(f"{side} collection has encoders {collection.encoder_ids}, "
                                     f"the engine uses {list(self.encoders)}")
        self._collections[side] = collection

    # --- building and persistence ------------------------------------------------------------

    def build(self, side: Side, docs: Sequence[IndexDoc], show_progress: bool | None = False) -> Collection:
        collection = Collection.build(side, docs, self.encoders, self.dense_kind, show_progress=show_progress)
        self.set_collection(side, collection)
        return collection

    def refresh_hubness(self) -> None:
        """CSLS references: each side's documents against the other side's query vectors (stored
        records are the queries of the other direction). No-op when the configuration has it off."""
        k = self.config.hubness_k
        if not k:
            return
        for side, other in (("innovators", "challenges"), ("challenges", "innovators")):
            references = {eid: store.get(store.keys) for eid, store in self.collection(other).query_vectors.items()
                          if len(store)}
            if references:
                self.collection(side).set_references(references, k)

    def upsert(self, side: Side, docs: Sequence[IndexDoc], show_progress: bool | None = False) -> None:
        self.collection(side).upsert(docs, show_progress=show_progress)

    def remove(self, side: Side, keys: Sequence[str]) -> int:
        return self.collection(side).remove(keys)

    def save(self, index_dir: Path) -> None:
        for side in SIDES:
            self.collection(side).save(Path(index_dir) / side)

    def load(self, index_dir: Path) -> "MatchEngine":
        for side in SIDES:
            self.set_collection(side, Collection.load(Path(index_dir) / side, self.encoders))
        self.refresh_hubness()
        return self

    @staticmethod
    def index_exists(index_dir: Path) -> bool:
        return all((Path(index_dir) / side / "manifest.json").exists() for side in SIDES)

    # --- matching ------------------------------------------------------------------------------

    def _stored_query(self, side: Side, key: str, config: RetrievalConfig) -> Query:
        collection = self.collection(side)
        if key not in collection:
            raise UnknownRecordError(side, key)
        return collection.query_for(key, self._encoder_ids(config))

    def hidden_challenges(self, viewer: Viewer) -> list[str]:
        """Challenge ids this viewer may not see (confidential ones of other agencies)."""
        docs = self.collection("challenges").docs
        return [key for key, doc in docs.items() if doc.facets.get("confidential") and not may_see_facets(viewer, doc.facets)]

    # --- fit scores ----------------------------------------------------------------------------

    def fit_model(self, config: RetrievalConfig) -> FitModel | None:
        """The shipped fit model when it was fitted for this configuration and these encoders."""
        model = shipped_model()
        if model is None or scoring_identity(model.fitted_on.get("config") or {}) != \
                scoring_identity(config.model_dump(mode="json")):
            return None
        fingerprints = {eid: enc.fingerprint for eid, enc in self.encoders.items()}
        return model if model.usable_with(fingerprints) else None

    def calibrate(self, hits: list[Hit], config: RetrievalConfig, floor: bool | None = None) -> list[Hit]:
        """Give each hit its fit (0-100) and band; below the floor a hit is not a match (unless
        `floor` is False). Without a matching fit model the hits are returned as they are."""
        model = self.fit_model(config)
        if model is None:
            return hits
        floor = self.apply_floor if floor is None else floor
        kept = []
        for hit in hits:
            probability = model.probability(pair_features(hit.components, hit.score, hit.rank, model.encoder_ids))
            hit.fit, hit.band = round(100 * probability), band(probability)
            if not floor or probability >= model.floor:
                kept.append(hit)
        return kept

    def match_challenge(self, challenge_id: str, k: int = 10, filters: Filters | None = None,
                        config: RetrievalConfig | None = None, exclude: Sequence[str] = (),
                        floor: bool | None = None) -> list[Hit]:
        """Innovators for a stored challenge (innovator profiles are public)."""
        config = config or self.config
        query = self._stored_query("challenges", challenge_id, config)
        return self.calibrate(self.collection("innovators").search(query, k, config, filters, exclude), config, floor)

    def match_innovator(self, innovator_id: str, k: int = 10, filters: Filters | None = None,
                        config: RetrievalConfig | None = None, viewer: Viewer = ANYONE,
                        floor: bool | None = None) -> list[Hit]:
        """Challenges for a stored innovator: open ones unless the filter asks, visible to `viewer`."""
        config = config or self.config
        query = self._stored_query("innovators", innovator_id, config)
        hits = self.collection("challenges").search(query, k, config, open_unless_asked(filters),
                                                    self.hidden_challenges(viewer))
        return self.calibrate(hits, config, floor)

    def search_text(self, text: str, target: Side, k: int = 10, filters: Filters | None = None,
                    config: RetrievalConfig | None = None, viewer: Viewer = ANYONE,
                    exclude: Sequence[str] = (), floor: bool | None = None) -> list[Hit]:
        """Free text against either side; challenges are open ones unless the filter asks."""
        if target not in SIDES:
            raise ValueError(f"target must be one of {SIDES}, not {target!r}")
        if not has_content(text):
            return []  # blank, emoji or punctuation only: nothing to match, "nothing fits" rather than noise
        config = config or self.config
        collection = self.collection(target)
        query = collection.text_queries([cut_query(text)[0]], self._encoder_ids(config))[0]
        if target == "challenges":
            filters = open_unless_asked(filters)
            exclude = [*exclude, *self.hidden_challenges(viewer)]
        return self.calibrate(collection.search(query, k, config, filters, exclude), config, floor)

    def similar_challenges(self, text: str, k: int = 5, viewer: Viewer = ANYONE) -> list[Hit]:
        """Possible duplicates of a draft pain point, open or closed, among those the viewer may see."""
        if not has_content(text):
            return []
        config = self.config
        collection = self.collection("challenges")
        query = collection.text_queries([cut_query(text)[0]], self._encoder_ids(config))[0]
        return collection.search(query, k, config, None, self.hidden_challenges(viewer))

    def warm_up(self) -> None:
        """Run each encoder once. A process that indexed from stored vectors has not encoded yet, and
        an encoder's first call pays its runtime's set-up (about a second for USE here); without
        this, the first free-text search or matched-solution lookup after start-up would pay it."""
        for encoder in self.encoders.values():
            while isinstance(encoder, EncoderWrapper):  # past caches and shipped vectors, to the model
                encoder = encoder.inner
            encoder.encode_queries(["warm up"])
            encoder.encode_documents(["warm up"])

    def matched_solutions(self, solution_lists: Sequence[Sequence], *, challenge_id: str | None = None,
                          text: str | None = None) -> list[MatchedSolution | None]:
        """For suggested innovators (their `solutions` lists, in hit order), the solution that answers
        the stored challenge `challenge_id`, or the free `text`, best (see matcher.solutions)."""
        eid = next((e for e in self.encoders if e.startswith("use")), next(iter(self.encoders)))
        if challenge_id is not None:
            if challenge_id not in self.collection("challenges"):
                raise UnknownRecordError("challenges", challenge_id)
            vector = self.collection("challenges").query_for(challenge_id, [eid]).vectors[eid]
        else:
            vector = self.collection("innovators").text_queries([text or ""], [eid])[0].vectors[eid]
        if self._solutions is None or self._solutions.encoder is not self.encoders[eid]:
            self._solutions = SolutionMatcher(self.encoders[eid])
        return self._solutions.best(vector, solution_lists)

    def _encoder_ids(self, config: RetrievalConfig) -> list[str]:
        if config.mode == "lexical":
            return []
        unknown = [e for e in config.encoder_ids if e not in self.encoders]
        if unknown:
            raise IndexMismatchError(f"encoders {unknown} are not part of this index ({list(self.encoders)})")
        return config.encoder_ids


def open_engine(index_dir: Path, cache_dir: Path | None, config: RetrievalConfig | None = None) -> MatchEngine:
    """Load a saved engine, with errors that say how to fix a missing or mismatched index."""
    engine = MatchEngine(config, cache_dir)
    if not MatchEngine.index_exists(index_dir):
        raise IndexCorruptError(f"no index in {index_dir}; build one with `matcher index`")
    return engine.load(index_dir)
