"""Exposure maths (oracle values written as the formula), Gini on known vectors, and the bounded
community-group floor: never moves an item past one that scored more than the margin better, no-op
without kinds; then the real engine on the small corpus."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matcher.exposure import BrowsingModel, gini, measure_exposure, ranking_exposure, target_exposure
from matcher.fair import COMMUNITY_KINDS, fair_order, fair_scores, minimum_protected, protected_mask


def test_browsing_model_weights_are_the_ndcg_discount_or_rbp():
    assert BrowsingModel(depth=3).weights(10) == pytest.approx([1 / math.log2(2), 1 / math.log2(3), 1 / math.log2(4)])
    assert BrowsingModel(depth=4, patience=0.5).weights(2) == pytest.approx([1.0, 0.5])
    with pytest.raises(ValueError):
        BrowsingModel(patience=1.0)


def test_ranking_and_target_exposure():
    model = BrowsingModel(depth=3)
    w = [1 / math.log2(i + 1) for i in (1, 2, 3)]
    assert ranking_exposure(["a", "b", "c", "d"], model) == pytest.approx({"a": w[0], "b": w[1], "c": w[2]})
    # grade tiers: {a} (2), {b, c} (1), {d, e} (unjudged); depth 3: positions 1 | 2, 3 | none left
    target = target_exposure({"a": 2, "b": 1, "c": 1, "x": 0}, ["a", "b", "c", "d", "e"], model)
    assert target == pytest.approx({"a": w[0], "b": (w[1] + w[2]) / 2, "c": (w[1] + w[2]) / 2, "d": 0.0, "e": 0.0})
    # a judged-irrelevant tier shares what is left of the top, like the unjudged
    target = target_exposure({"a": 1}, ["a", "b", "c"], model)
    assert target == pytest.approx({"a": w[0], "b": (w[1] + w[2]) / 2, "c": (w[1] + w[2]) / 2})


def test_gini_on_known_vectors():
    assert gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 1]) == pytest.approx((4 - 1) / 4)  # one of n takes all: (n - 1) / n
    x = [1.0, 2.0, 3.0]
    expected = sum(abs(a - b) for a in x for b in x) / (2 * len(x) ** 2 * np.mean(x))
    assert gini(x) == pytest.approx(expected)
    assert gini([]) == 0.0 and gini([0, 0]) == 0.0


def test_measure_exposure_group_shares():
    model = BrowsingModel(depth=2)
    w1, w2 = 1.0, 1 / math.log2(3)
    rankings = {"q1": ["a", "b", "c"], "q2": ["c", "a", "b"]}
    qrels = {"q1": {"b": 2}, "q2": {"c": 1, "a": 1}}
    kinds = {"a": "ngo", "b": "startup", "c": "ngo"}
    report = measure_exposure(rankings, qrels, ["a", "b", "c"], {"kind": kinds}, model)
    total = 2 * (w1 + w2)
    by = {g.group: g for g in report.groups["kind"]}
    assert by["ngo"].exposure_share == pytest.approx((w1 + w2 + w1) / total)  # a: w1 + w2, c: w1
    assert by["startup"].exposure_share == pytest.approx(w2 / total)
    # target: q1 b first, a and c share position 2; q2 a and c share positions 1-2
    assert by["startup"].target_share == pytest.approx(w1 / total)
    assert by["ngo"].relevant == 2 and by["ngo"].relevant_share == pytest.approx(2 / 3)
    assert by["ngo"].candidate_share == pytest.approx(2 / 3)
    assert report.gini == pytest.approx(gini([w1 + w2, w2, w1]))
    assert by["startup"].ratio == pytest.approx(w2 / w1)


def test_minimum_protected_is_the_binomial_quantile():
    from math import comb

    for i, m in enumerate(minimum_protected(10, 0.36, 0.1), start=1):
        cdf = lambda k: sum(comb(i, j) * 0.36 ** j * 0.64 ** (i - j) for j in range(k + 1))  # noqa: E731
        assert cdf(m) >= 0.1 and (m == 0 or cdf(m - 1) < 0.1)
    assert minimum_protected(10, 0.36, 0.1)[-1] == 2


def _violations(scores, protected, order, allowed):
    """Pairs placed against their scores by more than `allowed`, or not by a protected over an unprotected one."""
    position = {int(i): p for p, i in enumerate(order)}
    bad = []
    for a in range(len(scores)):
        for b in range(len(scores)):
            if position[a] < position[b] and scores[b] > scores[a]:
                if not (protected[a] and not protected[b] and scores[b] - scores[a] <= allowed + 1e-12):
                    bad.append((a, b))
    return bad


@pytest.mark.parametrize("seed", range(30))
def test_floor_never_moves_an_item_beyond_the_margin(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 40))
    scores = rng.normal(size=n)
    protected = rng.random(n) < 0.3
    margin = float(rng.choice([0.1, 0.5, 2.0]))
    order = fair_order(scores, protected, margin, alpha=0.5)
    assert sorted(order.tolist()) == list(range(n))
    assert not _violations(scores, protected, order, margin * scores.std())
    new = fair_scores(scores, protected, margin, alpha=0.5)
    assert np.argsort(-new, kind="stable").tolist() == order.tolist()  # sorting the scores gives the order
    assert sorted(new.tolist()) == pytest.approx(sorted(scores.tolist()))  # same values, re-assigned


def test_floor_promotes_a_close_protected_candidate_and_not_a_far_one():
    scores = np.array([10.0, 9.9, 9.8, 9.7, 9.6, 9.5, 9.4, 9.3, 9.2, 9.1, 9.05, 1.0])
    protected = np.zeros(12, dtype=bool)
    protected[10] = True  # close behind the tenth
    order = fair_order(scores, protected, margin=0.5, alpha=0.5)
    assert 10 in order[:10].tolist()
    protected[:] = False
    protected[11] = True  # far behind: the floor stays unmet
    assert fair_order(scores, protected, margin=0.5, alpha=0.5).tolist() == list(range(12))


def test_floor_is_a_no_op_without_kinds_or_with_one_group():
    scores = np.array([3.0, 2.0, 1.0, 0.5])
    assert protected_mask([None, None, None, None]).sum() == 0
    for mask in (np.zeros(4, bool), np.ones(4, bool)):
        assert fair_scores(scores, mask, 1.0, 0.5) == pytest.approx(scores)
    assert fair_scores(scores, np.array([0, 0, 0, 1], bool), 0.0, 0.5) == pytest.approx(scores)  # margin 0: off


def test_engine_floor_on_real_encoders(engine):
    """Default configuration (floor on) against the same with it off, on the small real corpus: the
    same candidates, every move bounded by the margin, only community groups promoted."""
    from matcher.config import RetrievalConfig

    on = RetrievalConfig()
    off = on.model_copy(update={"fair_exposure": False})
    assert on.fair_exposure
    innovators = engine.collection("innovators")
    kinds = {key: doc.facets.get("kind") for key, doc in innovators.docs.items()}
    for challenge_id in list(engine.collection("challenges").docs)[:8]:
        n = len(innovators)
        before = engine.match_challenge(challenge_id, n, config=off, floor=False)
        after = engine.match_challenge(challenge_id, n, config=on, floor=False)
        assert sorted(h.key for h in before) == sorted(h.key for h in after)
        score = {h.key: h.score for h in before}
        spread = float(np.std(list(score.values())))
        rank_before = {h.key: h.rank for h in before}
        for h in after[:10]:
            if h.rank < rank_before[h.key]:  # promoted: protected, and close to everyone it passed
                assert kinds[h.key] in COMMUNITY_KINDS
                passed = [b for b in before if rank_before[h.key] > b.rank and b.key not in
                          {x.key for x in after[:h.rank]}]
                assert all(score[b.key] - score[h.key] <= on.fair_margin * spread + 1e-9 for b in passed)
        assert after[0].fit is not None  # the order-only fields keep the shipped fit model usable
