"""Turn records into index documents: what text is searched and which facets can be filtered."""

from __future__ import annotations

from matcher.collection import IndexDoc
from matcher.records import Challenge, Innovator
from matcher.text import detect_language


def challenge_doc(challenge: Challenge) -> IndexDoc:
    text = challenge.search_text()
    return IndexDoc(challenge.id, text, challenge.title, challenge.language or detect_language(text), {
        "sectors": list(challenge.sectors), "themes": list(challenge.themes), "district": challenge.district,
        "status": challenge.status, "agency": challenge.agency, "agency_id": challenge.agency_id,
        "confidential": challenge.confidential,
    })


def innovator_doc(innovator: Innovator) -> IndexDoc:
    text = innovator.search_text()
    return IndexDoc(innovator.id, text, innovator.name, detect_language(text), {
        "sectors": list(innovator.sectors), "themes": list(innovator.themes), "district": innovator.district,
        "kind": innovator.kind, "trl": innovator.max_trl, "status": "active",
    })
