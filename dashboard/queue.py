"""Which candidate a reviewer sees next: by priority, or from the random audit slice.

The audit slice is what makes precision measurable without bias. Every candidate gets a fixed
uniform number from a seeded hash of its id (`audit_key`), independent of its score or of who
reviewed it. Per detector, the audit queue offers pending candidates in that order; the
candidates before the first pending one in that order (however they came to be decided) are a
simple random sample of the detector's flags, and their accept share estimates its precision.
An accept or an edit counts as a true flag; a reject says the flag was wrong.
"""

from __future__ import annotations

import hashlib

import polars as pl


def audit_key(candidate_id: str, seed: int) -> float:
    """A uniform number in [0, 1) fixed by (seed, candidate id)."""
    digest = hashlib.sha256(f"{seed}\x1f{candidate_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def with_audit_key(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    keys = [audit_key(c, seed) for c in frame["candidate_id"].to_list()]
    return frame.with_columns(pl.Series("audit_u", keys, pl.Float64))


def priority_queue(frame: pl.DataFrame) -> pl.DataFrame:
    """Pending candidates, most repeated and most confidently flagged first."""
    margin = (pl.col("score") - pl.col("threshold")).alias("margin")
    return (
        frame.filter(pl.col("status") == "pending")
        .with_columns(margin)
        .sort(["duplicate_count", "margin", "created_at", "candidate_id"], descending=[True, True, False, False])
    )


def audit_queue(frame: pl.DataFrame, per_detector: int) -> pl.DataFrame:
    """The next `per_detector` pending candidates of each detector in audit order, detectors interleaved."""
    return (
        frame.filter(pl.col("status") == "pending")
        .sort(["detector", "audit_u"])
        .with_columns(pl.int_range(pl.len()).over("detector").alias("audit_rank"))
        .filter(pl.col("audit_rank") < per_detector)
        .sort(["audit_rank", "detector"])
    )


def audited_precision(frame: pl.DataFrame) -> pl.DataFrame:
    """Per detector: the decided prefix of the audit order (`audited`) and its accepts (`true_flags`)."""
    schema = {"detector": pl.String, "audited": pl.UInt32, "true_flags": pl.UInt32}
    if frame.is_empty():
        return pl.DataFrame(schema=schema)
    return (
        frame.sort(["detector", "audit_u"])
        .with_columns((pl.col("status") == "pending").cum_sum().over("detector").alias("gap"))
        .filter(pl.col("gap") == 0)
        .group_by("detector")
        .agg(pl.len().alias("audited"), (pl.col("status") == "accepted").cast(pl.UInt32).sum().alias("true_flags"))
        .sort("detector")
        .cast(schema)  # type: ignore[arg-type]
    )
