"""The center's dashboard for admins: records by theme, district and language; per agency, the
funnel posted -> suggested -> contacted -> shortlisted -> accepted and the time to first interest.

Everything is aggregated from the database, except "suggested", which asks the live engine: a
challenge counts as suggested when at least one of its top `SUGGESTED_K` innovators has a
calibrated fit band at or above `SUGGESTED_BAND` (matcher.fit.BANDS; "possible" is the middle
band, "possible fit" / "น่าจะเหมาะ", fit >= 35). Matching every challenge is the costly part, so the
suggested set is cached per process and per change-log sequence the index has applied (a
challenge or innovator write changes it; an engagement event does not); after challenge writes
only those challenges are matched again, after an innovator write all of them. Without a fit model for
the running encoders no hit has a band, and "suggested" is reported as unavailable (None), never
guessed from raw scores.

The funnel's pair stages come from the pair states of service.engagements (`states`: the latest
event not undone) and its active events; a stage counts the pairs that reached it or went further,
so every stage is part of the one before:
- contacted: an active invited or interested event, or a current state of shortlisted or accepted;
- shortlisted: current state shortlisted or accepted;
- accepted: current state accepted.
Time to first interest is, per challenge, its first active interested event minus its created_at
(days); per agency the median and how many challenges had an interest.

The Dashboard object renders itself to JSON (`to_dict`) and to one tidy CSV (`to_csv`).
"""

from __future__ import annotations

import csv
import io
import statistics
import threading
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher import taxonomy
from matcher.engine import MatchEngine
from matcher.fit import BANDS

from service import engagements
from service.auth import Actor
from service.db import Agency, ChallengeRow, Change, InnovatorRow, aware
from service.indexing import IndexService

SIDES = ("challenges", "innovators")
DIMENSIONS = ("theme", "district", "language")
NONE_KEY = ""
"""The bucket of records without a theme (or district): they are counted, not dropped."""
SUGGESTED_BAND = "possible"
SUGGESTED_K = 10
"""As many suggestions as an agency sees first on its challenge page."""
GOOD_BANDS = tuple(name for name, _ in BANDS[:[n for n, _ in BANDS].index(SUGGESTED_BAND) + 1])
"""Bands at or above SUGGESTED_BAND, best first (from matcher.fit.BANDS, not restated here)."""
STAGES = ("posted", "suggested", "contacted", "shortlisted", "accepted")
CONTACT_EVENTS = ("invited", "interested")
SHORTLISTED_STATES = ("shortlisted", "accepted")



# --- records by theme, district and language --------------------------------------------------

@dataclass(frozen=True)
class Tally:
    """How many records of one side fall in each key of one dimension (a record with two themes
    counts under both; an innovator working in Thai and English counts under both languages)."""

    side: str
    dimension: str
    counts: tuple[tuple[str, int], ...]
    """(key, count), largest first; NONE_KEY for records without a value."""

    @property
    def top(self) -> int:
        return max((n for _k, n in self.counts), default=0)


def _keys(side: str, dimension: str, data: Mapping[str, Any]) -> list[str]:
    if dimension == "theme":
        return list(data.get("themes") or []) or [NONE_KEY]
    if dimension == "district":
        return [data.get("district") or NONE_KEY]
    if side == "innovators":
        return list(data.get("languages") or []) or [NONE_KEY]
    return [data.get("language") or NONE_KEY]


def record_tallies(session: Session) -> tuple[Tally, ...]:
    """Challenges (any status) and innovators by theme, district and language."""
    out = []
    for side, model in (("challenges", ChallengeRow), ("innovators", InnovatorRow)):
        records = [data or {} for data in session.scalars(select(model.data))]
        for dimension in DIMENSIONS:
            counter = Counter(key for data in records for key in _keys(side, dimension, data))
            out.append(Tally(side, dimension, tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))))
    return tuple(out)


# --- suggested: the live engine, cached per change-log sequence --------------------------------

def good_fit_challenges(engine: MatchEngine, challenge_ids: Iterable[str], k: int = SUGGESTED_K) -> frozenset[str] | None:
    """The challenges among `challenge_ids` with a suggestion in GOOD_BANDS among their top `k`;
    None when the engine has no fit model for its encoders (no bands to judge by). A challenge not
    (yet) in this process's index is not counted as suggested."""
    if engine.fit_model(engine.config) is None:
        return None
    collection = engine.collection("challenges")
    found = set()
    for challenge_id in challenge_ids:
        if challenge_id in collection and any(hit.band in GOOD_BANDS
                                              for hit in engine.match_challenge(challenge_id, k, floor=False)):
            found.add(challenge_id)
    return frozenset(found)


@dataclass(frozen=True)
class _Suggested:
    seq: int
    ids: frozenset[str] | None


_suggested: dict[tuple, _Suggested] = {}
_suggested_lock = threading.Lock()


def _challenges_changed(session: Session, after: int, upto: int) -> set[str] | None:
    """Challenge ids written in (after, upto], or None when an innovator changed meanwhile (every
    challenge's suggestions may differ then)."""
    changed: set[str] = set()
    for side, record_id in session.execute(select(Change.side, Change.record_id)
                                           .where(Change.seq > after, Change.seq <= upto)):
        if side != "challenges":
            return None
        changed.add(record_id)
    return changed


def suggested_challenges(session: Session, index: IndexService) -> tuple[frozenset[str] | None, int]:
    """(suggested challenge ids or None, the change-log sequence they were computed at), served
    from memory. Matching every challenge takes tens of seconds on the bundled corpus, so only the
    first request of a process waits for it: after an innovator write, the figures of the last
    computation are returned at once (their sequence says how old they are) and a background
    thread brings them up to date. When only challenges were written since, only those are matched
    again (a challenge's suggestions depend on itself and on the innovators); after an innovator
    write, every challenge is."""
    from service.operations import ready

    engine = ready(index).engine
    key = (index.settings.db_url, tuple(engine.config.encoder_ids), engine.config.mode)
    cached = _suggested.get(key)
    stale = cached is not None and cached.seq < index.last_seq
    if cached is None or (stale and cached.ids is not None
                          and _challenges_changed(session, cached.seq, index.last_seq) is not None):
        with _suggested_lock:  # the first computation, or a few written challenges: cheap enough to wait
            return _refresh(session, index, key)
    if stale and _suggested_lock.acquire(blocking=False):
        def refresh() -> None:
            try:
                with index.sessions() as fresh_session:
                    _refresh(fresh_session, index, key)
            finally:
                _suggested_lock.release()

        threading.Thread(target=refresh, name="dashboard-refresh", daemon=True).start()
    return cached.ids, cached.seq


def _refresh(session: Session, index: IndexService, key: tuple) -> tuple[frozenset[str] | None, int]:
    """Bring the cached suggested set up to the index's applied sequence (the caller holds the lock)."""
    engine = index.engine
    seq = index.last_seq
    cached = _suggested.get(key)
    if cached is not None and cached.seq == seq:
        return cached.ids, seq
    changed = _challenges_changed(session, cached.seq, seq) if cached is not None and cached.ids is not None \
        and cached.seq < seq else None
    if changed is not None:
        fresh = good_fit_challenges(engine, changed)
        ids = None if fresh is None else (cached.ids - changed) | fresh
    else:
        ids = good_fit_challenges(engine, session.scalars(select(ChallengeRow.id)))
    _suggested.clear()
    _suggested[key] = _Suggested(seq, ids)
    return ids, seq


# --- per-agency funnel and time to first interest ----------------------------------------------

@dataclass(frozen=True)
class AgencyFunnel:
    """One agency's row; `agency_id` None gathers challenges posted without an agency account."""

    agency_id: str | None
    name_th: str
    name_en: str
    posted: int
    suggested: int | None
    contacted: int
    shortlisted: int
    accepted: int
    interest_days: tuple[float, ...] = field(default=(), repr=False)
    """Days from posting to the first interest, one per challenge that had one."""

    @property
    def interest_count(self) -> int:
        return len(self.interest_days)

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.interest_days) if self.interest_days else None

    def stage(self, name: str) -> int | None:
        return getattr(self, name)

    def name(self, lang: str) -> str:
        return self.name_th if lang == "th" else self.name_en

    def to_dict(self) -> dict[str, Any]:
        median = self.median_days
        return {"agency_id": self.agency_id, "name": {"th": self.name_th, "en": self.name_en},
                **{s: self.stage(s) for s in STAGES},
                "first_interest": {"count": self.interest_count,
                                   "median_days": None if median is None else round(median, 3)}}


def _first_interests(events: Iterable) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for row in events:
        if row.state == "interested":
            moment = aware(row.created_at)
            if row.challenge_id not in first or moment < first[row.challenge_id]:
                first[row.challenge_id] = moment
    return first


def agency_funnels(session: Session, suggested: Collection[str] | None) -> tuple[AgencyFunnel, ...]:
    """Every agency with an account (posted 0 included) and, if any, the challenges without one;
    ordered by challenges posted, then id."""
    challenges = {cid: (agency_id, aware(created)) for cid, agency_id, created in
                  session.execute(select(ChallengeRow.id, ChallengeRow.agency_id, ChallengeRow.created_at))}
    events = engagements.active_events(session)
    contacted = {(e.challenge_id, e.innovator_id) for e in events if e.state in CONTACT_EVENTS}
    states = {pair: row.state for pair, row in engagements.states(session).items()}
    contacted |= {pair for pair, state in states.items() if state in SHORTLISTED_STATES}
    first = _first_interests(events)

    per: dict[str | None, dict[str, Any]] = defaultdict(lambda: {"posted": 0, "suggested": 0, "contacted": 0,
                                                                  "shortlisted": 0, "accepted": 0, "days": []})
    for agency in session.scalars(select(Agency)):
        per[agency.id]  # every agency shows, even with nothing posted
    for cid, (agency_id, created) in challenges.items():
        row = per[agency_id]
        row["posted"] += 1
        row["suggested"] += int(suggested is not None and cid in suggested)
        if cid in first:
            row["days"].append((first[cid] - created).total_seconds() / 86400)
    for pair in contacted:
        if pair[0] in challenges:
            per[challenges[pair[0]][0]]["contacted"] += 1
    for pair, state in states.items():
        if pair[0] in challenges and state in SHORTLISTED_STATES:
            row = per[challenges[pair[0]][0]]
            row["shortlisted"] += 1
            row["accepted"] += int(state == "accepted")
    names = {a.id: (a.name_th, a.name_en) for a in session.scalars(select(Agency))}
    names[None] = _catalogue("dashboard_no_agency")
    rows = [AgencyFunnel(agency_id, *names.get(agency_id, (agency_id, agency_id)), posted=v["posted"],
                         suggested=None if suggested is None else v["suggested"], contacted=v["contacted"],
                         shortlisted=v["shortlisted"], accepted=v["accepted"], interest_days=tuple(sorted(v["days"])))
            for agency_id, v in per.items()]
    return tuple(sorted(rows, key=lambda r: (-r.posted, r.agency_id is None, r.agency_id or "")))


def total_funnel(rows: Iterable[AgencyFunnel]) -> AgencyFunnel:
    """All agencies together (the median over every challenge that had an interest)."""
    rows = list(rows)
    suggested = None if any(r.suggested is None for r in rows) else sum(r.suggested or 0 for r in rows)
    return AgencyFunnel(None, *_catalogue("dashboard_all_agencies"), sum(r.posted for r in rows), suggested,
                        sum(r.contacted for r in rows), sum(r.shortlisted for r in rows), sum(r.accepted for r in rows),
                        tuple(sorted(d for r in rows for d in r.interest_days)))


# --- the dashboard ------------------------------------------------------------------------------

CSV_COLUMNS = ("section", "group", "key", "label_th", "label_en", "metric", "value")


@dataclass(frozen=True)
class Dashboard:
    tallies: tuple[Tally, ...]
    agencies: tuple[AgencyFunnel, ...]
    seq: int
    """The change-log sequence the suggested counts were computed at."""

    @property
    def total(self) -> AgencyFunnel:
        return total_funnel(self.agencies)

    @property
    def suggested_available(self) -> bool:
        return self.total.suggested is not None

    def tally(self, side: str, dimension: str) -> Tally:
        return next(t for t in self.tallies if t.side == side and t.dimension == dimension)

    def to_dict(self) -> dict[str, Any]:
        return {"records": {side: {dim: dict(self.tally(side, dim).counts) for dim in DIMENSIONS} for side in SIDES},
                "agencies": [a.to_dict() for a in self.agencies], "total": self.total.to_dict(),
                "suggested_rule": {"band_at_least": SUGGESTED_BAND, "bands": list(GOOD_BANDS), "k": SUGGESTED_K,
                                   "available": self.suggested_available},
                "seq": self.seq}

    def csv_rows(self) -> list[tuple[Any, ...]]:
        """One tidy table: section, group, key, Thai and English labels, metric, value."""
        rows: list[tuple[Any, ...]] = []
        for tally in self.tallies:
            for key, count in tally.counts:
                rows.append(("records", f"{tally.side}/{tally.dimension}", key, *_labels(tally.dimension, key),
                             "count", count))
        for key, agency in [*((a.agency_id or "", a) for a in self.agencies), ("*", self.total)]:
            for stage in STAGES:
                value = agency.stage(stage)
                rows.append(("funnel", "agency", key, agency.name_th, agency.name_en, stage,
                             "" if value is None else value))
            median = agency.median_days
            rows.append(("first_interest", "agency", key, agency.name_th, agency.name_en, "count",
                         agency.interest_count))
            rows.append(("first_interest", "agency", key, agency.name_th, agency.name_en, "median_days",
                         "" if median is None else round(median, 3)))
        return rows

    def to_csv(self) -> str:
        """UTF-8 text without BOM (the HTTP layer adds it for Excel, as for the gap map)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(self.csv_rows())
        return out.getvalue()


def _catalogue(key: str) -> tuple[str, str]:
    from service.messages import CATALOGUE

    return CATALOGUE[key]["th"], CATALOGUE[key]["en"]


def key_message(dimension: str, key: str) -> str | None:
    """The catalogue key naming a tally key, when it is not a taxonomy term (shared with the page)."""
    if key == NONE_KEY:
        return "dashboard_not_given"
    return f"lang_{key}" if dimension == "language" else None


def _labels(dimension: str, key: str) -> tuple[str, str]:
    """Thai and English labels of a key (the CSV carries both; the page shows one)."""
    message = key_message(dimension, key)
    if message is not None:
        return _catalogue(message)
    try:
        entry = taxonomy.term(dimension, key)
    except KeyError:
        return key, key
    return entry.label("th"), entry.label("en")


def build_dashboard(session: Session, index: IndexService, actor: Actor) -> Dashboard:
    """The whole dashboard (admins only)."""
    actor.require("admin")
    suggested, seq = suggested_challenges(session, index)
    return Dashboard(record_tallies(session), agency_funnels(session, suggested), seq)
