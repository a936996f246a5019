"""`matcher bench`: index throughput, query latency and memory, written to the README.

Speed figures for 100,000 innovators use synthesised records: the demo profiles' real vectors
perturbed with noise (and re-normalised), and their real token lists shuffled together, so FAISS,
BM25 and fusion do the same work as on real data without encoding 100k texts.
"""

from __future__ import annotations

import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import typer

from matcher.cli.common import handle_errors
from matcher.corpora import MAIN_DIR, PROJECT_ROOT

from eval.markers import update_file

README = PROJECT_ROOT / "README.md"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def _timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def build_throughput(show_progress: bool | None) -> dict[str, float]:
    from matcher.cli.index import build_index

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        cold = build_index(MAIN_DIR / "challenges.jsonl", MAIN_DIR / "innovators.jsonl", tmp_path / "index",
                           tmp_path / "cache", "flat", show_progress)
        warm = build_index(MAIN_DIR / "challenges.jsonl", MAIN_DIR / "innovators.jsonl", tmp_path / "index2",
                           tmp_path / "cache", "flat", show_progress)
    return {"records": cold["challenges"] + cold["innovators"], "cold_records_per_s": cold["records_per_second"],
            "warm_records_per_s": warm["records_per_second"], "cold_s": cold["seconds"], "warm_s": warm["seconds"]}


def synthetic_innovators(engine, n: int, seed: int = 0):
    """n synthetic innovator docs + vectors derived from the real demo innovators."""
    from matcher.collection import IndexDoc

    rng = np.random.default_rng(seed)
    base = engine.collection("innovators")
    keys = list(base.docs)
    docs, picks = [], rng.integers(0, len(keys), size=n)
    for i, j in enumerate(picks):
        src = base.docs[keys[j]]
        words = src.text.split()
        rng.shuffle(words)
        docs.append(IndexDoc(f"syn-{i:06d}", " ".join(words[: max(3, len(words) - 2)]), src.title, src.lang, src.facets))
    vectors = {}
    for eid, index in base.dense.items():
        v = index.vectors([keys[j] for j in picks]) + rng.normal(scale=0.02, size=(n, index.dimension)).astype(np.float32)
        vectors[eid] = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
    return docs, vectors


def latency(engine, challenge_ids: list[str], repeats: int) -> dict[str, float]:
    times: list[float] = []
    for cid in challenge_ids:
        engine.match_challenge(cid, 10)  # warm the cache for this challenge's query embedding
        times += _timed(lambda cid=cid: engine.match_challenge(cid, 10), repeats)
    return {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "queries": len(times)}


def render(stats: dict[str, dict[str, float]], machine: str, date: str) -> str:
    b, small, free = stats["build"], stats["latency_400"], stats["free_text"]
    flat, hnsw = stats["latency_100k_flat"], stats["latency_100k_hnsw"]
    return "\n".join([
        f"Measured by `matcher bench` ({date}, {machine}; in process, default configuration, 1 FAISS thread):", "",
        "| measure | value |", "|---|---:|",
        f"| index build, cold cache ({b['records']} records, both encoders) | {b['cold_records_per_s']:.1f} records/s |",
        f"| index build, warm embedding cache | {b['warm_records_per_s']:.1f} records/s |",
        f"| stored challenge -> innovators, 400 innovators | p50 {small['p50_ms']:.1f} ms, p95 {small['p95_ms']:.1f} ms |",
        f"| stored challenge -> innovators, 100,000 innovators (synthesised), exact flat FAISS | p50 {flat['p50_ms']:.1f} ms, p95 {flat['p95_ms']:.1f} ms |",
        f"| the same with HNSW (`MATCHER_DENSE_KIND=hnsw`, M=32, efSearch=128; build {hnsw['build_s']:.0f} s) | p50 {hnsw['p50_ms']:.1f} ms, p95 {hnsw['p95_ms']:.1f} ms |",
        f"| free-text query (Thai/English), 400 innovators | p50 {free['p50_ms']:.1f} ms, p95 {free['p95_ms']:.1f} ms |",
        f"| of which encoding the query (both encoders) | p50 {free['encode_p50_ms']:.1f} ms |",
        f"| peak memory (max RSS of the benchmark process) | {stats['memory']['max_rss_mb']:.0f} MB |",
    ])


@handle_errors
def bench(n_large: int = typer.Option(100_000, help="Synthetic innovators for the large-collection latency"),
          repeats: int = typer.Option(20, help="Timed repetitions per query"),
          update_readme: bool = typer.Option(True, "--update-readme/--no-update-readme"),
          progress: bool = typer.Option(None, "--progress/--no-progress")) -> None:
    """Measure index throughput, query latency (400 and 100k innovators) and peak memory."""
    from datetime import datetime, timezone

    from eval.cli import machine_description
    from matcher.collection import Collection, EncodedDocs
    from matcher.corpora import load_challenges, load_innovators
    from matcher.documents import challenge_doc, innovator_doc
    from matcher.engine import MatchEngine
    from matcher.index.dense import set_search_threads
    from matcher.settings import get_settings

    set_search_threads(get_settings().search_threads)
    stats: dict[str, dict[str, float]] = {"build": build_throughput(progress)}
    cache = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    try:
        engine = MatchEngine(cache_dir=cache)
        challenges = load_challenges(MAIN_DIR / "challenges.jsonl")
        engine.build("challenges", [challenge_doc(c) for c in challenges], progress)
        engine.build("innovators", [innovator_doc(i) for i in load_innovators(MAIN_DIR / "innovators.jsonl")], progress)
        sample = [c.id for c in challenges[::16]]
        stats["latency_400"] = latency(engine, sample, repeats)
        texts = ["ระบบแจ้งเตือนน้ำท่วมด้วยเซนเซอร์วัดระดับน้ำ", "low-cost PM2.5 sensors for schools",
                 "แอปติดตามรถเมล์ real-time", "ผู้สูงอายุอยู่บ้านคนเดียวหกล้ม"]
        free: list[float] = []
        encode: list[float] = []
        for i, text in enumerate(texts * repeats):
            unique = f"{text} {i}"  # defeat the embedding cache: a fresh text each time
            free += _timed(lambda t=unique: engine.search_text(t, "innovators", 10), 1)
            encode += _timed(lambda t=unique + "x": engine.collection("innovators").text_queries([t]), 1)
        stats["free_text"] = {"p50_ms": percentile(free, 50), "p95_ms": percentile(free, 95),
                              "encode_p50_ms": percentile(encode, 50)}
        docs, vectors = synthetic_innovators(engine, n_large)
        for kind in ("flat", "hnsw"):
            big = MatchEngine(cache_dir=cache, dense_kind=kind)
            big.set_collection("challenges", engine.collection("challenges"))
            start = time.perf_counter()
            big.set_collection("innovators", Collection.build(
                "innovators", docs, big.encoders, kind, EncodedDocs([d.key for d in docs], vectors, vectors)))
            big.match_challenge(sample[0], 10)  # builds BM25 once
            stats[f"latency_100k_{kind}"] = {**latency(big, sample, repeats), "build_s": time.perf_counter() - start}
            del big
        stats["memory"] = {"max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    block = render(stats, machine_description(), datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    typer.echo(block)
    if update_readme:
        update_file(README, "speed", block)
