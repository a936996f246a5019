"""A searchable collection: documents, its encoders, one dense index per encoder, BM25, facets.

This is the unit the CLI, the service and the evaluation all share, built by one path
(`Collection.build`). A collection owns its encoders: it encodes its own documents and queries,
keeps every record's document- *and* query-mode vectors (a stored record is later used as a
query), and records each encoder's fingerprint in its manifest, so vectors of another model or
other centering means are refused on load. Searches share a readers-writer lock; a write (a few
records) excludes them only while it is applied, so a search never sees a half-applied update.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matcher.config import RetrievalConfig
from matcher.encoders import Encoder
from matcher.explain import explanation, overlap_labels, shared_terms
from matcher.filters import FacetIndex, Filters
from matcher.index.dense import DenseIndex, IndexKind, VectorStore, choose_kind, choose_store_dtype
from matcher.index.lexical import LexicalIndex
from matcher.locking import ReadWriteLock
from matcher.index.manifest import (IndexCorruptError, IndexMismatchError, atomic_write_bytes, read_manifest,
                                    write_manifest)
from matcher.bridge import load_bridge
from matcher.ranking import BRIDGE, LEXICAL, ComponentScores, Fused, csls, fuse, hubness
from matcher.text import analyze, detect_language, is_blank, tokenize

log = logging.getLogger(__name__)


@dataclass
class IndexDoc:
    """What the indexes need to know about a record."""

    key: str
    text: str
    title: str = ""
    lang: str = ""
    facets: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.text or is_blank(self.text):
            raise ValueError(f"document {self.key!r}: text is empty")
        if not self.lang:
            self.lang = detect_language(self.text)


@dataclass
class Query:
    """A query ready for every component: text, language, tokens and one vector per encoder."""

    text: str
    lang: str
    tokens: list[str]
    terms: dict[str, str]
    vectors: dict[str, np.ndarray]
    sectors: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)


@dataclass
class Hit:
    key: str
    score: float
    rank: int
    title: str
    lang: str
    explanation: dict[str, Any]
    components: dict[str, float] = field(default_factory=dict)
    """Raw (absolute) score of each component: cosine per encoder, BM25, bridge. The fit model's input."""
    fit: int | None = None
    """Calibrated probability of relevance, 0-100 (None when no fit model matches the encoders)."""
    band: str | None = None

    def to_dict(self, **extra: Any) -> dict[str, Any]:
        """The JSON shape shared by the CLI and the API."""
        return {"rank": self.rank, "id": self.key, "title": self.title, "fit": self.fit, "band": self.band,
                "score": round(self.score, 4), "language": self.lang, **extra, "explanation": self.explanation}


@dataclass
class ScoredPool:
    """A query's candidates and the scores of every component over them, fused."""

    pool: list[str]
    cosines: dict[str, np.ndarray]
    components: list[ComponentScores]
    fused: Fused


@dataclass
class EncodedDocs:
    """Document- and query-mode vectors of some records, per encoder id, rows in `keys` order."""

    keys: list[str]
    documents: dict[str, np.ndarray]
    queries: dict[str, np.ndarray]

    def subset(self, keys: Sequence[str]) -> "EncodedDocs":
        position = {k: i for i, k in enumerate(self.keys)}
        rows = [position[k] for k in keys]
        return EncodedDocs(list(keys), {e: v[rows] for e, v in self.documents.items()},
                           {e: v[rows] for e, v in self.queries.items()})


def make_query(text: str, vectors: Mapping[str, np.ndarray], sectors: Sequence[str] = (),
               themes: Sequence[str] = (), lang: str | None = None) -> Query:
    """A query from its text and already computed vectors (tokens and language derived here)."""
    tokens, terms = analyze(text)
    return Query(text=text, lang=lang or detect_language(text), tokens=tokens, terms=terms,
                 vectors=dict(vectors), sectors=list(sectors), themes=list(themes))


def build_queries(texts: Sequence[str], encoders: Mapping[str, Encoder], *, sectors: Sequence[list[str]] | None = None,
                  themes: Sequence[list[str]] | None = None, show_progress: bool | None = False) -> list[Query]:
    """Encode many free-text queries at once (batched per encoder) and tokenize them."""
    vectors = {eid: enc.encode_queries(texts, show_progress) for eid, enc in encoders.items()}
    return [make_query(text, {eid: v[i] for eid, v in vectors.items()}, sectors[i] if sectors else (),
                       themes[i] if themes else ()) for i, text in enumerate(texts)]


def encode_docs(docs: Sequence[IndexDoc], encoders: Mapping[str, Encoder],
                show_progress: bool | None = False) -> EncodedDocs:
    """Both modes of every encoder for these records; the costly step, done outside any lock."""
    texts = [d.text for d in docs]
    return EncodedDocs([d.key for d in docs],
                       {eid: enc.encode_documents(texts, show_progress) for eid, enc in encoders.items()},
                       {eid: enc.encode_queries(texts, show_progress) for eid, enc in encoders.items()})


def fingerprint_docs(docs: Iterable[IndexDoc]) -> str:
    """SHA-256 over every record's id, text, language and facets: equal iff the indexed content is."""
    digest = hashlib.sha256()
    for doc in sorted(docs, key=lambda d: d.key):
        facets = json.dumps(doc.facets, sort_keys=True, ensure_ascii=False, default=str)
        digest.update("\x00".join((doc.key, doc.text, doc.lang, facets)).encode("utf-8") + b"\x01")
    return digest.hexdigest()


HUBNESS_MIN_DOCS = 100
"""CSLS needs a population of documents to tell hubs from the rest: in a handful of labels (the
20 Traffy categories) every label is legitimately near many queries, and the correction only
penalises the frequent ones (measured: traffy-types nDCG@10 0.84 -> 0.80)."""


def _safe(encoder_id: str) -> str:
    return "dense-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in encoder_id)


class Collection:
    """Documents of one kind (challenges, innovators, or a benchmark corpus).

    With no encoders it is a lexical-only collection (BM25 and facets).
    """

    def __init__(self, encoders: Mapping[str, Encoder], dense_kind: IndexKind = "flat", name: str = "collection",
                 store_dtype: str = "float32", ivf_lists: int = 256):
        self.name = name
        self.encoders: dict[str, Encoder] = dict(encoders)
        self.dense_kind = dense_kind
        self.docs: dict[str, IndexDoc] = {}
        self.dense = {eid: DenseIndex(int(enc.dimension), dense_kind, ivf_lists=ivf_lists, store_dtype=store_dtype)
                      for eid, enc in self.encoders.items()}
        self.query_vectors = {eid: VectorStore(int(enc.dimension), store_dtype) for eid, enc in self.encoders.items()}
        self.lexical = LexicalIndex()
        self.facets = FacetIndex()
        self.lock = ReadWriteLock()
        self.manifest: dict[str, Any] = {}
        self.references: dict[str, np.ndarray] = {}
        self.hub: dict[str, dict[str, float]] = {}
        self.hub_k = 0

    @classmethod
    def build(cls, name: str, docs: Sequence[IndexDoc], encoders: Mapping[str, Encoder], dense_kind: str = "auto",
              encoded: EncodedDocs | None = None, show_progress: bool | None = False,
              expected_size: int | None = None, store_dtype: str | None = None) -> "Collection":
        """The one way to make a collection from records: the CLI, the service and the evaluation
        all call it. `auto` picks the index kind and the re-scoring precision from the size
        (`expected_size` when records will keep arriving after these)."""
        size = max(len(docs), expected_size or 0)
        kind = choose_kind(dense_kind, size)
        ivf_lists = max(64, min(4096, int(4 * size ** 0.5)))
        out = cls(encoders, kind, name, store_dtype or choose_store_dtype(size), ivf_lists)
        out.upsert(docs, encoded, show_progress)
        return out

    @property
    def encoder_ids(self) -> list[str]:
        return list(self.encoders)

    def fingerprints(self) -> dict[str, str]:
        return {eid: enc.fingerprint for eid, enc in self.encoders.items()}

    def __len__(self) -> int:
        return len(self.docs)

    def __contains__(self, key: str) -> bool:
        return key in self.docs

    # --- writes ----------------------------------------------------------------------------

    def encode(self, docs: Sequence[IndexDoc], show_progress: bool | None = False) -> EncodedDocs:
        return encode_docs(docs, self.encoders, show_progress)

    def upsert(self, docs: Sequence[IndexDoc], encoded: EncodedDocs | None = None,
               show_progress: bool | None = False) -> EncodedDocs:
        """Add or replace documents in O(these documents). Encoding (when `encoded` is not given)
        happens before the lock, so readers are not blocked by it. Returns the vectors used."""
        keys = [d.key for d in docs]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate document keys in one upsert")
        if encoded is None:
            encoded = self.encode(docs, show_progress)
        elif encoded.keys != keys:
            encoded = encoded.subset(keys)
        missing = [eid for eid in self.encoders if eid not in encoded.documents or eid not in encoded.queries]
        if missing:
            raise ValueError(f"no vectors given for encoders {missing}")
        if not docs:
            return encoded
        tokens = [tokenize(d.text) for d in docs]
        with self.lock.write():
            for eid in self.encoders:
                self.dense[eid].upsert(keys, encoded.documents[eid])
                self.query_vectors[eid].upsert(keys, encoded.queries[eid])
            self.lexical.upsert(keys, tokens)
            for doc in docs:
                self.docs[doc.key] = doc
                self.facets.upsert(doc.key, {**doc.facets, "language": doc.lang})
            self._update_hubness(keys, encoded)
        return encoded

    def set_references(self, references: Mapping[str, np.ndarray], k: int) -> None:
        """Vectors of the other side (per encoder) for the CSLS hubness correction, and r(d) of
        every document against them. Documents added later get r(d) at upsert time."""
        refs = {eid: np.asarray(v, dtype=np.float32) for eid, v in references.items() if eid in self.encoders}
        with self.lock.read():
            keys = list(self.docs)
            vectors = {eid: self.dense[eid].vectors(keys) for eid in refs}
        hub = {eid: dict(zip(keys, hubness(vectors[eid], refs[eid], k).tolist())) for eid in refs}
        with self.lock.write():
            self.references, self.hub, self.hub_k = refs, hub, k
            for eid in refs:  # documents that arrived while r(d) was computed
                missing = [key for key in self.docs if key not in self.hub[eid]]
                if missing:
                    values = hubness(self.dense[eid].vectors(missing), refs[eid], k)
                    self.hub[eid].update(zip(missing, values.tolist()))

    def _update_hubness(self, keys: Sequence[str], encoded: EncodedDocs) -> None:
        for eid, refs in self.references.items():
            values = hubness(encoded.documents[eid], refs, self.hub_k)
            self.hub[eid].update(zip(keys, values.tolist()))

    def remove(self, keys: Sequence[str]) -> int:
        with self.lock.write():
            present = [k for k in keys if k in self.docs]
            for eid in self.encoders:
                self.dense[eid].remove(present)
                self.query_vectors[eid].remove(present)
            self.lexical.remove(present)
            for key in present:
                del self.docs[key]
                self.facets.remove(key)
                for values in self.hub.values():
                    values.pop(key, None)
            return len(present)

    # --- queries ---------------------------------------------------------------------------

    def query_for(self, key: str, encoder_ids: Sequence[str] | None = None) -> Query:
        """A stored record as a query: its stored query-mode vectors, no encoding."""
        with self.lock.read():
            doc = self.docs[key]
            ids = list(encoder_ids) if encoder_ids is not None else self.encoder_ids
            vectors = {eid: self.query_vectors[eid].get([key])[0] for eid in ids}
        return make_query(doc.text, vectors, doc.facets.get("sectors") or [], doc.facets.get("themes") or [], doc.lang)

    def text_queries(self, texts: Sequence[str], encoder_ids: Sequence[str] | None = None, *,
                     sectors: Sequence[list[str]] | None = None, themes: Sequence[list[str]] | None = None,
                     show_progress: bool | None = False) -> list[Query]:
        """Free-text queries encoded with this collection's own encoders."""
        ids = list(encoder_ids) if encoder_ids is not None else self.encoder_ids
        unknown = [e for e in ids if e not in self.encoders]
        if unknown:
            raise IndexMismatchError(f"collection {self.name!r} has no encoder {unknown} (it has {self.encoder_ids})")
        return build_queries(texts, {eid: self.encoders[eid] for eid in ids}, sectors=sectors, themes=themes,
                             show_progress=show_progress)

    # --- search ----------------------------------------------------------------------------

    def search(self, query: Query, k: int = 10, config: RetrievalConfig | None = None, filters: Filters | None = None,
               exclude: Sequence[str] = (), explain: bool = True) -> list[Hit]:
        config = config or RetrievalConfig()
        if k <= 0:
            return []
        with self.lock.read():
            return self._search(query, k, config, filters, set(exclude), explain)

    def _components(self, config: RetrievalConfig) -> tuple[list[tuple[str, float]], float]:
        dense = [] if config.mode == "lexical" else [(c.encoder, c.weight) for c in config.dense]
        for eid, _ in dense:
            if eid not in self.dense:
                raise IndexMismatchError(f"collection {self.name!r} has no vectors for encoder {eid!r} "
                                         f"(built with {self.encoder_ids}); rebuild the index")
        lexical_weight = 0.0 if config.mode == "dense" else (1.0 if config.mode == "lexical" else config.lexical_weight)
        return dense, lexical_weight

    def _score_pool(self, query: Query, k: int, config: RetrievalConfig, filters: Filters | None,
                    exclude: set[str]) -> "ScoredPool | None":
        """The candidate pool and every component's scores over it, fused (no ordering yet)."""
        dense, lexical_weight = self._components(config)
        # Filters restrict retrieval itself; a handful of excluded ids (rejected innovators,
        # confidential challenges) is cheaper to over-fetch and drop than to turn into a selector.
        allowed = self.facets.allowed(filters)
        if allowed is not None and not allowed:
            return None
        universe = len(self.docs) if allowed is None else len(allowed)
        lexical_rows = self.lexical.score_rows(query.tokens) if lexical_weight > 0 else None
        # Pool: every allowed doc for small collections, else the union of each component's top.
        if universe <= max(config.exhaustive_below, k + len(exclude)):
            pool = [key for key in self.docs if (allowed is None or key in allowed) and key not in exclude]
        else:
            depth = config.pool_size + len(exclude)
            found: dict[str, None] = {}
            for eid, _ in dense:
                for key, _score in self.dense[eid].search(query.vectors[eid][None, :], depth, allowed)[0]:
                    found[key] = None
            if lexical_rows is not None:
                for key, _score in self.lexical.top(lexical_rows, depth, allowed):
                    found[key] = None
            pool = [key for key in found if key not in exclude]
        if not dense and lexical_rows is not None:  # lexical only: a record sharing no word is no match
            pool = [key for key, row in zip(pool, self.lexical.rows(pool)) if lexical_rows[row] > 0]
        if not pool:
            return None
        cosines = {eid: self.dense[eid].scores(query.vectors[eid], pool) for eid, _ in dense}
        components = [ComponentScores(eid, self._dense_scores(eid, cosines[eid], pool, config), weight)
                      for eid, weight in dense]
        if lexical_rows is not None:
            lexical_scores = lexical_rows[self.lexical.rows(pool)]
            components.append(ComponentScores(LEXICAL, lexical_scores.astype(np.float32), lexical_weight, lexical=True))
        bridge = load_bridge() if config.mode == "hybrid" and config.bridge_weight > 0 else None
        if bridge is not None:
            translated = bridge.translate(query.tokens)
            if translated:
                bridged = self.lexical.score_rows(translated)[self.lexical.rows(pool)]
                components.append(ComponentScores(BRIDGE, bridged.astype(np.float32), config.bridge_weight,
                                                  lexical=True, cross=True))
        doc_langs = [self.docs[key].lang for key in pool]
        language_aware = config.language_aware_lexical and config.mode == "hybrid"
        fused = fuse(components, query.lang, doc_langs, config.fusion, config.rrf_k, language_aware)
        return ScoredPool(pool, cosines, components, fused)

    def pool_features(self, query: Query, config: RetrievalConfig, scored: "ScoredPool") -> np.ndarray:
        """Learning-to-rank features of every pool candidate (matcher.rerank.feature_names)."""
        from matcher.rerank import pool_features

        by_name = {c.name: c.scores for c in scored.components}
        doc_tokens = np.fromiter((len(self.lexical.tokens(key)) for key in scored.pool), dtype=np.float32,
                                 count=len(scored.pool))
        return pool_features(config.encoder_ids, scored.cosines, {e: by_name[e] for e in scored.cosines},
                             by_name.get(LEXICAL), by_name.get(BRIDGE), scored.fused.scores,
                             scored.fused.same_language, len(query.tokens), doc_tokens)

    def _order(self, query: Query, config: RetrievalConfig, scored: "ScoredPool") -> np.ndarray:
        """Final scores: the fused ones, with the top `rerank_depth` re-scored by the learned ranker
        when the configuration asks for it and a ranker trained for it is shipped."""
        final = np.asarray(scored.fused.scores, dtype=np.float64)
        if not config.rerank:
            return final
        from matcher.rerank import shipped_reranker

        ranker = shipped_reranker()
        if ranker is None or not ranker.usable_with(self.fingerprints(), config.model_dump(mode="json")):
            return final
        top = np.argsort(-final, kind="stable")[: config.rerank_depth]
        learned = ranker.score(self.pool_features(query, config, scored)[top])
        # re-ranked candidates first (in the model's order), the rest after them in fused order;
        # scores stay monotonic in rank, so a run file sorts the same way
        rest = np.setdiff1d(np.arange(len(final)), top)
        out = final.copy()
        floor = float(final[rest].max()) + 1.0 if len(rest) else 0.0
        out[top] = floor + (learned - learned.min())
        return out

    def _fair(self, pool: list[str], config: RetrievalConfig, final: np.ndarray) -> np.ndarray:
        """The community-group floor of `matcher.fair` when the configuration asks for it (a no-op
        for documents without an innovator kind)."""
        if not config.fair_exposure:
            return final
        from matcher.fair import fair_scores, protected_mask

        kinds = [self.docs[key].facets.get("kind") for key in pool]
        if not any(kinds):
            return final
        return fair_scores(final, protected_mask(kinds), config.fair_margin, config.fair_alpha)

    def _search(self, query: Query, k: int, config: RetrievalConfig, filters: Filters | None, exclude: set[str],
                explain: bool) -> list[Hit]:
        scored = self._score_pool(query, k, config, filters, exclude)
        if scored is None:
            return []
        pool, components, fused = scored.pool, scored.components, scored.fused
        final = self._fair(pool, config, self._order(query, config, scored))
        top = np.argsort(-final, kind="stable")[:k]
        raw = {**scored.cosines, **{c.name: c.scores for c in components if c.lexical}, "fused": fused.scores}
        hits = []
        for rank, i in enumerate(top, start=1):
            doc = self.docs[pool[i]]
            info = None
            if explain:
                info = self._explain(query, doc, components, fused, int(i))
            hits.append(Hit(doc.key, float(final[i]), rank, doc.title, doc.lang, info or {},
                            {name: float(values[i]) for name, values in raw.items()}))
        return hits

    def _dense_scores(self, eid: str, cosines: np.ndarray, pool: list[str], config: RetrievalConfig) -> np.ndarray:
        if config.hubness_k and eid in self.hub and len(self.docs) >= HUBNESS_MIN_DOCS:
            hub = self.hub[eid]
            return csls(cosines, np.fromiter((hub.get(key, 0.0) for key in pool), dtype=np.float32, count=len(pool)))
        return cosines

    def _explain(self, query: Query, doc: IndexDoc, components: list[ComponentScores], fused, i: int) -> dict[str, Any]:
        per_component = {
            c.name: {"score": round(float(c.scores[i]), 6), "rank": int(fused.ranks[c.name][i]),
                     "normalized": round(float(fused.normalized[c.name][i]), 4), "weight": c.weight}
            for c in components
        }
        doc_tokens = self.lexical.tokens(doc.key)
        cross = not bool(fused.same_language[i])
        bridge = load_bridge() if cross else None
        return explanation(
            components=per_component, query_lang=query.lang, doc_lang=doc.lang, cross_lingual=cross,
            terms=shared_terms(query.terms, doc_tokens, self.lexical.idf),
            term_pairs=bridge.pairs(query.terms, doc_tokens) if bridge is not None else None,
            sectors=overlap_labels("sector", query.sectors, list(doc.facets.get("sectors") or [])),
            themes=overlap_labels("theme", query.themes, list(doc.facets.get("themes") or [])),
        )

    # --- persistence -----------------------------------------------------------------------

    def fingerprint(self) -> str:
        with self.lock.read():
            return fingerprint_docs(self.docs.values())

    def detached_copy(self) -> "Collection":
        """A copy sharing nothing mutable, made in one short read-locked step, so a snapshot can
        be written from it while this collection keeps taking changes and answering searches."""
        with self.lock.read():
            out = Collection(self.encoders, self.dense_kind, self.name)
            out.dense = {eid: index.copy() for eid, index in self.dense.items()}
            out.query_vectors = {eid: store.copy() for eid, store in self.query_vectors.items()}
            out.lexical = self.lexical.copy_for_save()
            out.docs = dict(self.docs)
        return out

    def save(self, directory: Path, **extra: Any) -> dict[str, Any]:
        """Write every file, then the manifest (with `extra` fields, e.g. the change-log sequence).

        Holds the read lock: searches go on, writes wait until the files are written."""
        directory = Path(directory)
        with self.lock.read():
            directory.mkdir(parents=True, exist_ok=True)
            files = []
            for eid, index in self.dense.items():
                files += index.save(directory, _safe(eid))
                files += self.query_vectors[eid].save(directory, _safe(eid) + ".query")
            files += self.lexical.save(directory)
            lines = [json.dumps({"key": d.key, "text": d.text, "title": d.title, "lang": d.lang, "facets": d.facets},
                                ensure_ascii=False, default=str) for d in self.docs.values()]
            atomic_write_bytes(directory / "docs.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
            files.append("docs.jsonl")
            return write_manifest(
                directory, files, kind="collection", name=self.name, count=len(self.docs),
                dense_kind=self.dense_kind, corpus_fingerprint=fingerprint_docs(self.docs.values()),
                encoders={eid: {"dimension": idx.dimension, "normalized": True, "fingerprint": self.encoders[eid].fingerprint,
                                "file": _safe(eid) + ".faiss", "store_dtype": idx.store_dtype}
                          for eid, idx in self.dense.items()},
                lexical={"implementation": "matcher.index.lexical (incremental, bm25s lucene formula)",
                         "k1": self.lexical.k1, "b": self.lexical.b,
                         "tokenizer": "pythainlp newmm + snowball english, stop words removed"},
                **extra,
            )

    @classmethod
    def load(cls, directory: Path, encoders: Mapping[str, Encoder]) -> "Collection":
        """Load and verify against the encoders that will query it: same ids, dimensions and
        fingerprints (model weights, library version, centering means), else IndexMismatchError."""
        directory = Path(directory)
        manifest = read_manifest(directory)
        if manifest.get("kind") != "collection":
            raise IndexMismatchError(f"{directory} holds a {manifest.get('kind')!r}, not a collection")
        built = manifest["encoders"]
        if sorted(built) != sorted(encoders):
            raise IndexMismatchError(f"index in {directory} was built with encoders {sorted(built)}, "
                                     f"not {sorted(encoders)}; rebuild it with `matcher index`")
        for eid, enc in encoders.items():
            if built[eid]["dimension"] != enc.dimension:
                raise IndexMismatchError(f"index for {eid!r} has dimension {built[eid]['dimension']}, "
                                         f"the encoder produces {enc.dimension}")
            if built[eid].get("fingerprint") != enc.fingerprint:
                raise IndexMismatchError(f"index in {directory} holds vectors of {built[eid].get('fingerprint')!r}, "
                                         f"the encoder is now {enc.fingerprint!r} (model, library or centering means "
                                         f"changed); rebuild it with `matcher index`")
        out = cls(encoders, manifest.get("dense_kind", "flat"), manifest.get("name", "collection"))
        for eid in out.encoder_ids:
            out.dense[eid] = DenseIndex.load(directory, _safe(eid), built[eid]["dimension"])
            out.query_vectors[eid] = VectorStore.load(directory, _safe(eid) + ".query", built[eid]["dimension"])
        out.lexical = LexicalIndex.load(directory)
        with open(directory / "docs.jsonl", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    raw = json.loads(line)
                    doc = IndexDoc(raw["key"], raw["text"], raw["title"], raw["lang"], raw["facets"])
                    out.docs[doc.key] = doc
                    out.facets.upsert(doc.key, {**doc.facets, "language": doc.lang})
        counts = [len(d) for d in out.dense.values()] + [len(q) for q in out.query_vectors.values()] + [len(out.lexical)]
        if len(out.docs) != manifest["count"] or any(c != len(out.docs) for c in counts):
            raise IndexCorruptError(f"{directory}: record counts disagree with the manifest; rebuild the index")
        out.manifest = manifest
        return out
