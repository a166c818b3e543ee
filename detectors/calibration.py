"""Calibration aggregates for the dashboard: reliability table, ECE and Brier with bootstrap intervals.

Pure functions over arrays and polars frames of `miscalibration` score records (the lake's `scores`
table: `model_version`, `event_time`, `details` JSON). Confidence is the record's
`expressed_confidence`; the outcome is its `p_correct`. By default only rows whose p_correct came
from a label count (`p_correct_source == "label"`): a calibration curve against the model's own
guess of correctness would measure the guess, not the model. `include_model=True` uses the
correctness head's probability as a soft outcome, clearly a weaker view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from detectors.evaluation.metrics import bin_index, bootstrap_ci, brier, ece

__all__ = [
    "brier",
    "calibration_by_group",
    "calibration_table",
    "ece",
    "miscalibration_frame",
    "reliability_by_group",
    "summary",
]

TABLE_SCHEMA: dict[str, Any] = {
    "bin": pl.Int64,
    "lower": pl.Float64,
    "upper": pl.Float64,
    "n": pl.Int64,
    "mean_confidence": pl.Float64,
    "accuracy": pl.Float64,
    "gap": pl.Float64,
}


def calibration_table(
    confidence: Sequence[float] | np.ndarray, correct: Sequence[float] | np.ndarray, n_bins: int = 10
) -> pl.DataFrame:
    """Reliability table: one row per non-empty equal-width bin (n, mean confidence, accuracy, gap)."""
    c = np.asarray(confidence, dtype=np.float64).ravel()
    y = np.asarray(correct, dtype=np.float64).ravel()
    if c.shape != y.shape:
        raise ValueError("confidence and correct differ in length")
    bins = bin_index(c, n_bins)
    rows = []
    for b in np.unique(bins):
        m = bins == b
        mean_c, acc = float(c[m].mean()), float(y[m].mean())
        rows.append((int(b), b / n_bins, (b + 1) / n_bins, int(m.sum()), mean_c, acc, mean_c - acc))
    return pl.DataFrame(rows, schema=TABLE_SCHEMA, orient="row")


def summary(
    confidence: Sequence[float] | np.ndarray,
    correct: Sequence[float] | np.ndarray,
    *,
    n_bins: int = 10,
    n_boot: int = 500,
    seed: int = 0,
) -> dict[str, float]:
    """n, ECE and Brier with seeded percentile bootstrap intervals (95%)."""
    c = np.asarray(confidence, dtype=np.float64)
    y = np.asarray(correct, dtype=np.float64)
    ece_lo, ece_hi = bootstrap_ci(lambda a, b: ece(a, b, n_bins), y, c, n_boot=n_boot, seed=seed)
    br_lo, br_hi = bootstrap_ci(brier, y, c, n_boot=n_boot, seed=seed)
    return {
        "n": float(len(c)),
        "ece": ece(y, c, n_bins),
        "ece_lo": ece_lo,
        "ece_hi": ece_hi,
        "brier": brier(y, c),
        "brier_lo": br_lo,
        "brier_hi": br_hi,
        "mean_confidence": float(c.mean()) if len(c) else float("nan"),
        "accuracy": float(y.mean()) if len(y) else float("nan"),
    }


def miscalibration_frame(scores: pl.DataFrame, include_model: bool = False) -> pl.DataFrame:
    """`miscalibration` records with `confidence` and `correct` parsed out of `details`.

    Columns kept: conversation_id, turn, model, model_version, event_time, confidence, correct, source.
    Rows without both numbers (no claim, no question) are dropped.
    """
    if scores.is_empty():
        return pl.DataFrame(
            schema={"model_version": pl.Utf8, "event_time": pl.Datetime("us", "UTC"),
                    "confidence": pl.Float64, "correct": pl.Float64, "source": pl.Utf8}
        )
    frame = scores
    if "detector" in frame.columns:
        frame = frame.filter(pl.col("detector") == "miscalibration")
    details = pl.col("details")
    parsed = frame.with_columns(
        details.str.json_path_match("$.expressed_confidence").cast(pl.Float64, strict=False).alias("confidence"),
        details.str.json_path_match("$.p_correct").cast(pl.Float64, strict=False).alias("correct"),
        details.str.json_path_match("$.p_correct_source").alias("source"),
    )
    sources = ["label", "model"] if include_model else ["label"]
    keep = [c for c in ("conversation_id", "turn", "model", "model_version", "event_time") if c in parsed.columns]
    return parsed.filter(
        pl.col("confidence").is_not_null() & pl.col("correct").is_not_null() & pl.col("source").is_in(sources)
    ).select([*keep, "confidence", "correct", "source"])


def calibration_by_group(
    scores: pl.DataFrame,
    *,
    window: str = "1d",
    n_bins: int = 10,
    n_boot: int = 500,
    seed: int = 0,
    include_model: bool = False,
) -> pl.DataFrame:
    """One row per (model_version, window start): n, ECE, Brier and their intervals, sorted by time.

    `window` is a polars duration ("1h", "1d", "1w"); windows start at `dt.truncate` boundaries (epoch-aligned).
    """
    frame = miscalibration_frame(scores, include_model)
    out_schema: dict[str, Any] = {"model_version": pl.Utf8, "window_start": pl.Datetime("us", "UTC"),
                  **dict.fromkeys(("n", "ece", "ece_lo", "ece_hi", "brier", "brier_lo", "brier_hi",
                                   "mean_confidence", "accuracy"), pl.Float64)}
    if frame.is_empty():
        return pl.DataFrame(schema=out_schema)
    frame = frame.with_columns(
        pl.col("model_version").fill_null("unknown").cast(pl.Utf8),
        pl.col("event_time").dt.truncate(window).alias("window_start"),
    )
    rows = []
    for (version, start), group in frame.group_by(["model_version", "window_start"], maintain_order=True):
        stats = summary(group["confidence"].to_numpy(), group["correct"].to_numpy(),
                        n_bins=n_bins, n_boot=n_boot, seed=seed)
        rows.append({"model_version": version, "window_start": start, **stats})
    result = pl.DataFrame(rows)
    return result.with_columns(pl.col("window_start").cast(out_schema["window_start"])).select(
        list(out_schema)
    ).sort(["window_start", "model_version"])


def reliability_by_group(
    scores: pl.DataFrame, *, window: str = "1d", n_bins: int = 10, include_model: bool = False
) -> pl.DataFrame:
    """The reliability table of every (model_version, window), stacked: the dashboard's curve data."""
    frame = miscalibration_frame(scores, include_model)
    schema: dict[str, Any] = {"model_version": pl.Utf8, "window_start": pl.Datetime("us", "UTC"), **TABLE_SCHEMA}
    if frame.is_empty():
        return pl.DataFrame(schema=schema)
    frame = frame.with_columns(
        pl.col("model_version").fill_null("unknown").cast(pl.Utf8),
        pl.col("event_time").dt.truncate(window).alias("window_start"),
    )
    parts = [
        calibration_table(g["confidence"].to_numpy(), g["correct"].to_numpy(), n_bins).with_columns(
            pl.lit(version).alias("model_version"), pl.lit(start).cast(schema["window_start"]).alias("window_start")
        )
        for (version, start), g in frame.group_by(["model_version", "window_start"], maintain_order=True)
    ]
    return pl.concat(parts).select(list(schema)).sort(["window_start", "model_version", "bin"])
