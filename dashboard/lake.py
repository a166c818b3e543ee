"""Where the dashboard reads: lazy scans of the lake's tables and a cheap "has it changed" stamp.

The stamp is the newest modification time of any folder under the tables the dashboard reads.
The writers put every file in place by renaming it into its folder, which updates that folder's
mtime, so stat-ing folders (a few hundred) notices new data without listing every file.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

TABLES = ("scores", "conversations", "labels", "drift", "candidates", "reviews", "batches")


def lake_stamp(lake: Path | str, tables: tuple[str, ...] = TABLES) -> float:
    """Newest mtime among the tables' folders (0.0 for an empty lake)."""
    newest = 0.0
    stack = [Path(lake) / t for t in tables]
    while stack:
        folder = stack.pop()
        try:
            newest = max(newest, folder.stat().st_mtime)
            with os.scandir(folder) as entries:
                stack.extend(Path(e.path) for e in entries if e.is_dir(follow_symlinks=False))
        except OSError:
            continue
    return newest


def has_files(lake: Path | str, table: str) -> bool:
    root = Path(lake) / table
    return root.is_dir() and next(root.glob("**/*.parquet"), None) is not None


def scan(lake: Path | str, table: str) -> pl.LazyFrame | None:
    """Hive-partitioned lazy scan of a table (the `date` partition column dropped), or None if empty."""
    if not has_files(lake, table):
        return None
    frame = pl.scan_parquet(str(Path(lake) / table / "**" / "*.parquet"), hive_partitioning=True)
    return frame.drop("date", strict=False)


def scan_scores(lake: Path | str, detectors: list[str] | None = None) -> pl.LazyFrame | None:
    """The scores table, filtered to `detectors` (the filter prunes `detector=` folders unread)."""
    frame = scan(lake, "scores")
    if frame is None:
        return None
    return frame if detectors is None else frame.filter(pl.col("detector").is_in(detectors))
