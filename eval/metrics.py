"""Metrics (ranx), slices and the language-preference diagnostic. Computing only; no rendering."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matcher.text import same_language

METRICS = ["ndcg@10", "precision@5", "mrr@10", "recall@10", "recall@50", "recall@100", "map"]
TOP_N = 10


def ranx_scores(qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Mapping[str, float]],
                 metrics: list[str]) -> dict[str, float]:
    from ranx import Qrels, Run, evaluate

    qrels = {q: {d: g for d, g in rel.items() if g > 0} for q, rel in qrels.items()}
    qrels = {q: rel for q, rel in qrels.items() if rel}
    if not qrels:
        return {m: float("nan") for m in metrics}
    run = {q: (dict(run[q]) if run.get(q) else {"__none__": 0.0}) for q in qrels}
    result = evaluate(Qrels(qrels), Run(run), metrics, make_comparable=True)
    if isinstance(result, float):
        result = {metrics[0]: result}
    return {m: float(v) for m, v in result.items()}


def slice_qrels(qrels: Mapping[str, Mapping[str, int]], query_lang: Mapping[str, str], doc_lang: Mapping[str, str],
                query_sectors: Mapping[str, list[str]] | None = None) -> dict[str, dict[str, dict[str, int]]]:
    """Named subsets of the judgments.

    Language slices are pair-level: "th->en" keeps, for Thai queries, only the English relevant
    documents, so it measures how well cross-lingual matches are found in the full ranking even
    when a query also has same-language matches. "same-language" and "cross-language" pool them.
    """
    slices: dict[str, dict[str, dict[str, int]]] = {}

    def add(name: str, qid: str, did: str, grade: int) -> None:
        slices.setdefault(name, {}).setdefault(qid, {})[did] = grade

    for qid, rel in qrels.items():
        ql = query_lang.get(qid, "en")
        for did, grade in rel.items():
            if grade <= 0:
                continue
            dl = doc_lang.get(did, "en")
            add(f"{ql}->{dl}", qid, did, grade)
            add("same-language" if same_language(ql, dl) else "cross-language", qid, did, grade)
        for sector in (query_sectors or {}).get(qid, []):
            for did, grade in rel.items():
                if grade > 0:
                    add(f"sector:{sector}", qid, did, grade)
    return slices


def language_preference(run: Mapping[str, Mapping[str, float]], qrels: Mapping[str, Mapping[str, int]],
                        query_lang: Mapping[str, str], doc_lang: Mapping[str, str]) -> dict[str, float]:
    """Same-language share of the top-10 next to the same-language share among relevant documents.

    A large gap means the ranking prefers the query's own language beyond what relevance warrants.
    """
    top_same = top_total = rel_same = rel_total = 0
    for qid, rel in qrels.items():
        ql = query_lang.get(qid, "en")
        ranked = sorted(run.get(qid, {}).items(), key=lambda kv: -kv[1])[:TOP_N]
        for did, _ in ranked:
            if did in doc_lang:
                top_total += 1
                top_same += same_language(ql, doc_lang[did])
        for did, grade in rel.items():
            if grade > 0 and did in doc_lang:
                rel_total += 1
                rel_same += same_language(ql, doc_lang[did])
    return {"top10_same_language_share": top_same / top_total if top_total else float("nan"),
            "relevant_same_language_share": rel_same / rel_total if rel_total else float("nan")}


def compute_metrics(qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Mapping[str, float]],
                    query_lang: Mapping[str, str], doc_lang: Mapping[str, str],
                    query_sectors: Mapping[str, list[str]] | None = None,
                    metrics: list[str] | None = None) -> dict[str, Any]:
    """The metrics.json payload: metric names at the top level, then `slices` with the same keys."""
    metrics = metrics or METRICS
    out: dict[str, Any] = ranx_scores(qrels, run, metrics)
    out["slices"] = {}
    for name, sub in sorted(slice_qrels(qrels, query_lang, doc_lang, query_sectors).items()):
        out["slices"][name] = {**ranx_scores(sub, run, metrics), "queries": len(sub)}
    out["queries"] = sum(1 for rel in qrels.values() if any(g > 0 for g in rel.values()))
    out["language_preference"] = language_preference(run, qrels, query_lang, doc_lang)
    return out


def compare_runs(qrels: Mapping[str, Mapping[str, int]], runs: Mapping[str, Mapping[str, Mapping[str, float]]],
                 metrics: list[str] | None = None, seed: int = 42) -> dict[str, Any]:
    """Paired significance tests between configurations (ranx compare, Student's paired t-test)."""
    from ranx import Qrels, Run, compare

    metrics = metrics or ["ndcg@10", "mrr@10", "recall@100"]
    judged = {q: {d: g for d, g in rel.items() if g > 0} for q, rel in qrels.items()}
    judged = {q: rel for q, rel in judged.items() if rel}
    ranx_runs = []
    for name, run in runs.items():
        r = Run({q: (dict(run[q]) if run.get(q) else {"__none__": 0.0}) for q in judged}, name=name)
        ranx_runs.append(r)
    report = compare(Qrels(judged), ranx_runs, metrics=metrics, max_p=0.05, stat_test="student",
                     random_seed=seed, make_comparable=True)
    return report.to_dict()
