"""A searchable collection: documents, one dense index per encoder, BM25, facets, persistence.

This is the unit the CLI, the service and the evaluation all share. Writes and reads take one
lock, so a search never sees a half-applied update.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matcher.config import RetrievalConfig
from matcher.encoders import Encoder
from matcher.explain import explanation, overlap_labels, shared_terms
from matcher.filters import FacetIndex, Filters
from matcher.index.dense import DenseIndex, IndexKind
from matcher.index.lexical import LexicalIndex
from matcher.index.manifest import (IndexCorruptError, IndexMismatchError, atomic_write_bytes, read_manifest,
                                    write_manifest)
from matcher.ranking import LEXICAL, ComponentScores, fuse
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

    def to_dict(self, **extra: Any) -> dict[str, Any]:
        """The JSON shape shared by the CLI and the API."""
        return {"rank": self.rank, "id": self.key, "title": self.title, "score": round(self.score, 4),
                "language": self.lang, **extra, "explanation": self.explanation}


def build_queries(texts: Sequence[str], encoders: Mapping[str, Encoder], *, sectors: Sequence[list[str]] | None = None,
                  themes: Sequence[list[str]] | None = None, show_progress: bool | None = False) -> list[Query]:
    """Encode many queries at once (batched per encoder) and tokenize them."""
    vectors = {eid: enc.encode_queries(texts, show_progress) for eid, enc in encoders.items()}
    out = []
    for i, text in enumerate(texts):
        tokens, terms = analyze(text)
        out.append(Query(text=text, lang=detect_language(text), tokens=tokens, terms=terms,
                         vectors={eid: v[i] for eid, v in vectors.items()},
                         sectors=list(sectors[i]) if sectors else [], themes=list(themes[i]) if themes else []))
    return out


def fingerprint_docs(docs: Iterable[IndexDoc]) -> str:
    """SHA-256 over every record's id, text, language and facets: equal iff the indexed content is."""
    digest = hashlib.sha256()
    for doc in sorted(docs, key=lambda d: d.key):
        facets = json.dumps(doc.facets, sort_keys=True, ensure_ascii=False, default=str)
        digest.update("\x00".join((doc.key, doc.text, doc.lang, facets)).encode("utf-8") + b"\x01")
    return digest.hexdigest()


def _safe(encoder_id: str) -> str:
    return "dense-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in encoder_id)


class Collection:
    """Documents of one kind (challenges, innovators, or a benchmark corpus).

    With no encoders it is a lexical-only collection (BM25 and facets).
    """

    def __init__(self, encoder_ids: Sequence[str], dimensions: Mapping[str, int], dense_kind: IndexKind = "flat",
                 name: str = "collection"):
        self.name = name
        self.encoder_ids = list(encoder_ids)
        self.dense_kind = dense_kind
        self.docs: dict[str, IndexDoc] = {}
        self.dense = {eid: DenseIndex(int(dimensions[eid]), dense_kind) for eid in self.encoder_ids}
        self.lexical = LexicalIndex()
        self.facets = FacetIndex()
        self._lock = threading.RLock()

    @classmethod
    def for_encoders(cls, encoders: Mapping[str, Encoder], **kwargs: Any) -> "Collection":
        return cls(list(encoders), {eid: e.dimension for eid, e in encoders.items()}, **kwargs)

    def __len__(self) -> int:
        return len(self.docs)

    def __contains__(self, key: str) -> bool:
        return key in self.docs

    # --- writes ----------------------------------------------------------------------------

    def upsert(self, docs: Sequence[IndexDoc], encoders: Mapping[str, Encoder], show_progress: bool | None = False,
               vectors: Mapping[str, np.ndarray] | None = None) -> None:
        """Add or replace documents. Encoding happens before the lock, so readers are not blocked."""
        if not docs:
            return
        keys = [d.key for d in docs]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate document keys in one upsert")
        missing = [eid for eid in self.encoder_ids if eid not in encoders and not (vectors and eid in vectors)]
        if missing:
            raise ValueError(f"no encoder given for {missing}")
        texts = [d.text for d in docs]
        encoded = {eid: (vectors[eid] if vectors and eid in vectors else encoders[eid].encode_documents(texts, show_progress))
                   for eid in self.encoder_ids}
        tokens = [tokenize(t) for t in texts]
        with self._lock:
            for eid in self.encoder_ids:
                self.dense[eid].upsert(keys, encoded[eid])
            self.lexical.upsert(keys, tokens)
            for doc in docs:
                self.docs[doc.key] = doc
                self.facets.upsert(doc.key, {**doc.facets, "language": doc.lang})

    def remove(self, keys: Sequence[str]) -> int:
        with self._lock:
            present = [k for k in keys if k in self.docs]
            for eid in self.encoder_ids:
                self.dense[eid].remove(present)
            self.lexical.remove(present)
            for key in present:
                del self.docs[key]
                self.facets.remove(key)
            return len(present)

    # --- search ----------------------------------------------------------------------------

    def search(self, query: Query, k: int = 10, config: RetrievalConfig | None = None, filters: Filters | None = None,
               exclude: Sequence[str] = (), explain: bool = True) -> list[Hit]:
        config = config or RetrievalConfig()
        if k <= 0:
            return []
        with self._lock:
            return self._search(query, k, config, filters, set(exclude), explain)

    def _components(self, config: RetrievalConfig) -> tuple[list[tuple[str, float]], float]:
        dense = [] if config.mode == "lexical" else [(c.encoder, c.weight) for c in config.dense]
        for eid, _ in dense:
            if eid not in self.dense:
                raise IndexMismatchError(f"collection {self.name!r} has no vectors for encoder {eid!r} "
                                         f"(built with {self.encoder_ids}); rebuild the index")
        lexical_weight = 0.0 if config.mode == "dense" else (1.0 if config.mode == "lexical" else config.lexical_weight)
        return dense, lexical_weight

    def _search(self, query: Query, k: int, config: RetrievalConfig, filters: Filters | None, exclude: set[str],
                explain: bool) -> list[Hit]:
        dense, lexical_weight = self._components(config)
        # Filters restrict retrieval itself; a handful of excluded ids (rejected innovators,
        # confidential challenges) is cheaper to over-fetch and drop than to turn into a selector.
        allowed = self.facets.allowed(filters)
        if allowed is not None and not allowed:
            return []
        universe = len(self.docs) if allowed is None else len(allowed)
        lexical_all = self.lexical.scores(query.tokens, allowed) if lexical_weight > 0 else None
        # Pool: every allowed doc for small collections, else the union of each component's top.
        if universe <= max(config.exhaustive_below, k + len(exclude)):
            pool = [key for key in self.docs if (allowed is None or key in allowed) and key not in exclude]
        else:
            depth = config.pool_size + len(exclude)
            found: dict[str, None] = {}
            for eid, _ in dense:
                for key, _score in self.dense[eid].search(query.vectors[eid][None, :], depth, allowed)[0]:
                    found[key] = None
            if lexical_all is not None:
                for key, _score in self.lexical.top(*lexical_all, depth):
                    found[key] = None
            pool = [key for key in found if key not in exclude]
        if not pool:
            return []
        components = [ComponentScores(eid, self.dense[eid].scores(query.vectors[eid], pool), weight) for eid, weight in dense]
        if lexical_all is not None:
            lexical_scores = lexical_all[1][self.lexical.positions(pool)] if len(lexical_all[0]) else np.zeros(len(pool))
            components.append(ComponentScores(LEXICAL, lexical_scores.astype(np.float32), lexical_weight, lexical=True))
        doc_langs = [self.docs[key].lang for key in pool]
        language_aware = config.language_aware_lexical and config.mode == "hybrid"
        fused = fuse(components, query.lang, doc_langs, config.fusion, config.rrf_k, language_aware)
        top = np.argsort(-fused.scores, kind="stable")[:k]
        hits = []
        for rank, i in enumerate(top, start=1):
            doc = self.docs[pool[i]]
            info = None
            if explain:
                info = self._explain(query, doc, components, fused, int(i))
            hits.append(Hit(doc.key, float(fused.scores[i]), rank, doc.title, doc.lang, info or {}))
        return hits

    def _explain(self, query: Query, doc: IndexDoc, components: list[ComponentScores], fused, i: int) -> dict[str, Any]:
        per_component = {
            c.name: {"score": round(float(c.scores[i]), 6), "rank": int(fused.ranks[c.name][i]),
                     "normalized": round(float(fused.normalized[c.name][i]), 4), "weight": c.weight}
            for c in components
        }
        return explanation(
            components=per_component, query_lang=query.lang, doc_lang=doc.lang,
            cross_lingual=not bool(fused.same_language[i]),
            terms=shared_terms(query.terms, self.lexical.tokens(doc.key)),
            sectors=overlap_labels("sector", query.sectors, list(doc.facets.get("sectors") or [])),
            themes=overlap_labels("theme", query.themes, list(doc.facets.get("themes") or [])),
        )

    # --- persistence -----------------------------------------------------------------------

    def fingerprint(self) -> str:
        return fingerprint_docs(self.docs.values())

    def save(self, directory: Path) -> dict[str, Any]:
        directory = Path(directory)
        with self._lock:
            directory.mkdir(parents=True, exist_ok=True)
            files = []
            for eid, index in self.dense.items():
                files += index.save(directory, _safe(eid))
            files += self.lexical.save(directory)
            lines = [json.dumps({"key": d.key, "text": d.text, "title": d.title, "lang": d.lang, "facets": d.facets},
                                ensure_ascii=False, default=str) for d in self.docs.values()]
            atomic_write_bytes(directory / "docs.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
            files.append("docs.jsonl")
            return write_manifest(
                directory, files, kind="collection", name=self.name, count=len(self.docs),
                dense_kind=self.dense_kind, corpus_fingerprint=self.fingerprint(),
                encoders={eid: {"dimension": idx.dimension, "normalized": True, "file": _safe(eid) + ".faiss"}
                          for eid, idx in self.dense.items()},
                lexical={"library": "bm25s", "k1": self.lexical.k1, "b": self.lexical.b,
                         "tokenizer": "pythainlp newmm + snowball english, stop words removed"},
            )

    @classmethod
    def load(cls, directory: Path, encoders: Mapping[str, Encoder] | None = None) -> "Collection":
        """Load and verify; with `encoders`, refuse an index built by different encoders."""
        directory = Path(directory)
        manifest = read_manifest(directory)
        if manifest.get("kind") != "collection":
            raise IndexMismatchError(f"{directory} holds a {manifest.get('kind')!r}, not a collection")
        built = manifest["encoders"]
        if encoders is not None:
            for eid, enc in encoders.items():
                if eid not in built:
                    raise IndexMismatchError(f"index in {directory} was built with encoders {sorted(built)}, "
                                             f"not {eid!r}; rebuild it with `matcher index`")
                if built[eid]["dimension"] != enc.dimension:
                    raise IndexMismatchError(f"index for {eid!r} has dimension {built[eid]['dimension']}, "
                                             f"the encoder produces {enc.dimension}")
        out = cls(list(built), {eid: spec["dimension"] for eid, spec in built.items()},
                  manifest.get("dense_kind", "flat"), manifest.get("name", "collection"))
        for eid in out.encoder_ids:
            out.dense[eid] = DenseIndex.load(directory, _safe(eid), built[eid]["dimension"])
        out.lexical = LexicalIndex.load(directory)
        with open(directory / "docs.jsonl", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    raw = json.loads(line)
                    doc = IndexDoc(raw["key"], raw["text"], raw["title"], raw["lang"], raw["facets"])
                    out.docs[doc.key] = doc
                    out.facets.upsert(doc.key, {**doc.facets, "language": doc.lang})
        if len(out.docs) != manifest["count"] or any(len(d) != len(out.docs) for d in out.dense.values()):
            raise IndexCorruptError(f"{directory}: record counts disagree with the manifest; rebuild the index")
        return out
