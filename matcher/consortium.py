"""Consortium suggestions: split a challenge into its needs, find who fits each, propose teams.

Many city problems need more than one party (sensors + a data platform + community volunteers).
A challenge's text is split into needs (`split_needs`: paragraphs and list items, then sentences,
tiny fragments merged into their neighbours); every need is searched as free text against the
innovators, giving each candidate a calibrated fit per need. A team's value is weighted coverage:
the mean over needs of the best fit any member has for it (max-coverage, the soft form of
weighted set cover: a member that only repeats what the team already covers adds nothing). Teams
are grown greedily from the strongest seeds, one member at a time, while a member adds at least
`min_gain` coverage, up to three members; greedy is within 1 - 1/e of the best team for this
monotone submodular objective and is cheap enough for a request.

The core (`split_needs`, `coverage`, `grow_team`, `suggest_teams`) is pure; `consortia_for`
queries a `MatchEngine`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matcher.engine import MatchEngine

MIN_NEED_CHARS = 40
"""A fragment shorter than this (a salutation, "Dear ...", a heading) is merged into a neighbour."""
MAX_NEEDS = 6
MIN_GAIN = 0.05
"""A member must add at least 5 fit points of mean coverage to join a team."""
MAX_TEAM = 3
POOL = 10
"""Team members come from the challenge's top 10 (chosen on the train and dev challenges by
`matcher consortium-eval`, see eval/CONSORTIUM.md): the consortium re-organises the list agency
staff already see into teams, instead of reaching for innovators that fit one sentence only."""
COVER_FIT = 28
"""A member covers a need when its fit for that need reaches this (the fit model's floor, 0-100)."""

_THAI = "\u0e00-\u0e7f"
_BLOCK = re.compile(r"\n\s*\n|\n(?=\s*(?:[-•*·▪]|\(?\d{1,2}[.)]|\(?[a-zA-Zก-ฮ][.)])\s)")
_ENGLISH_END = re.compile(r"(?<=[.!?;])\s+(?=[\"'(\[]?[A-Z0-9" + _THAI + "])")
_THAI_SPACE = re.compile(r"(?<=[" + _THAI + r"])[ \t]+(?=[" + _THAI + "])")


def _sentences(block: str) -> list[str]:
    """English sentence ends, and Thai's sentence space (a space between two Thai letters)."""
    out: list[str] = []
    for line in block.splitlines():
        for sentence in _ENGLISH_END.split(line):
            out += [s.strip() for s in _THAI_SPACE.split(sentence) if s.strip()]
    return out


def _merge_small(pieces: list[str], min_chars: int) -> list[str]:
    merged: list[str] = []
    for piece in pieces:
        if merged and (len(merged[-1]) < min_chars or len(piece) < min_chars):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    if len(merged) > 1 and len(merged[-1]) < min_chars:
        merged[-2:] = [f"{merged[-2]} {merged[-1]}"]
    return merged


def split_needs(text: str, min_chars: int = MIN_NEED_CHARS, max_needs: int = MAX_NEEDS) -> list[str]:
    """The needs of a challenge text, in order.

    Authors separate their needs by paragraphs or list items, so those are the units when there
    are at least two; a one-paragraph text is split into sentences instead. Fragments under
    `min_chars` join a neighbour, then neighbours are joined (shortest pair first) until at most
    `max_needs` remain."""
    blocks = [b.strip() for b in _BLOCK.split(text.replace("\r\n", "\n")) if b and b.strip()]
    units = _merge_small([" ".join(b.split()) for b in blocks], min_chars)
    if len(units) < 2:
        units = _merge_small([s for b in blocks for s in _sentences(b)], min_chars)
    while len(units) > max_needs:
        j = min(range(len(units) - 1), key=lambda i: len(units[i]) + len(units[i + 1]))
        units[j:j + 2] = [f"{units[j]} {units[j + 1]}"]
    return units


# --- teams over a fit matrix (candidates x needs, fits in 0..1) ------------------------------

def coverage(fits: np.ndarray, members: Sequence[int], weights: np.ndarray | None = None) -> float:
    """Weighted mean over needs of the best member's fit: sum_j w_j max_{i in T} F[i, j] / sum_j w_j."""
    fits = np.asarray(fits, dtype=np.float64)
    if not len(members) or fits.shape[1] == 0:
        return 0.0
    w = np.ones(fits.shape[1]) if weights is None else np.asarray(weights, dtype=np.float64)
    return float((fits[list(members)].max(axis=0) * w).sum() / w.sum())


def grow_team(fits: np.ndarray, seed: int, weights: np.ndarray | None = None, max_size: int = MAX_TEAM,
              min_gain: float = MIN_GAIN) -> list[int]:
    """Greedy: from `seed`, add the candidate with the largest coverage gain while it is >= min_gain."""
    team = [seed]
    value = coverage(fits, team, weights)
    while len(team) < max_size:
        gains = [(coverage(fits, team + [i], weights) - value, -i) for i in range(len(fits)) if i not in team]
        if not gains:
            break
        gain, negative = max(gains)
        if gain < min_gain:
            break
        team.append(-negative)
        value += gain
    return team


def suggest_teams(fits: np.ndarray, weights: np.ndarray | None = None, n_teams: int = 3, max_size: int = MAX_TEAM,
                  min_gain: float = MIN_GAIN, seeds: int = 8) -> list[list[int]]:
    """Up to `n_teams` distinct teams of 2..max_size, best coverage first, grown from the `seeds`
    candidates that cover most alone. Every member must add at least `min_gain` to the rest of its
    team, and a team must beat the best single candidate by `min_gain`, or it is not proposed."""
    fits = np.asarray(fits, dtype=np.float64)
    if fits.ndim != 2 or fits.shape[0] < 2 or fits.shape[1] < 2:
        return []
    alone = np.array([coverage(fits, [i], weights) for i in range(len(fits))])
    teams: dict[frozenset[int], list[int]] = {}
    for seed in np.argsort(-alone, kind="stable")[:seeds]:
        team = _prune(fits, grow_team(fits, int(seed), weights, max_size, min_gain), weights, min_gain)
        if len(team) >= 2 and coverage(fits, team, weights) >= alone.max() + min_gain:
            teams.setdefault(frozenset(team), team)
    ranked = sorted(teams.values(), key=lambda t: (-coverage(fits, t, weights), len(t)))
    return ranked[:n_teams]


def _prune(fits: np.ndarray, team: list[int], weights: np.ndarray | None, min_gain: float) -> list[int]:
    """Drop members the rest of the team makes redundant (a weak seed that a later member outdoes)."""
    team = list(team)
    while len(team) > 1:
        value = coverage(fits, team, weights)
        loss = {m: value - coverage(fits, [x for x in team if x != m], weights) for m in team}
        weakest = min(team, key=lambda m: (loss[m], -team.index(m)))
        if loss[weakest] >= min_gain:
            break
        team.remove(weakest)
    return team


# --- named results -----------------------------------------------------------------------------

@dataclass
class Member:
    innovator_id: str
    name: str
    kind: str | None
    fits: list[int]
    """Fit (0-100) for every need of the challenge."""
    covers: list[int] = field(default_factory=list)
    """Needs (0-based) this member is the team's best fit for, at or above COVER_FIT."""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.innovator_id, "name": self.name, "kind": self.kind, "fits": self.fits, "covers": self.covers}


@dataclass
class Team:
    members: list[Member]
    coverage: float
    """Mean over needs of the best member fit (0-100)."""
    covered: list[int]
    """Needs covered by some member at or above COVER_FIT."""
    overlap: int
    """Needs that more than one member covers (little overlap is the point)."""

    @property
    def ids(self) -> list[str]:
        return [m.innovator_id for m in self.members]

    def to_dict(self) -> dict[str, Any]:
        return {"members": [m.to_dict() for m in self.members], "coverage": round(self.coverage, 1),
                "covered": self.covered, "overlap": self.overlap}


@dataclass
class ConsortiumSuggestion:
    challenge_id: str
    needs: list[str]
    teams: list[Team]
    best_single: Member | None
    """The candidate that covers most needs alone (what a team must beat)."""
    best_single_coverage: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"challenge_id": self.challenge_id, "needs": [{"index": i, "text": t} for i, t in enumerate(self.needs)],
                "teams": [t.to_dict() for t in self.teams],
                "best_single": self.best_single.to_dict() if self.best_single else None,
                "best_single_coverage": round(self.best_single_coverage, 1)}

    def to_markdown(self) -> str:
        lines = [f"Needs of {self.challenge_id}:", ""]
        lines += [f"{i + 1}. {t}" for i, t in enumerate(self.needs)]
        if self.best_single:
            lines += ["", f"Best single innovator: {self.best_single.name} ({self.best_single.innovator_id}), "
                          f"coverage {self.best_single_coverage:.0f}"]
        for n, team in enumerate(self.teams, start=1):
            lines += ["", f"Team {n}: coverage {team.coverage:.0f}, needs covered "
                          f"{', '.join(str(i + 1) for i in team.covered) or '-'}"]
            for m in team.members:
                what = ", ".join(f"{i + 1}" for i in m.covers) or "-"
                lines.append(f"- {m.name} ({m.innovator_id}, {m.kind}): covers need(s) {what}; fits {m.fits}")
        if not self.teams:
            lines += ["", "No team covers more than the best single innovator."]
        return "\n".join(lines)


def describe(fits: np.ndarray, team: Sequence[int], ids: Sequence[str], info: Mapping[str, tuple[str, str | None]],
             cover_fit: float = COVER_FIT) -> Team:
    """A team of candidate rows as named members with "who covers what" (fits in 0..1)."""
    fits = np.asarray(fits, dtype=np.float64)
    sub = fits[list(team)]
    best = sub.argmax(axis=0)
    members = []
    for row, i in enumerate(team):
        covers = [j for j in range(fits.shape[1]) if best[j] == row and 100 * sub[row, j] >= cover_fit]
        name, kind = info.get(ids[i], (ids[i], None))
        members.append(Member(ids[i], name, kind, [round(100 * f) for f in fits[i]], covers))
    able = 100 * sub >= cover_fit
    return Team(members, 100 * coverage(fits, team), [j for j in range(fits.shape[1]) if able[:, j].any()],
                int((able.sum(axis=0) > 1).sum()))


def consortia_for(engine: "MatchEngine", challenge_id: str, n_teams: int = 3, pool: int = POOL,
                  depth: int = 200) -> ConsortiumSuggestion:
    """Needs, the best single innovator and up to `n_teams` teams for a stored challenge.

    Candidates are the challenge's own top `pool` innovators (POOL): a team member must fit the problem
    as a whole, the needs only decide the division of labour (a budget paragraph must not pull in
    a budget-watch NGO for a flood challenge). Each candidate's fit for each need comes from that
    need's free-text search over every innovator (top `depth`; absent = 0), calibrated like any
    match. Without a fit model for the configuration, a rank proxy stands in: 1 - (rank - 1) / depth."""
    challenges, innovators = engine.collection("challenges"), engine.collection("innovators")
    if challenge_id not in challenges:
        from matcher.engine import UnknownRecordError

        raise UnknownRecordError("challenges", challenge_id)
    doc = challenges.docs[challenge_id]
    body = doc.text[len(doc.title):] if doc.title and doc.text.startswith(doc.title) else doc.text
    needs = split_needs(body) or [doc.text]
    ids = [h.key for h in engine.match_challenge(challenge_id, pool, floor=False)]
    config = engine.config
    queries = innovators.text_queries(needs, engine._encoder_ids(config))  # one batch for every need
    per: list[dict[str, float]] = []
    for query in queries:
        hits = engine.calibrate(innovators.search(query, depth, config, explain=False), config, floor=False)
        per.append({h.key: (h.fit if h.fit is not None else 100 * (1 - (h.rank - 1) / depth)) / 100 for h in hits})
    fits = np.array([[p.get(key, 0.0) for p in per] for key in ids], dtype=np.float64).reshape(len(ids), len(needs))
    info = {key: (innovators.docs[key].title, innovators.docs[key].facets.get("kind")) for key in ids}
    if not ids:
        return ConsortiumSuggestion(challenge_id, needs, [], None)
    alone = [coverage(fits, [i]) for i in range(len(ids))]
    single = int(np.argmax(alone))
    teams = [describe(fits, t, ids, info) for t in suggest_teams(fits, n_teams=n_teams)]
    return ConsortiumSuggestion(challenge_id, needs, teams, describe(fits, [single], ids, info).members[0],
                                100 * alone[single])
