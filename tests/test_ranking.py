"""Oracle tests for the ranking maths: expected values written as the formula."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.ranking import ComponentScores, fuse, ranks, rrf, zscore


def test_zscore_formula_and_degenerate_cases():
    x = np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(zscore(x), (x - x.mean()) / x.std())
    np.testing.assert_allclose(zscore(np.array([3.0, 3.0])), [0.0, 0.0])
    masked = zscore(x, np.array([True, True, False]))
    np.testing.assert_allclose(masked, [(1 - 1.5) / 0.5, (2 - 1.5) / 0.5, 0.0])


def test_ranks_are_one_based_descending():
    np.testing.assert_array_equal(ranks(np.array([0.1, 0.9, 0.5])), [3, 1, 2])


def test_rrf_formula():
    r1, r2 = np.array([1, 2, 3]), np.array([3, 1, 2])
    expected = [1 / (60 + 1) + 0.5 / (60 + 3), 1 / (60 + 2) + 0.5 / (60 + 1), 1 / (60 + 3) + 0.5 / (60 + 2)]
    np.testing.assert_allclose(rrf([r1, r2], [1.0, 0.5], k=60), expected)


def test_zscore_fusion_is_the_weighted_sum_of_standardised_scores():
    a = np.array([0.9, 0.5, 0.1])
    b = np.array([0.2, 0.8, 0.4])
    fused = fuse([ComponentScores("a", a, 1.0), ComponentScores("b", b, 2.0)], "th", ["th"] * 3)
    np.testing.assert_allclose(fused.scores, zscore(a) + 2 * zscore(b))


def test_language_aware_bm25_only_reorders_same_language_documents():
    dense = np.array([0.50, 0.52, 0.48, 0.51, 0.40])
    bm25 = np.array([0.0, 0.0, 9.0, 0.0, 1.0])  # docs 1 and 3 are English: BM25 cannot see them
    langs = ["th", "en", "th", "en", "th"]
    comps = [ComponentScores("dense", dense, 1.0), ComponentScores("bm25", bm25, 1.0, lexical=True)]
    fused = fuse(comps, "th", langs)
    same = np.array([True, False, True, False, True])
    dense_z = zscore(dense)
    np.testing.assert_allclose(fused.normalized["bm25"], zscore(bm25, same))
    # cross-language documents keep their dense score, hence their position among all slots
    np.testing.assert_allclose(fused.scores[~same], dense_z[~same])
    # same-language documents share the same-language slots, ordered by dense + BM25
    np.testing.assert_allclose(np.sort(fused.scores[same]), np.sort(dense_z[same]))
    hybrid = dense_z + zscore(bm25, same)
    assert list(np.argsort(-fused.scores[same])) == list(np.argsort(-hybrid[same]))
    assert np.argmax(fused.scores[same]) == 1  # doc 2, the strong lexical match, takes the best Thai slot
    naive = fuse(comps, "th", langs, language_aware_lexical=False)
    assert naive.normalized["bm25"][1] < 0  # the naive version pushes English down


def test_unknown_fusion_and_empty_components_are_refused():
    with pytest.raises(ValueError, match="no components"):
        fuse([], "th", [])
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse([ComponentScores("a", np.ones(2), 1.0)], "th", ["th", "th"], method="max")
