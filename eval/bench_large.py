"""`matcher bench-large`: one million innovators on one 2-core box (synthesised), and what the
compressed index costs in quality.

Synthesised records: the BIC profiles' real vectors (document and query mode, both encoders)
perturbed with small noise and re-normalised, with short token lists drawn from their real
tokens, so FAISS, BM25, CSLS and fusion do the work of a collection of that size without
encoding a million texts. The default `auto` index kind picks IVF-PQ with a float16 re-scoring
copy at this size. Measured: build time, peak memory, dense recall@10 of the index against exact
search (per encoder, exact = brute-force inner product over the float32 vectors), latency of a
stored challenge -> innovators, and, on the real test split, nDCG@10 with float16 against float32
re-scoring vectors.
"""

from __future__ import annotations

import gc
import resource
import time

import numpy as np
import typer

from matcher.cli.common import handle_errors
from matcher.corpora import PROJECT_ROOT

from eval.markers import update_file

README = PROJECT_ROOT / "README.md"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthesise(base, n: int, seed: int = 0):
    """n IndexDocs and their EncodedDocs, derived from a real collection `base`."""
    from matcher.collection import EncodedDocs, IndexDoc

    rng = np.random.default_rng(seed)
    keys = list(base.docs)
    picks = rng.integers(0, len(keys), size=n)
    docs = []
    for i, j in enumerate(picks):
        src = base.docs[keys[j]]
        words = src.text.split()[:40]
        rng.shuffle(words)
        docs.append(IndexDoc(f"syn-{i:07d}", " ".join(words[:20]) or src.title, src.title, src.lang, src.facets))
    documents, queries = {}, {}
    for eid in base.encoders:
        for store, out in ((base.dense[eid].store, documents), (base.query_vectors[eid], queries)):
            matrix = np.empty((n, store.dimension), dtype=np.float16)
            for start in range(0, n, 100_000):
                rows = picks[start:start + 100_000]
                v = store.get([keys[j] for j in rows])
                v = v + rng.normal(scale=0.02, size=v.shape).astype(np.float32)
                matrix[start:start + len(rows)] = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float16)
            out[eid] = matrix
    return docs, EncodedDocs([d.key for d in docs], documents, queries)


def dense_recall(index, vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> float:
    """Share of the exact top-k (brute force over float32) that the index's search returns."""
    keys = index.keys
    found = 0
    for q in queries:
        scores = np.empty(len(keys), dtype=np.float32)
        for start in range(0, len(keys), 200_000):
            scores[start:start + 200_000] = vectors[start:start + 200_000].astype(np.float32) @ q
        exact = {keys[i] for i in np.argpartition(-scores, k)[:k]}
        approx = {key for key, _ in index.search(q[None, :].astype(np.float32), k)[0]}
        found += len(exact & approx)
    return found / (k * len(queries))


def dtype_quality(cache_dir) -> dict[str, float]:
    """nDCG@10 of the default on the test split with float32 and with float16 re-scoring vectors."""
    from matcher.config import RetrievalConfig

    from eval.datasets import load_dataset
    from eval.evaluation import index_dataset
    from eval.metrics import ranx_scores

    config = RetrievalConfig()
    dataset = load_dataset("test")
    out = {}
    for dtype in ("float32", "float16"):
        indexed = index_dataset(dataset, config.encoder_ids, cache_dir, store_dtype=dtype)
        indexed.use_hubness(config.hubness_k)
        run = {eq.id: {h.key: h.score for h in indexed.collection.search(q, 100, config, explain=False)}
               or {"__none__": 0.0} for eq, q in zip(dataset.queries, indexed.queries)}
        out[dtype] = ranx_scores(dataset.qrels, run, ["ndcg@10"])["ndcg@10"]
    return out


@handle_errors
def bench_large(n: int = typer.Option(1_000_000, help="Synthesised innovators"),
                queries: int = typer.Option(50, help="Stored challenges timed and used for recall"),
                update_readme: bool = typer.Option(True, "--update-readme/--no-update-readme")) -> None:
    """Build and query a million-innovator collection; recall against exact search; float16 cost."""
    from datetime import datetime, timezone

    from matcher.collection import Collection
    from matcher.corpora import load_corpus
    from matcher.documents import challenge_doc, innovator_doc
    from matcher.engine import MatchEngine
    from matcher.index.dense import set_search_threads

    from eval.bench import percentile
    from eval.cli import machine_description

    set_search_threads(1)
    corpus = load_corpus()
    engine = MatchEngine()
    engine.apply_floor = False
    engine.build("challenges", [challenge_doc(c) for c in corpus.challenges])
    base = Collection.build("innovators", [innovator_doc(i) for i in corpus.innovators], engine.encoders, "flat")
    rss_before = _rss_mb()
    docs, encoded = synthesise(base, n)
    started = time.perf_counter()
    big = Collection.build("innovators", docs, engine.encoders, "auto", encoded)
    engine.set_collection("innovators", big)
    engine.refresh_hubness()
    build_s = time.perf_counter() - started
    sample = [c.id for c in corpus.challenges[:: max(1, len(corpus.challenges) // queries)]][:queries]
    engine.match_challenge(sample[0], 10)
    times = []
    for cid in sample:
        start = time.perf_counter()
        engine.match_challenge(cid, 10)
        times.append((time.perf_counter() - start) * 1000)
    recall = {}
    for eid in big.encoders:
        qvecs = np.stack([engine.collection("challenges").query_vectors[eid].get([cid])[0] for cid in sample[:20]])
        recall[eid] = dense_recall(big.dense[eid], encoded.documents[eid], qvecs)
    kind = next(iter(big.dense.values())).kind
    dtype = next(iter(big.dense.values())).store_dtype
    peak = _rss_mb()
    del docs, encoded, big
    gc.collect()
    quality = dtype_quality(None)
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    block = "\n".join([
        f"Measured by `matcher bench-large` ({date}, {machine_description()}; in process, default configuration, "
        f"1 FAISS thread) with {n:,} synthesised innovators (`auto` chose `{kind}`, re-scoring copy `{dtype}`):", "",
        "| measure | value |", "|---|---:|",
        f"| build (FAISS, BM25, CSLS references), from vectors | {build_s:.0f} s |",
        f"| peak memory of the process (before the collection: {rss_before:.0f} MB) | {peak:.0f} MB |",
        *[f"| dense recall@10 against exact search, {eid} | {value:.3f} |" for eid, value in recall.items()],
        f"| stored challenge -> innovators, p50 / p95 | {percentile(times, 50):.1f} / {percentile(times, 95):.1f} ms |",
        f"| nDCG@10, BIC test split, float32 re-scoring vectors | {quality['float32']:.4f} |",
        f"| nDCG@10, BIC test split, float16 re-scoring vectors | {quality['float16']:.4f} |"])
    typer.echo(block)
    if update_readme:
        update_file(README, "large", block, append_if_missing=False)
