"""Planning operations: import complaints, draft challenges from them, post a reviewed draft, and
the coverage-gap map. Called by the API (api_planning), the pages (web_planning) and the CLI
(cli_planning); permissions are checked here, with the caller's Actor passed in.

The computation lives in matcher.complaints (pure); this module reads and writes the database and
hands the running engine's encoders and innovator collection to it.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.collection import make_query
from matcher.complaints.clustering import ClusterSettings
from matcher.complaints.drafting import Draft
from matcher.complaints.embedding import encoded_text
from matcher.complaints.gaps import GapMap, build_gap_map, is_strong
from matcher.complaints.loading import load_text
from matcher.complaints.models import Complaint, LineError, bangkok
from matcher.complaints.pipeline import Plan, plan

from service.auth import Actor
from service.changes import Sessions
from service.config import ServiceSettings
from service.db import ChallengeRow, ComplaintRow
from service.errors import invalid, not_found
from service.indexing import IndexService

STORE_BATCH = 500
GAP_QUERIES_PER_CELL = 3
"""Most representative complaints of a theme x district cell searched against the innovators."""
GAP_K = 20
POSTED_SHARE = 0.5
"""A draft whose complaints are at least this much in the evidence of a posted challenge is done."""

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    """What an import did: records read, added / updated / unchanged, and each bad line."""

    lines: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[LineError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"lines": self.lines, "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "errors": [e.to_dict() for e in self.errors], "error_count": len(self.errors)}


# --- import ------------------------------------------------------------------------------------

def _utc(moment: datetime | None, naive_zone=timezone.utc) -> datetime | None:
    """Stored times are UTC: SQLite keeps no offset, so a naive value read back is UTC."""
    if moment is None:
        return None
    return (moment.replace(tzinfo=naive_zone) if moment.tzinfo is None else moment).astimezone(timezone.utc)


def _row_values(complaint: Complaint) -> dict[str, Any]:
    created = bangkok(complaint.created_at) if complaint.created_at is not None else None
    return {"text": complaint.text, "district": complaint.district, "district_raw": complaint.district_raw,
            "categories": list(complaint.categories), "created_at": _utc(created), "state": complaint.state,
            "source": complaint.source}


def _same(row: ComplaintRow, values: Mapping[str, Any]) -> bool:
    """Identical content (the source file's name may differ between two imports of the same tickets)."""
    return all((_utc(row.created_at) == v) if k == "created_at" else getattr(row, k) == v
               for k, v in values.items() if k != "source")


def store_complaints(sessions: Sessions, complaints: Sequence[Complaint], report: ImportReport,
                     progress: Progress | None = None) -> ImportReport:
    """Insert new complaints, update changed ones, leave identical ones: importing the same file
    twice adds nothing. One write transaction per batch, so a crash keeps the batches before it."""
    for start in range(0, len(complaints), STORE_BATCH):
        batch = complaints[start:start + STORE_BATCH]
        with sessions.write() as session:
            existing = {r.id: r for r in session.scalars(select(ComplaintRow).where(ComplaintRow.id.in_([c.id for c in batch])))}
            for complaint in batch:
                values = _row_values(complaint)
                row = existing.get(complaint.id)
                if row is None:
                    session.add(ComplaintRow(id=complaint.id, **values))
                    report.added += 1
                elif _same(row, values):
                    report.unchanged += 1
                else:
                    for key, value in values.items():
                        setattr(row, key, value)
                    report.updated += 1
        if progress is not None:
            progress(start + len(batch), len(complaints))
    return report


def import_text(sessions: Sessions, text: str, kind: str, mapping: Mapping[str, str] | None = None, source: str = "",
                progress: Progress | None = None) -> ImportReport:
    """Parse and store one file's text (the CLI's and the API's shared path; no permission check)."""
    loaded = load_text(text, kind, mapping, source)
    report = ImportReport(lines=loaded.lines, errors=list(loaded.errors))
    return store_complaints(sessions, loaded.complaints, report, progress)


def import_upload(sessions: Sessions, actor: Actor, text: str, kind: str, mapping: Mapping[str, str] | None,
                  source: str) -> ImportReport:
    """An admin's upload (API or page)."""
    actor.require("admin")
    return import_text(sessions, text, kind, mapping, source)


def load_complaints(session: Session) -> list[Complaint]:
    rows = session.scalars(select(ComplaintRow).order_by(ComplaintRow.created_at, ComplaintRow.id))
    return [Complaint(id=r.id, text=r.text, district=r.district, district_raw=r.district_raw,
                      categories=list(r.categories or []), created_at=_utc(r.created_at), state=r.state,
                      source=r.source)
            for r in rows]


def complaint_counts(session: Session) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(ComplaintRow)) or 0
    placed = session.scalar(select(func.count()).select_from(ComplaintRow).where(ComplaintRow.district.is_not(None))) or 0
    return {"complaints": int(total), "with_district": int(placed)}


# --- drafts ------------------------------------------------------------------------------------

_plans: dict[tuple, Plan] = {}
_plans_lock = threading.Lock()


def encoders_for(settings: ServiceSettings, encoder_ids: Sequence[str]) -> dict[str, Any]:
    """The engine's encoders wrapped with the on-disk embedding cache (same fingerprints), so a
    complaint is encoded once per text and every later plan, in any process, reads it back."""
    from matcher.encoders import get_encoder

    return {eid: get_encoder(eid, settings.cache_dir) for eid in encoder_ids}


def current_plan(session: Session, settings: ServiceSettings, encoder_ids: Sequence[str],
                 clustering: ClusterSettings = ClusterSettings(), show_progress: bool | None = False) -> Plan:
    """The plan of the complaints now stored, computed once per process and per content version
    (count and latest import time), then served from memory."""
    version = session.execute(select(func.count(), func.max(ComplaintRow.imported_at)).select_from(ComplaintRow)).one()
    key = (settings.db_url, int(version[0]), str(version[1]), tuple(encoder_ids), clustering)
    with _plans_lock:
        cached = _plans.get(key)
        if cached is None:
            cached = plan(load_complaints(session), encoders_for(settings, encoder_ids), "both", clustering,
                          show_progress=show_progress)
            _plans.clear()
            _plans[key] = cached
        return cached


def index_plan(session: Session, index: IndexService) -> Plan:
    """The current plan with the serving engine's encoders."""
    return current_plan(session, index.settings, index.engine.config.encoder_ids)


def posted_evidence(session: Session) -> tuple[set[str], set[str]]:
    """(draft ids, complaint ids) already in the evidence of stored challenges."""
    drafts: set[str] = set()
    complaints: set[str] = set()
    for data in session.scalars(select(ChallengeRow.data)):
        evidence = (data or {}).get("evidence") or {}
        if evidence.get("draft_id"):
            drafts.add(evidence["draft_id"])
        complaints.update(evidence.get("complaint_ids") or [])
    return drafts, complaints


def list_drafts(session: Session, index: IndexService, actor: Actor, district: str | None = None,
                include_posted: bool = False) -> list[Draft]:
    """Drafts not yet posted (agency staff and admins), optionally those touching one district."""
    actor.require("agency", "admin")
    drafts = index_plan(session, index).drafts
    if not include_posted:
        posted_drafts, posted_complaints = posted_evidence(session)
        drafts = [d for d in drafts if d.id not in posted_drafts
                  and sum(c in posted_complaints for c in d.complaint_ids) < POSTED_SHARE * d.size]
    if district:
        drafts = [d for d in drafts if district in d.districts]
    return drafts


def get_draft(session: Session, index: IndexService, actor: Actor, draft_id: str) -> Draft:
    actor.require("agency", "admin")
    for draft in index_plan(session, index).drafts:
        if draft.id == draft_id:
            return draft
    raise not_found("draft", draft_id)


def post_draft(session: Session, index: IndexService, actor: Actor, draft_id: str,
               fields: Mapping[str, Any]) -> dict[str, Any]:
    """Post a reviewed draft through the normal challenge creation; the challenge records its evidence
    (complaint ids, districts, months) whatever the reviewer edited."""
    from service import operations as ops

    draft = get_draft(session, index, actor, draft_id)
    record = {**draft.challenge_fields(), **{k: v for k, v in fields.items() if k != "evidence"},
              "evidence": draft.evidence()}
    if not record.get("agency"):
        record["agency"] = "กรุงเทพมหานคร"  # replaced by the agency's own name when the poster has one
    return ops.create_challenge(session, index, actor, record)


# --- coverage gaps -----------------------------------------------------------------------------

def _representatives(rows: Sequence[int], vectors: np.ndarray, n: int) -> list[int]:
    if len(rows) <= n:
        return list(rows)
    centroid = vectors[list(rows)].mean(axis=0)
    scores = vectors[list(rows)] @ centroid
    return [rows[i] for i in np.argsort(-scores, kind="stable")[:n]]


def _strong(hits) -> list[str]:
    return [h.key for h in hits if is_strong(h.fit, h.band, h.score)]


def gap_map(session: Session, index: IndexService, actor: Actor) -> GapMap:
    """Theme x district: complaints, open challenges and innovators with a strong fit to them (admins)."""
    from service.operations import ready

    actor.require("admin")
    engine = ready(index).engine
    current = index_plan(session, index)
    rows_by_cell: dict[tuple[str, str], list[int]] = defaultdict(list)
    unplaced = 0
    for row, (complaint, theme) in enumerate(zip(current.complaints, current.themes)):
        if complaint.district and theme:
            rows_by_cell[(theme, complaint.district)].append(row)
        else:
            unplaced += 1
    challenges_by_cell: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in session.scalars(select(ChallengeRow).where(ChallengeRow.status == "open")):
        district = (row.data or {}).get("district")
        for theme in (row.data or {}).get("themes") or []:
            if district:
                challenges_by_cell[(theme, district)].append(row.id)
    config = engine.config
    innovators = engine.collection("innovators")
    capable: dict[tuple[str, str], list[str]] = {}
    for cell in set(rows_by_cell) | set(challenges_by_cell):
        found: list[str] = []
        for row in _representatives(rows_by_cell.get(cell, []), current.vectors, GAP_QUERIES_PER_CELL):
            complaint = current.complaints[row]
            query = make_query(encoded_text(complaint.text), {eid: v[row] for eid, v in current.per_encoder.items()},
                               themes=[cell[0]])
            found += _strong(engine.calibrate(innovators.search(query, GAP_K, config), config, floor=False))
        for challenge_id in challenges_by_cell.get(cell, []):
            if challenge_id in engine.collection("challenges"):
                found += _strong(engine.match_challenge(challenge_id, GAP_K, floor=False))
        capable[cell] = list(dict.fromkeys(found))
    return build_gap_map({c: len(r) for c, r in rows_by_cell.items()},
                         {c: len(ids) for c, ids in challenges_by_cell.items()}, capable, unplaced)


def parse_mapping_param(value: str | None) -> dict[str, str] | None:
    """`text=description,district=khet` from a query parameter or form field (422 names it)."""
    from matcher.complaints.loading import parse_mapping

    if not value or not value.strip():
        return None
    try:
        return parse_mapping([value])
    except ValueError as exc:
        raise invalid(str(exc), "map") from None


def progress_printer(echo: Callable[[str], None], every: float = 3.0) -> Progress:
    """A progress callback that prints a line at most every `every` seconds (and at the end),
    on a terminal or not."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - last[0] >= every:
            last[0] = now
            echo(f"stored {done:,} / {total:,} complaints")

    return report
