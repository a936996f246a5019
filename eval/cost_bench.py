"""`matcher bench-cost`: what an anonymous stranger can cost the service (issue #12).

1. Memory: free-text query vectors after N distinct queries pushed through the service's bounded
   query memo (matcher.encoders.cache.QueryMemo, MATCHER_QUERY_CACHE_ENTRIES), with the real USE
   encoder (e5 is ~25x slower per query; the bound does not depend on the encoder).
2. Time: p50/p95 of POST /v1/search over loopback HTTP for a maximum-length query (10,000
   characters, cut to the matcher's window) against a short one, on a server with the demo corpus.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import typer


def bench_cost(queries: int = typer.Option(100_000, help="Distinct queries for the memory bound"),
               timed: int = typer.Option(20, help="Timed searches of each length")) -> None:
    import httpx

    from eval.processes import Server
    from matcher.encoders import get_encoder
    from matcher.encoders.cache import QueryMemo
    from matcher.records import MAX_TEXT_CHARS
    from service.config import ServiceSettings

    entries = ServiceSettings().query_cache_entries
    memo = QueryMemo(get_encoder("use-m3"), entries)
    started = time.monotonic()
    last = started
    for start in range(0, queries, 1000):
        memo.encode_queries([f"คำค้น {i} ถนนพัง น้ำท่วม query {i}" for i in range(start, start + 1000)])
        if time.monotonic() - last > 5:
            print(f"  {start + 1000:,} / {queries:,} queries", flush=True)
            last = time.monotonic()
    size = sum(v.nbytes for v in memo._memo.values())
    print(f"query memo after {queries:,} distinct queries: {len(memo):,} entries (cap {entries:,}), "
          f"{size / 1e6:.1f} MB of vectors for one encoder ({time.monotonic() - started:.0f} s)")

    short = "น้ำท่วมขังซอยหลังฝนตก"
    longest = ("ผักตบชวาและขยะอุดตันประตูระบายน้ำ น้ำท่วมชุมชนริมคลองทุกปี flood sensors needed " * 200)[:MAX_TEXT_CHARS]
    with tempfile.TemporaryDirectory(prefix="bench-cost-") as tmp:
        server = Server(Path(tmp) / "data", env={"MATCHER_SEED_DEMO": "true"}).start()
        try:
            server.wait_ready()
            with httpx.Client(base_url=server.base, timeout=120) as client:
                result = {}
                for name, text in (("short", short), ("maximum", longest)):
                    times = []
                    for i in range(timed):
                        body = {"text": f"{text[:-6]} {i:05d}" if name == "maximum" else f"{text} {i}"}
                        t0 = time.perf_counter()
                        response = client.post("/v1/search", json=body)
                        times.append((time.perf_counter() - t0) * 1000)
                        response.raise_for_status()
                    times.sort()
                    result[name] = (statistics.median(times), times[int(0.95 * (len(times) - 1))])
                    print(f"{name} query ({len(text):,} chars): p50 {result[name][0]:.0f} ms, "
                          f"p95 {result[name][1]:.0f} ms", flush=True)
        finally:
            server.stop()
    print(f"maximum / short p95: {result['maximum'][1] / result['short'][1]:.1f}x")
