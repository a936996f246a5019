"""Fair top-k for small community groups: a FA*IR-style floor, bounded by a score margin (pure).

Who is protected. Community enterprises, NGOs and social enterprises (`COMMUNITY_KINDS`): groups
with no sales team and often Thai-only profiles, which a city platform means to bring in front of
agency staff; startups, SMEs and university labs are not protected. The choice is policy, made
here once; the evaluation measures what it does.

The rule (Zehlike et al., 2017, "FA*IR: A Fair Top-k Ranking Algorithm"). For every prefix of the
first `depth` places, the number of protected candidates must not be significantly lower than a
ranking that drew each place at random with the protected share `p` of the candidate pool: at
least m(i) = the alpha-quantile of Binomial(i, p) in the first i places. Greedily, place by place,
the better-scored candidate is taken unless the floor is not met, then the best protected one.

The bound. A protected candidate is promoted only over candidates whose score exceeds its own by
at most `margin` standard deviations of the pool's scores; when the best protected candidate is
further behind, the floor is left unmet at that place. So the re-ranking never puts an item above
another that scored more than the margin better, whatever the data, and it is a no-op when no
candidate carries a kind (a BEIR collection), when every candidate is protected or none is, or
when the floor already holds (the usual case on the BIC corpus, where community groups are
exposed beyond their share; see eval/EXPOSURE.md).

Scores are re-assigned as slot scores (the i-th placed item takes the i-th highest score), so they
stay in the fused score's units and decrease with rank; the fit model reads the fused score, not
this one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

COMMUNITY_KINDS: frozenset[str] = frozenset({"community_enterprise", "ngo", "social_enterprise"})


@lru_cache(maxsize=4096)
def minimum_protected(depth: int, share: float, alpha: float) -> tuple[int, ...]:
    """m(1..depth): the alpha-quantile of Binomial(i, share), i.e. the smallest m with P[X <= m] >= alpha."""
    if not 0 <= share <= 1 or not 0 < alpha < 1:
        raise ValueError("share must be in [0, 1] and alpha in (0, 1)")
    out = []
    for i in range(1, depth + 1):
        cumulative, m = 0.0, 0
        while m < i:
            cumulative += math.comb(i, m) * share ** m * (1.0 - share) ** (i - m)
            if cumulative >= alpha - 1e-12:
                break
            m += 1
        out.append(m)
    return tuple(out)


def protected_mask(kinds: Sequence[str | None], protected: frozenset[str] = COMMUNITY_KINDS) -> np.ndarray:
    return np.fromiter((k in protected for k in kinds), dtype=bool, count=len(kinds))


def fair_order(scores: np.ndarray, protected: np.ndarray, margin: float, alpha: float,
               depth: int = 10) -> np.ndarray:
    """Indices of the candidates in their new order (every index once)."""
    scores = np.asarray(scores, dtype=np.float64)
    protected = np.asarray(protected, dtype=bool)
    order = np.argsort(-scores, kind="stable")
    if len(scores) < 2 or margin <= 0 or protected.all() or not protected.any():
        return order
    floor = minimum_protected(min(depth, len(scores)), round(float(protected.mean()), 6), alpha)
    allowed = margin * float(scores.std())
    ours = [int(i) for i in order if protected[i]]
    theirs = [int(i) for i in order if not protected[i]]
    placed: list[int] = []
    p = n = count = 0
    for place in range(len(floor)):
        head_p = ours[p] if p < len(ours) else None
        head_n = theirs[n] if n < len(theirs) else None
        take_protected = head_n is None or (head_p is not None and (
            scores[head_p] >= scores[head_n]
            or (count < floor[place] and scores[head_n] - scores[head_p] <= allowed)))
        if take_protected and head_p is not None:
            placed.append(head_p)
            p, count = p + 1, count + 1
        else:
            placed.append(head_n)  # type: ignore[arg-type]
            n += 1
    if placed == [int(i) for i in order[:len(placed)]]:
        return order
    taken = set(placed)
    return np.array(placed + [int(i) for i in order if int(i) not in taken], dtype=np.int64)


def fair_scores(scores: np.ndarray, protected: np.ndarray, margin: float, alpha: float,
                depth: int = 10) -> np.ndarray:
    """The scores re-assigned so that sorting them gives `fair_order` (strictly decreasing in it)."""
    scores = np.asarray(scores, dtype=np.float64)
    order = fair_order(scores, protected, margin, alpha, depth)
    if np.array_equal(order, np.argsort(-scores, kind="stable")):
        return scores.copy()
    slots = np.sort(scores)[::-1].copy()
    if (np.diff(slots) >= 0).any():  # ties would let a stable sort undo the new order
        for j in range(1, len(slots)):
            if slots[j] >= slots[j - 1]:
                slots[j] = np.nextafter(slots[j - 1], -np.inf)
    out = np.empty_like(scores)
    out[order] = slots
    return out
