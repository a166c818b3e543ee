"""`sahaja lake compact`: merge a closed day's small lake files into few large ones.

The worker writes one file per batch and source partition, which keeps replays exact but leaves the
readers (dashboard, export, training jobs) opening tens of thousands of small files per day. Compaction
rewrites each folder of a closed day (older than `keep_days`: late events for recent days still arrive)
as runs of consecutive files per source partition of at most `max_rows` rows together (memory stays
bounded; a second run finds nothing left to merge), each named by the offset range it covers, so the
replay rule still holds: a replay replaces offsets from its first one on and keeps a merged file's
earlier (committed) rows (`sidecar.lake`).

Crash-safe and repeatable: a run's merged file lands first (atomically), then its inputs are deleted. A
file whose range lies inside another file's range of the same partition is what an interrupted run left
behind, and it is deleted without being merged again. Between a merged file landing and its inputs
going, readers skip the inputs by the same rule (`feedback.lake_files.covered_paths`, applied by every
`LakeFS.scan` of every table), so no row is read twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import polars as pl

from feedback.lake_files import RangedFile, file_name, parse_file_name, split_covered
from sidecar.errors import LakeWriteError
from sidecar.lake import Lake

COMPACTED_TABLES = ("scores", "conversations", "labels")
DEFAULT_MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class FolderCompaction:
    folder: str
    files_before: int
    files_after: int
    rows: int


def _by_partition(names: list[str]) -> dict[tuple[str, int], list[RangedFile]]:
    by_partition: dict[tuple[str, int], list[RangedFile]] = defaultdict(list)
    for f in filter(None, map(parse_file_name, names)):
        by_partition[(f.topic, f.partition)].append(f)
    return by_partition  # split_covered orders each partition's files


def _runs(files: list[RangedFile], rows: list[int], max_rows: int) -> list[tuple[list[RangedFile], int]]:
    """Consecutive files, greedily grouped while their rows fit in `max_rows`; each with its row count."""
    runs: list[tuple[list[RangedFile], int]] = []
    for f, n in zip(files, rows, strict=True):
        if not runs or runs[-1][1] + n > max_rows:
            runs.append(([], 0))
        run, total = runs[-1]
        run.append(f)
        runs[-1] = (run, total + n)
    return runs


def compact_folder(lake: Lake, folder: tuple[str, ...], *, max_rows: int = DEFAULT_MAX_ROWS,
                   dry_run: bool = False) -> FolderCompaction:
    """Merge one folder's files per source partition into runs of at most `max_rows` rows. Row counts
    come from the Parquet footers, so a dry run reads no data."""
    fs = lake.fs
    names = fs.list_names(*folder)
    after, rows = 0, 0
    try:
        for (topic, partition), files in sorted(_by_partition(names).items()):
            kept, leftovers = split_covered(files)
            for run, n_rows in _runs(kept, [fs.parquet_rows(*folder, f.name) for f in kept], max_rows):
                after += 1
                if len(run) == 1:
                    continue
                rows += n_rows
                if dry_run:
                    continue
                # Kept files neither nest nor go back, so the run ends where its last file ends.
                merged = file_name(topic, partition, run[0].first, run[-1].last)
                frame = pl.concat([fs.read_parquet(*folder, f.name) for f in run], how="vertical_relaxed")
                fs.write_parquet(frame.sort("source_offset"), *folder, merged)
                for f in run:
                    if f.name != merged:
                        fs.delete(*folder, f.name)
            if not dry_run:
                for f in leftovers:
                    fs.delete(*folder, f.name)
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:  # ValueError: pyarrow's ArrowInvalid
        raise LakeWriteError(f"cannot compact {fs.url(*folder)}: {exc}") from exc
    return FolderCompaction("/".join(folder), len(names), after, rows)


def day_folders(lake: Lake, before: date) -> list[tuple[str, ...]]:
    """Every `table/date=D[/detector=X]` folder of the compacted tables with D before `before`."""
    folders: list[tuple[str, ...]] = []
    for table in COMPACTED_TABLES:
        for day in lake.fs.list_folders(table):
            try:
                closed = day.startswith("date=") and date.fromisoformat(day[5:]) < before
            except ValueError:  # not a folder the worker writes
                closed = False
            if not closed:
                continue
            subfolders = lake.fs.list_folders(table, day)
            folders += [(table, day, sub) for sub in subfolders] if subfolders else [(table, day)]
    return folders


def compact_lake(lake: Lake, before: date, *, max_rows: int = DEFAULT_MAX_ROWS,
                 dry_run: bool = False) -> list[FolderCompaction]:
    return [compact_folder(lake, folder, max_rows=max_rows, dry_run=dry_run) for folder in day_folders(lake, before)]
