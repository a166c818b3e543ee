"""The statistics of drift on synthetic data: exact p-values, nominal false alarms, power on a clear shift."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from detectors.drift.calibrate import holm
from detectors.drift.mmd import (
    RandomFourierFeatures,
    exact_mmd_test,
    gaussian_kernel,
    median_bandwidth,
    mmd_statistic,
    mmd_test,
)
from detectors.drift.twosample import cluster_share_test, distribution_test, flag_rate_test, psi
from tests.drift_synthetic import DIM, sample


def _features(x: np.ndarray, rff: RandomFourierFeatures) -> np.ndarray:
    return rff.transform(x)


def test_rff_approximates_the_gaussian_kernel() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, DIM)).astype(np.float32)
    bandwidth = median_bandwidth(x)
    rff = RandomFourierFeatures.create(DIM, bandwidth, n_features=4096, seed=1)
    approx = rff.transform(x) @ rff.transform(x).T
    exact = gaussian_kernel(x, x, bandwidth)
    assert np.abs(approx - exact).mean() < 0.03


def test_p_value_counts_the_observed_statistic() -> None:
    rng = np.random.default_rng(1)
    rff = RandomFourierFeatures.create(DIM, 5.0, seed=0)
    ref = rff.transform(sample(300, rng)[0])
    far = rff.transform(sample(100, rng)[0] + 5.0)
    result = mmd_test(ref, far, n_permutations=99, rng=rng)
    # No permutation reaches a shift this large, yet p is 1 / (1 + B), never 0.
    assert result.p_value == pytest.approx(1 / 100)
    same = mmd_test(ref, ref[:100], n_permutations=99, rng=rng)
    assert (same.p_value * 100) == pytest.approx(round(same.p_value * 100))
    assert 1 / 100 <= same.p_value <= 1.0


def test_mmd_null_p_values_are_not_below_nominal() -> None:
    rng = np.random.default_rng(2)
    rff = RandomFourierFeatures.create(DIM, 5.5, n_features=64, seed=0)
    p_values = []
    for _ in range(200):
        ref, win = sample(200, rng)[0], sample(60, rng)[0]
        p_values.append(mmd_test(rff.transform(ref), rff.transform(win), n_permutations=49, rng=rng).p_value)
    p = np.asarray(p_values)
    # Uniform p-values: about 10% at or below 0.1 (binomial sd 2.1%); a test that left out the observed
    # statistic or mixed up the groups would sit far from it.
    assert 0.03 <= np.mean(p <= 0.1) <= 0.17
    assert 0.4 <= p.mean() <= 0.6


def test_mmd_detects_a_ten_percent_novel_topic() -> None:
    rng = np.random.default_rng(3)
    ref = sample(2000, rng)[0]
    rff = RandomFourierFeatures.create(DIM, median_bandwidth(ref), seed=0)
    detected = 0
    for _ in range(10):
        win = sample(1000, rng, novel_share=0.1)[0]
        detected += mmd_test(rff.transform(ref), rff.transform(win), 199, rng).p_value <= 0.01
    assert detected >= 9


def test_rff_and_exact_mmd_agree_on_the_direction() -> None:
    rng = np.random.default_rng(4)
    ref, win = sample(200, rng)[0], sample(200, rng, novel_share=0.5)[0]
    bandwidth = median_bandwidth(ref)
    exact = exact_mmd_test(ref, win, bandwidth, 99, rng)
    rff = RandomFourierFeatures.create(DIM, bandwidth, n_features=2048, seed=0)
    approx = mmd_statistic(rff.transform(ref), rff.transform(win))
    assert exact.p_value == pytest.approx(0.01)
    assert approx == pytest.approx(exact.statistic, rel=0.25)


def test_cluster_share_test_two_sample() -> None:
    same = cluster_share_test(np.array([100, 100, 100]), np.array([34, 33, 33]))
    moved = cluster_share_test(np.array([100, 100, 100]), np.array([10, 10, 80]))
    assert same.p_value > 0.5 and same.effect_size < 0.01
    assert moved.p_value < 1e-6 and moved.effect_size > 0.25
    assert cluster_share_test(np.array([5, 0]), np.array([5, 0])).p_value == 1.0


def test_psi_is_zero_for_equal_shares_and_positive_otherwise() -> None:
    assert psi(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == pytest.approx(0.0)
    assert psi(np.array([0.5, 0.5]), np.array([0.9, 0.1])) > 0.25


def test_flag_rate_and_score_tests() -> None:
    assert flag_rate_test("h", 50, 1000, 52, 1000).p_value > 0.5
    moved = flag_rate_test("h", 50, 1000, 120, 1000)
    assert moved.p_value < 1e-6 and moved.effect_size == pytest.approx(0.07)
    assert flag_rate_test("h", 0, 100, 0, 100).p_value == 1.0
    rare = flag_rate_test("h", 1, 300, 6, 250)  # expected counts ~3: the z test would overstate it
    assert rare.details["method"] == "fisher_exact"
    assert rare.p_value > 2 * stats.norm.sf(abs(rare.statistic))
    rng = np.random.default_rng(5)
    assert distribution_test("s", rng.random(500), rng.random(500)).p_value > 0.001
    assert distribution_test("s", rng.random(500), rng.random(500) ** 2).p_value < 1e-6


def test_holm_matches_hand_computation() -> None:
    adjusted = holm([0.01, 0.04, 0.03, 0.5])
    # sorted: 0.01*4=0.04, 0.03*3=0.09, 0.04*2=0.08 -> 0.09 (monotone), 0.5*1=0.5
    assert adjusted == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([0.9, 0.9]).max() == 1.0


def test_package_exports_what_it_lists() -> None:
    import detectors.drift as drift

    assert drift.__all__ == sorted(drift.__all__)
    assert all(hasattr(drift, name) for name in drift.__all__)
