"""Where the dashboard reads: lazy scans of the lake's tables and a cheap "has it changed" stamp.

The lake is a local folder or an object-store URL (`s3://bucket/prefix`); `feedback.lakefs.LakeFS`
hides which. On a folder the stamp is the newest modification time of any folder under the tables
(every file is renamed into its folder, which updates that folder's mtime, so stat-ing a few hundred
folders notices new data without listing every file). An object store has no folder mtimes, so
there the stamp lists the tables' objects (see `ObjectStoreLakeFS.stamp`).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from feedback.lakefs import LakeFS
from feedback.store import scan_table

TABLES = ("scores", "conversations", "labels", "drift", "candidates", "reviews", "batches")


def lake_stamp(lake: Path | str | LakeFS, tables: tuple[str, ...] = TABLES) -> float:
    """A number that changes when a file lands in one of `tables` (0.0 for an empty lake)."""
    return LakeFS.from_location(lake).stamp(tables)


def scan(lake: Path | str | LakeFS, table: str) -> pl.LazyFrame | None:
    """Hive-partitioned lazy scan of a table (the `date` partition column dropped), or None if empty."""
    return scan_table(LakeFS.from_location(lake), table)


def scan_scores(lake: Path | str | LakeFS, detectors: list[str] | None = None) -> pl.LazyFrame | None:
    """The scores table, filtered to `detectors` (the filter prunes `detector=` folders unread)."""
    frame = scan(lake, "scores")
    if frame is None:
        return None
    return frame if detectors is None else frame.filter(pl.col("detector").is_in(detectors))
