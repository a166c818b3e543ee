"""Two-sample tests over what the reference keeps besides embeddings: topic shares, flag rates, scores.

scipy.stats is imported inside the tests: it is slow to import and the scoring path never needs it.

Every test here compares two samples (reference and window), never a window against the
reference's numbers taken as exact: a reference is a sample too, and treating its proportions as
known makes every test fire more often than its level says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PSI_EPSILON = 1e-4
MIN_EXPECTED = 10.0


@dataclass(frozen=True)
class TestOutcome:
    """One test on one window: what was measured and how surprising it is under 'no drift'."""

    test: str
    statistic: float
    p_value: float
    effect_size: float
    details: dict[str, Any] = field(default_factory=dict)

    __test__ = False  # not a pytest class


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index between two share vectors (0.1 small, 0.25 large by convention)."""
    p = np.clip(np.asarray(expected, dtype=np.float64), PSI_EPSILON, None)
    q = np.clip(np.asarray(actual, dtype=np.float64), PSI_EPSILON, None)
    p, q = p / p.sum(), q / q.sum()
    return float(np.sum((q - p) * np.log(q / p)))


def cluster_share_test(ref_counts: np.ndarray, window_counts: np.ndarray) -> TestOutcome:
    """Chi-square test of homogeneity on the 2 x K table of cluster counts; PSI as the effect size."""
    from scipy import stats

    ref = np.asarray(ref_counts, dtype=np.float64)
    win = np.asarray(window_counts, dtype=np.float64)
    used = (ref + win) > 0
    table = np.vstack([ref[used], win[used]])
    if table.shape[1] < 2 or ref.sum() == 0 or win.sum() == 0:
        return TestOutcome("topic_clusters", 0.0, 1.0, 0.0, {"reason": "fewer than two populated clusters"})
    chi2, p_value, dof, _ = stats.chi2_contingency(table, correction=False)
    return TestOutcome(
        "topic_clusters",
        float(chi2),
        float(p_value),
        psi(ref / ref.sum(), win / win.sum()),
        {"dof": int(dof), "effect": "psi"},
    )


def flag_rate_test(name: str, ref_flagged: int, ref_n: int, win_flagged: int, win_n: int) -> TestOutcome:
    """Two-proportion z test (pooled variance) for a detector's flag rate; effect = rate difference.

    Rare flags make the normal approximation fire too often, so with an expected count under
    `MIN_EXPECTED` in any cell the p-value comes from Fisher's exact test instead.
    """
    from scipy import stats

    test = f"flag_rate:{name}"
    p1, p2 = ref_flagged / ref_n, win_flagged / win_n
    pooled = (ref_flagged + win_flagged) / (ref_n + win_n)
    var = pooled * (1.0 - pooled) * (1.0 / ref_n + 1.0 / win_n)
    details: dict[str, Any] = {
        "reference_rate": p1,
        "window_rate": p2,
        "effect": "rate difference (window - reference)",
    }
    if var <= 0:
        return TestOutcome(test, 0.0, 1.0, p2 - p1, details)
    z = (p2 - p1) / math.sqrt(var)
    expected = min(pooled, 1.0 - pooled) * min(ref_n, win_n)
    if expected < MIN_EXPECTED:
        table = [[ref_flagged, ref_n - ref_flagged], [win_flagged, win_n - win_flagged]]
        details["method"] = "fisher_exact"
        return TestOutcome(test, z, float(stats.fisher_exact(table).pvalue), p2 - p1, details)
    return TestOutcome(test, z, float(2.0 * stats.norm.sf(abs(z))), p2 - p1, details)


def distribution_test(test: str, ref: np.ndarray, window: np.ndarray) -> TestOutcome:
    """Two-sample Kolmogorov-Smirnov; with ties (discrete scores) its p-value is conservative."""
    from scipy import stats

    result = stats.ks_2samp(np.asarray(ref, dtype=np.float64), np.asarray(window, dtype=np.float64))
    shift = float(np.median(window) - np.median(ref))
    return TestOutcome(
        test,
        float(result.statistic),
        float(result.pvalue),
        float(result.statistic),
        {"median_shift": shift, "effect": "KS distance"},
    )
