"""Pure statistics behind the overview: intervals for rates and prevalence corrected for detector error.

- `wilson`: the Wilson score interval of k successes in n, vectorised; well-behaved at 0, n and small n.
- `rogan_gladen`: true prevalence from an apparent rate and the test's sensitivity and specificity.
- `corrected_prevalence`: the form we can measure: raw flag rate x precision / recall, where precision
  comes from reviewers' verdicts on the random audit slice (k true flags of m audited). Interval by a
  seeded parametric bootstrap over the raw rate, the precision and (when its n is known) the recall.
- `calibration`: ECE/Brier with a fast Poisson-bootstrap interval and the reliability table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from detectors.calibration import calibration_table
from detectors.evaluation.metrics import bin_index, brier, ece

__all__ = ["Prevalence", "calibration", "corrected_prevalence", "rogan_gladen", "wilson", "with_wilson"]

Z95 = 1.959963984540054


def wilson(k: np.ndarray | float, n: np.ndarray | float, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (lo, hi) of the rate k/n; (nan, nan) where n is 0."""
    k_arr = np.asarray(k, dtype=np.float64)
    n_arr = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k_arr / n_arr
        denom = 1.0 + z * z / n_arr
        centre = (p + z * z / (2.0 * n_arr)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n_arr + z * z / (4.0 * n_arr * n_arr)) / denom
    lo = np.where(n_arr > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    hi = np.where(n_arr > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return lo, hi


def with_wilson(frame: pl.DataFrame, k: str = "flagged", n: str = "n") -> pl.DataFrame:
    """`frame` plus `rate`, `lo`, `hi` columns for the counts in columns `k` and `n`."""
    lo, hi = wilson(frame[k].to_numpy(), frame[n].to_numpy())
    return frame.with_columns(
        (pl.col(k) / pl.col(n)).alias("rate"), pl.Series("lo", lo, pl.Float64), pl.Series("hi", hi, pl.Float64)
    )


def rogan_gladen(apparent: float, sensitivity: float, specificity: float) -> float:
    """(apparent + Sp - 1) / (Se + Sp - 1), clipped to [0, 1]; nan when Se + Sp <= 1 (an uninformative test)."""
    youden = sensitivity + specificity - 1.0
    if youden <= 0:
        return float("nan")
    return float(np.clip((apparent + specificity - 1.0) / youden, 0.0, 1.0))


@dataclass(frozen=True)
class Prevalence:
    """A corrected prevalence with its 95% interval, and the inputs that produced it."""

    raw: float
    precision: float
    recall: float
    estimate: float
    lo: float
    hi: float


def corrected_prevalence(
    flagged: int,
    n: int,
    true_flags: int,
    audited: int,
    recall: float = 1.0,
    recall_n: int | None = None,
    *,
    n_boot: int = 4000,
    seed: int = 0,
) -> Prevalence:
    """Prevalence = (flagged / n) x precision / recall with a bootstrap interval.

    Precision is `true_flags / audited` (reviewers' accepts on the random audit slice). Each source of
    error is drawn from its Jeffreys Beta posterior; recall is held fixed unless `recall_n` (the number
    of positives it was measured on) is given. With recall taken as 1 the estimate is a lower bound.
    """
    if n <= 0 or audited <= 0:
        raise ValueError("needs scored rows and at least one audited flag")
    if not 0.0 < recall <= 1.0:
        raise ValueError("recall must be in (0, 1]")
    rng = np.random.default_rng(seed)
    raw = rng.beta(flagged + 0.5, n - flagged + 0.5, n_boot)
    precision = rng.beta(true_flags + 0.5, audited - true_flags + 0.5, n_boot)
    if recall_n:
        hits = round(recall * recall_n)
        rec = rng.beta(hits + 0.5, recall_n - hits + 0.5, n_boot)
    else:
        rec = np.full(n_boot, recall)
    draws = np.clip(raw * precision / rec, 0.0, 1.0)
    lo, hi = np.quantile(draws, [0.025, 0.975])
    raw_rate, ppv = flagged / n, true_flags / audited
    return Prevalence(raw_rate, ppv, recall, min(1.0, raw_rate * ppv / recall), float(lo), float(hi))


def calibration(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10, n_boot: int = 200, seed: int = 0
) -> tuple[dict[str, float], pl.DataFrame]:
    """ECE and Brier with 95% bootstrap intervals, and the reliability table (`detectors.calibration`).

    The interval is a Poisson bootstrap (each row weighted by a Poisson(1) draw, the large-n
    equivalent of resampling rows). A bin's share of ECE is |sum of weighted (confidence - correct)|
    over the total weight, so only per-bin sums are needed. Small samples draw every weight; large
    ones draw the per-bin sums from their normal limit (mean, variance and covariance of the
    weighted sums are exact), which keeps a million-row lake interactive. Point estimates are
    `detectors`' own.
    """
    c = np.asarray(confidence, dtype=np.float64).ravel()
    y = np.asarray(correct, dtype=np.float64).ravel()
    table = calibration_table(c, y, n_bins)
    n = len(c)
    stats = {"n": float(n), "ece": ece(y, c, n_bins), "brier": brier(y, c),
             "mean_confidence": float(c.mean()) if n else float("nan"),
             "accuracy": float(y.mean()) if n else float("nan")}  # fmt: skip
    if n == 0 or n_boot < 2:
        return {**stats, "ece_lo": float("nan"), "ece_hi": float("nan"), "brier_lo": float("nan"),
                "brier_hi": float("nan")}, table  # fmt: skip
    bins, gap = bin_index(c, n_bins), c - y
    rng = np.random.default_rng(seed)
    if n * n_boot <= EXACT_BOOTSTRAP_CELLS:
        ece_draws, brier_draws = _poisson_bootstrap(bins, gap, n_bins, n_boot, rng)
    else:
        ece_draws, brier_draws = _normal_bootstrap(bins, gap, n_bins, n_boot, rng)
    e_lo, e_hi = np.quantile(ece_draws, [0.025, 0.975])
    b_lo, b_hi = np.quantile(brier_draws, [0.025, 0.975])
    return {**stats, "ece_lo": float(e_lo), "ece_hi": float(e_hi), "brier_lo": float(b_lo),
            "brier_hi": float(b_hi)}, table  # fmt: skip


EXACT_BOOTSTRAP_CELLS = 1_000_000  # rows x replicates drawn one by one; beyond it, the normal limit


def _poisson_bootstrap(
    bins: np.ndarray, gap: np.ndarray, n_bins: int, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = len(gap)
    weights = rng.poisson(1.0, (n_boot, n)).astype(np.float64)
    index = (np.arange(n_boot)[:, None] * n_bins + bins[None, :]).ravel()
    per_bin = np.bincount(index, weights=(weights * gap).ravel(), minlength=n_boot * n_bins).reshape(n_boot, n_bins)
    total = np.maximum(weights.sum(axis=1), 1.0)
    return np.abs(per_bin).sum(axis=1) / total, weights @ (gap**2) / total


def _normal_bootstrap(
    bins: np.ndarray, gap: np.ndarray, n_bins: int, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per bin, (sum w*gap, sum w) is drawn jointly normal with the Poisson weights' exact moments."""
    count = np.bincount(bins, minlength=n_bins).astype(np.float64)
    s1 = np.bincount(bins, weights=gap, minlength=n_bins)
    s2 = np.bincount(bins, weights=gap**2, minlength=n_bins)
    s4 = np.bincount(bins, weights=gap**4, minlength=n_bins)
    root = np.sqrt(np.maximum(count, 1.0))
    z1, z2, z3 = (rng.standard_normal((n_boot, n_bins)) for _ in range(3))
    weight = count + root * z1
    sums = s1 + (s1 / root) * z1 + np.sqrt(np.maximum(s2 - s1**2 / np.maximum(count, 1.0), 0.0)) * z2
    squares = s2 + (s2 / root) * z1 + np.sqrt(np.maximum(s4 - s2**2 / np.maximum(count, 1.0), 0.0)) * z3
    total = np.maximum(weight.sum(axis=1), 1.0)
    return np.abs(sums).sum(axis=1) / total, squares.sum(axis=1) / total
