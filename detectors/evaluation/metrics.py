"""Binary-classification and calibration metrics with seeded bootstrap intervals.

Shared by every head's evaluation and by the dashboard's calibration view, so a number in a
model card and a number on a chart are computed by the same code. Pure numpy: arrays in, floats out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

ArrayLike = Sequence[float] | Sequence[bool] | np.ndarray
Metric = Callable[[np.ndarray, np.ndarray], float]


def _arrays(y_true: ArrayLike, y_score: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true, dtype=np.float64).ravel()
    s = np.asarray(y_score, dtype=np.float64).ravel()
    if t.shape != s.shape:
        raise ValueError(f"y_true and y_score differ in length: {t.shape[0]} vs {s.shape[0]}")
    return t, s


def precision_recall_f1(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[float, float, float]:
    """Precision, recall and F1 of hard predictions; 0.0 where a ratio has an empty denominator."""
    t, p = _arrays(y_true, y_pred)
    t, p = t > 0.5, p > 0.5
    tp = float(np.sum(t & p))
    fp = float(np.sum(~t & p))
    fn = float(np.sum(t & ~p))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def f1(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    return precision_recall_f1(y_true, y_pred)[2]


def false_positive_rate(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of negatives flagged; nan with no negatives."""
    t, p = _arrays(y_true, y_pred)
    neg = t <= 0.5
    return float(np.mean(p[neg] > 0.5)) if neg.any() else float("nan")


def auroc(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Area under the ROC curve by the rank statistic (ties count one half); nan with one class only."""
    t, s = _arrays(y_true, y_score)
    pos = t > 0.5
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    # Average ranks over ties so equal scores are neither rewarded nor punished.
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def average_precision(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Area under the precision-recall curve (step-wise, as scikit-learn); nan with no positives."""
    t, s = _arrays(y_true, y_score)
    pos = t > 0.5
    if not pos.any():
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    hits = pos[order].astype(np.float64)
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(s) + 1)
    # Only the last index of a run of tied scores is a threshold.
    last = np.r_[np.diff(s[order]) != 0, True]
    recall = tp / pos.sum()
    p, r = precision[last], recall[last]
    return float(np.sum(np.diff(np.r_[0.0, r]) * p))


def brier(y_true: ArrayLike, y_prob: ArrayLike) -> float:
    """Mean squared error of the probabilities; nan for empty input."""
    t, p = _arrays(y_true, y_prob)
    return float(np.mean((p - t) ** 2)) if len(t) else float("nan")


def bin_index(y_prob: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-width bin of each probability in [0, 1]; 1.0 falls in the last bin."""
    return np.clip((np.clip(y_prob, 0.0, 1.0) * n_bins).astype(int), 0, n_bins - 1)


def ece(y_true: ArrayLike, y_prob: ArrayLike, n_bins: int = 10) -> float:
    """Expected calibration error: |mean confidence - accuracy| per equal-width bin, weighted by bin size."""
    t, p = _arrays(y_true, y_prob)
    if not len(t):
        return float("nan")
    bins = bin_index(p, n_bins)
    total = 0.0
    for b in np.unique(bins):
        in_bin = bins == b
        total += in_bin.sum() * abs(float(p[in_bin].mean()) - float(t[in_bin].mean()))
    return total / len(t)


def bootstrap_ci(
    metric: Metric,
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of `metric` over rows resampled with replacement (seeded, reproducible).

    Resamples where the metric is undefined (nan, e.g. one class only) are dropped.
    """
    t, s = _arrays(y_true, y_score)
    if not len(t):
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = np.empty(n_boot, dtype=np.float64)
    for i in range(n_boot):
        idx = rng.integers(0, len(t), len(t))
        values[i] = metric(t[idx], s[idx])
    values = values[~np.isnan(values)]
    if not len(values):
        return float("nan"), float("nan")
    return float(np.quantile(values, alpha / 2)), float(np.quantile(values, 1 - alpha / 2))


@dataclass(frozen=True)
class BinaryReport:
    """What a model card holds for one detector on one dataset."""

    n: int
    n_positive: int
    threshold: float
    precision: float
    recall: float
    f1: float
    f1_ci: tuple[float, float]
    false_positive_rate: float
    auroc: float
    auroc_ci: tuple[float, float]
    average_precision: float

    def to_dict(self) -> dict[str, object]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


def binary_report(
    y_true: ArrayLike, y_score: ArrayLike, threshold: float, *, n_boot: int = 1000, seed: int = 0
) -> BinaryReport:
    """Precision/recall/F1 at `threshold`, threshold-free AUROC and AP, bootstrap CIs for F1 and AUROC."""
    t, s = _arrays(y_true, y_score)
    pred = (s >= threshold).astype(np.float64)
    precision, recall, f1_value = precision_recall_f1(t, pred)
    return BinaryReport(
        n=len(t),
        n_positive=int((t > 0.5).sum()),
        threshold=float(threshold),
        precision=precision,
        recall=recall,
        f1=f1_value,
        f1_ci=bootstrap_ci(lambda a, b: f1(a, b >= threshold), t, s, n_boot=n_boot, seed=seed),
        false_positive_rate=false_positive_rate(t, pred),
        auroc=auroc(t, s),
        auroc_ci=bootstrap_ci(auroc, t, s, n_boot=n_boot, seed=seed),
        average_precision=average_precision(t, s),
    )


def best_f1_threshold(y_true: ArrayLike, y_score: ArrayLike) -> tuple[float, float]:
    """The threshold (a midpoint between distinct scores) that maximises F1 on this data, and that F1.

    Use on dev only; reporting the dev F1 at a dev-picked threshold is optimistic and cards say so.
    """
    t, s = _arrays(y_true, y_score)
    distinct = np.unique(s)
    if len(distinct) < 2:
        return 0.5, f1(t, s >= 0.5)
    candidates = np.r_[(distinct[:-1] + distinct[1:]) / 2.0, 0.5]
    scored = [(f1(t, s >= c), -abs(c - 0.5), float(c)) for c in candidates]
    best = max(scored)
    return best[2], best[0]
