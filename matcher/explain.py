"""Reasons for a match that a person can use, built from the fusion's numbers and the two records.

The sentence shown to people names only what they can check: the specific words both texts
share (filtered by IDF, so words every record uses, like ปัญหา, ระบบ, want, every, never appear),
for a cross-language match the corresponding words on both sides ("น้ำท่วม ↔ flood"), and the
shared sectors and themes. Component scores and ranks stay in the `components` block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from matcher import taxonomy

MAX_TERMS = 5
MIN_IDF = 1.5
"""A shared word must be rarer than in about one record in four (Lucene idf ln(1+(N-df+.5)/(df+.5)))
to be worth showing: below that it is vocabulary of the domain, not evidence of this match."""


def _shows(token: str) -> bool:
    """Words worth showing: no numbers, no short Latin fragments ("per", "led" after stemming)."""
    if any(ch.isdigit() for ch in token):
        return False
    return not (token.isascii() and len(token) < 4)


def shared_terms(query_terms: dict[str, str], doc_tokens: Iterable[str], idf: Callable[[str], float],
                 limit: int = MAX_TERMS) -> list[str]:
    """Query words (surface form) also in the document, rarest first, common words dropped."""
    doc = set(doc_tokens)
    found = [(idf(token), surface) for token, surface in query_terms.items()
             if token in doc and idf(token) >= MIN_IDF and _shows(token)]
    return [surface for _idf, surface in sorted(found, key=lambda x: -x[0])[:limit]]


def overlap_labels(vocabulary: str, query_keys: list[str], doc_keys: list[str]) -> list[dict[str, str]]:
    out = []
    for key in query_keys:
        if key in doc_keys:
            term = taxonomy.term(vocabulary, key)
            out.append({"key": key, "th": term.th, "en": term.en})
    return out


def explanation(*, components: dict[str, dict[str, float]], query_lang: str, doc_lang: str,
                cross_lingual: bool, terms: list[str], sectors: list[dict[str, str]],
                themes: list[dict[str, str]], term_pairs: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Everything a reviewer needs to judge a suggestion, plus one-line summaries in both languages."""
    en: list[str] = []
    th: list[str] = []
    if terms:
        en.append("both mention " + ", ".join(terms))
        th.append("กล่าวถึงเรื่องเดียวกัน: " + ", ".join(terms))
    if cross_lingual:
        if term_pairs:
            pairs = ", ".join(f"{a} ↔ {b}" for a, b in term_pairs)
            en.append(f"matched across Thai and English ({pairs})")
            th.append(f"จับคู่ข้ามภาษาไทย-อังกฤษ ({pairs})")
        else:
            en.append("matched across Thai and English by meaning")
            th.append("จับคู่ข้ามภาษาไทย-อังกฤษตามความหมาย")
    elif not terms:
        en.append("similar in meaning")
        th.append("เนื้อหาใกล้เคียงกัน")
    if themes:
        en.append("same theme: " + ", ".join(t["en"] for t in themes))
        th.append("ประเด็นเดียวกัน: " + ", ".join(t["th"] for t in themes))
    if sectors:
        en.append("same sector: " + ", ".join(s["en"] for s in sectors))
        th.append("สาขาเดียวกัน: " + ", ".join(s["th"] for s in sectors))
    return {
        "components": components,
        "query_language": query_lang,
        "document_language": doc_lang,
        "cross_lingual": cross_lingual,
        "shared_terms": terms,
        "term_pairs": [list(p) for p in term_pairs or []],
        "shared_sectors": sectors,
        "shared_themes": themes,
        "summary": {"en": "; ".join(en), "th": "; ".join(th)},
    }
