"""The alert scan: saved-search matches for innovators and new strong suggestions for agencies.

`matcher notifications scan` runs it once; `matcher notifications send --scan-interval S` runs it
from the sender loop. Each topic (one saved search, one open challenge) is searched with a read
session (no write lock is held while ranking), then its alerts, their outbox rows and the topic's
mark are written in one write transaction. Nothing is announced twice to the same person:

- a saved search announces open challenges posted since its last scan (the rule of
  service.operations.saved_search_hits, with an hour of overlap so a challenge indexed late is not
  missed, but never from before the search was saved); the (person, "saved:<search>:<challenge>")
  key is unique in the database;
- a challenge announces innovators that rose to the fit band `min_band` (default strong) since its
  last scan; each innovator seen above the band is remembered (alert_marks), so it is announced
  once, and the first scan of a challenge only takes note of who is already there (the agency saw
  those suggestions when it posted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from matcher.engine import UnknownRecordError
from matcher.fit import BAND_LABELS

from service import engagements, notify
from service.auth import Actor
from service.changes import Sessions
from service.db import AlertMark, ChallengeRow, SavedSearchRow, aware
from service.indexing import IndexService
from service.operations import saved_search_hits

BAND_RANK = {"weak": 1, "possible": 2, "strong": 3}
ALERT_OVERLAP = timedelta(hours=1)
"""A saved search looks this far behind its last scan (a challenge committed just before a scan may
reach this process's index just after it); the unique item key keeps that from repeating alerts."""
SUGGESTIONS_LOOKED_AT = 20
SAVED_SEARCH_HITS = 20
SCANNED = ""
"""The item of a topic's own mark: "this topic was scanned at seen_at"."""


@dataclass
class ScanReport:
    """What one scan did (printed by the CLI)."""

    saved_searches: int = 0
    challenges: int = 0
    first_seen: int = 0
    notifications: int = 0
    skipped: list[str] = field(default_factory=list)
    """Topics not scanned this time (a challenge not yet in this process's index)."""


def _now() -> datetime:
    return datetime.now(timezone.utc)



def _mark(session, topic: str, item: str, now: datetime) -> None:
    row = session.get(AlertMark, (topic, item))
    if row is None:
        session.add(AlertMark(topic=topic, item=item, seen_at=now))
    else:
        row.seen_at = now


def scan(sessions: Sessions, index: IndexService, min_band: str = "strong", *, now: datetime | None = None,
         progress: Callable[[str], None] | None = None) -> ScanReport:
    """One pass over every saved search and every open challenge (the index must be ready)."""
    if min_band not in BAND_RANK:
        raise ValueError(f"min_band must be one of {', '.join(BAND_RANK)}")
    now = now or _now()
    report = ScanReport()
    with sessions() as session:
        search_ids = list(session.scalars(select(SavedSearchRow.id).order_by(SavedSearchRow.id)))
        challenge_ids = list(session.scalars(select(ChallengeRow.id).where(ChallengeRow.status == "open")
                                             .order_by(ChallengeRow.id)))
    total = len(search_ids) + len(challenge_ids)
    for n, search_id in enumerate(search_ids, 1):
        report.notifications += scan_saved_search(sessions, index, search_id, now)
        report.saved_searches += 1
        _progress(progress, n, total)
    for n, challenge_id in enumerate(challenge_ids, len(search_ids) + 1):
        announced = scan_challenge(sessions, index, challenge_id, min_band, now)
        if announced is None:
            report.skipped.append(challenge_id)
        elif announced < 0:
            report.first_seen += 1
        else:
            report.notifications += announced
        report.challenges += 1
        _progress(progress, n, total)
    return report


def _progress(progress: Callable[[str], None] | None, n: int, total: int) -> None:
    if progress is not None and (n % 50 == 0 or n == total):
        progress(f"alert scan: {n:,} / {total:,} topics")


def scan_saved_search(sessions: Sessions, index: IndexService, search_id: int, now: datetime) -> int:
    """Announce the saved search's new challenges to the innovator's people; returns how many notifications."""
    topic = f"saved:{search_id}"
    with sessions() as session:
        row = session.get(SavedSearchRow, search_id)
        if row is None:
            return 0
        mark = session.get(AlertMark, (topic, SCANNED))
        since = max(aware(row.created_at), aware(mark.seen_at) - ALERT_OVERLAP) if mark else aware(row.created_at)
        actor = Actor(role="innovator", innovator_id=row.innovator_id, name="alerts")
        hits = saved_search_hits(session, index, actor, row, since, SAVED_SEARCH_HITS)
        text, innovator_id = row.text, row.innovator_id
    created = 0
    with sessions.write() as session:
        people = notify.innovator_people(session, innovator_id)
        for hit in hits:
            challenge = session.get(ChallengeRow, hit["id"])
            if challenge is None or challenge.status != "open":
                continue
            params = {**notify.challenge_params(challenge), "search": text}
            created += len(notify.announce(session, "saved_search", people, f"saved:{search_id}:{challenge.id}",
                                           params, challenge_id=challenge.id, innovator_id=innovator_id, now=now))
        _mark(session, topic, SCANNED, now)
    return created


def scan_challenge(sessions: Sessions, index: IndexService, challenge_id: str, min_band: str,
                   now: datetime) -> int | None:
    """Announce innovators newly in `min_band` or above to the owning agency's staff. Returns the
    number of notifications, -1 for a challenge's first scan (noted, nothing announced), None when
    the challenge is not in this process's index yet."""
    topic = f"challenge:{challenge_id}"
    with sessions() as session:
        declined = engagements.declined_by_agency(session, challenge_id)
    try:
        hits = index.engine.match_challenge(challenge_id, SUGGESTIONS_LOOKED_AT, exclude=declined, floor=None)
    except UnknownRecordError:
        return None
    above = [h for h in hits if h.band in BAND_RANK and BAND_RANK[h.band] >= BAND_RANK[min_band]]
    with sessions.write() as session:
        challenge = session.get(ChallengeRow, challenge_id)
        if challenge is None:
            return 0
        first = session.get(AlertMark, (topic, SCANNED)) is None
        known = set(session.scalars(select(AlertMark.item).where(AlertMark.topic == topic)))
        fresh = [h for h in above if h.key not in known]
        created = 0
        people = [] if first else notify.agency_people(session, challenge.agency_id)
        for hit in fresh:
            _mark(session, topic, hit.key, now)
            params = {**notify.challenge_params(challenge), "innovator": notify.innovator_name(session, hit.key),
                      "band": BAND_LABELS[hit.band]}
            created += len(notify.announce(session, "new_suggestion", people, f"suggest:{challenge_id}:{hit.key}",
                                           params, challenge_id=challenge_id, innovator_id=hit.key, now=now))
        _mark(session, topic, SCANNED, now)
    return -1 if first else created
