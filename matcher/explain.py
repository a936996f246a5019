"""Human-readable reasons for a match, built from the fusion's numbers and the two records."""

from __future__ import annotations

from typing import Any

from matcher import taxonomy

MAX_TERMS = 10


def shared_terms(query_terms: dict[str, str], doc_tokens: list[str], limit: int = MAX_TERMS) -> list[str]:
    """Query terms (in their surface form) that also occur in the document, in query order."""
    doc = set(doc_tokens)
    return [surface for token, surface in query_terms.items() if token in doc][:limit]


def overlap_labels(vocabulary: str, query_keys: list[str], doc_keys: list[str]) -> list[dict[str, str]]:
    out = []
    for key in query_keys:
        if key in doc_keys:
            term = taxonomy.term(vocabulary, key)
            out.append({"key": key, "th": term.th, "en": term.en})
    return out


def explanation(*, components: dict[str, dict[str, float]], query_lang: str, doc_lang: str,
                cross_lingual: bool, terms: list[str], sectors: list[dict[str, str]],
                themes: list[dict[str, str]]) -> dict[str, Any]:
    """Everything a reviewer needs to judge a suggestion, plus one-line summaries in both languages."""
    en: list[str] = []
    th: list[str] = []
    if cross_lingual:
        en.append(f"cross-lingual match ({query_lang}→{doc_lang})")
        th.append(f"จับคู่ข้ามภาษา ({query_lang}→{doc_lang})")
    if terms:
        en.append("shared terms: " + ", ".join(terms[:5]))
        th.append("คำที่ตรงกัน: " + ", ".join(terms[:5]))
    if sectors:
        en.append("same sector: " + ", ".join(s["en"] for s in sectors))
        th.append("สาขาเดียวกัน: " + ", ".join(s["th"] for s in sectors))
    if themes:
        en.append("same theme: " + ", ".join(t["en"] for t in themes))
        th.append("ประเด็นเดียวกัน: " + ", ".join(t["th"] for t in themes))
    strongest = max(components.items(), key=lambda kv: kv[1].get("normalized", 0.0))[0] if components else None
    if strongest:
        en.append(f"strongest signal: {strongest}")
        th.append(f"สัญญาณที่เด่นที่สุด: {strongest}")
    return {
        "components": components,
        "query_language": query_lang,
        "document_language": doc_lang,
        "cross_lingual": cross_lingual,
        "shared_terms": terms,
        "shared_sectors": sectors,
        "shared_themes": themes,
        "summary": {"en": "; ".join(en), "th": "; ".join(th)},
    }
