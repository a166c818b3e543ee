"""`sahaja lake compact` on a real folder of real Parquet files: fewer files, the same rows, today's
folder untouched, an interrupted run repaired, the replay naming kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from detectors.schema import ScoreRecord
from sidecar.cli import main
from sidecar.compaction import compact_lake, day_folders
from sidecar.lake import Lake, file_name, parse_file_name

OLD = datetime(2026, 11, 1, 12, tzinfo=UTC)
TODAY = datetime.now(UTC)


def rec(offset: int, *, partition: int = 0, detector: str = "d", at: datetime = OLD) -> ScoreRecord:
    return ScoreRecord(
        conversation_id=f"c{partition}-{offset}", turn=1, detector=detector, score=0.2, flagged=False,
        threshold=0.5, detector_version="1", event_time=at, scored_at=at, source_topic="in",
        source_partition=partition, source_offset=offset,
    )


def fill(lake: Lake, batches: int, *, at: datetime = OLD, size: int = 10) -> None:
    for b in range(batches):
        first, last = b * size, (b + 1) * size - 1
        for partition in (0, 1):
            records = [rec(o, partition=partition, detector=d, at=at) for o in range(first, last + 1) for d in "de"]
            lake.write_scores(records, "in", {partition: (first, last)})


def files(root: Path, *parts: str) -> list[str]:
    return sorted(p.name for p in root.joinpath(*parts).rglob("*.parquet"))


def all_rows(lake: Lake) -> list[tuple]:
    frame = pl.scan_parquet(lake.glob("scores"), hive_partitioning=False).collect()
    return sorted(frame.select("conversation_id", "detector", "source_offset").rows())


def test_a_closed_day_becomes_one_file_per_partition_with_the_same_rows(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    fill(lake, 12)
    fill(lake, 3, at=TODAY)
    before_rows = all_rows(lake)
    today = f"date={TODAY.date().isoformat()}"
    today_files = files(tmp_path, "scores", today)
    assert len(files(tmp_path, "scores", "date=2026-11-01")) == 2 * 2 * 12

    results = compact_lake(lake, TODAY.date())
    assert {r.folder for r in results} == {"scores/date=2026-11-01/detector=d", "scores/date=2026-11-01/detector=e"}
    old = files(tmp_path, "scores", "date=2026-11-01", "detector=d")
    assert old == ["in+0+00000000000000000000+00000000000000000119.parquet",
                   "in+1+00000000000000000000+00000000000000000119.parquet"]
    assert all_rows(lake) == before_rows
    assert files(tmp_path, "scores", today) == today_files
    offsets = pl.read_parquet(tmp_path / "scores" / "date=2026-11-01" / "detector=d" / old[0])["source_offset"]
    assert offsets.to_list() == list(range(120))  # sorted by offset


def test_runs_are_capped_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    fill(lake, 10)
    compact_lake(lake, TODAY.date(), max_rows=45)  # 10 rows per file: runs of 4 files
    names = files(tmp_path, "scores", "date=2026-11-01", "detector=d")
    spans = sorted((f.partition, f.first, f.last) for f in map(parse_file_name, names))
    assert spans == [(p, a, b) for p in (0, 1) for a, b in ((0, 39), (40, 79), (80, 99))]
    rows = all_rows(lake)
    again = compact_lake(lake, TODAY.date(), max_rows=45)
    assert all(r.rows == 0 and r.files_before == r.files_after for r in again)
    assert all_rows(lake) == rows


def test_an_interrupted_compaction_is_repaired_without_duplicates(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    fill(lake, 5)
    rows = all_rows(lake)
    folder = ("scores", "date=2026-11-01", "detector=d")
    merged = pl.concat([lake.fs.read_parquet(*folder, n) for n in lake.fs.list_names(*folder) if "in+0+" in n])
    lake.fs.write_parquet(merged, *folder, "in+0+00000000000000000000+00000000000000000049.parquet")
    assert len(all_rows(lake)) > len(rows)  # the crash left both the merged file and its inputs
    compact_lake(lake, TODAY.date())
    assert all_rows(lake) == rows
    assert len(files(tmp_path, *folder)) == 2


def test_dry_run_writes_nothing_and_the_cli_reports(tmp_path: Path, capsys) -> None:
    lake = Lake(tmp_path)
    fill(lake, 4)
    before = files(tmp_path, "scores")
    assert main(["--lake", str(tmp_path), "lake", "compact", "--dry-run"]) == 0
    assert files(tmp_path, "scores") == before
    out = capsys.readouterr().out
    assert "scores/date=2026-11-01/detector=d: 8 -> 2 files" in out and "would leave 4 of 16 files" in out
    assert main(["--lake", str(tmp_path), "lake", "compact"]) == 0
    assert len(files(tmp_path, "scores")) == 4


def test_recent_days_and_foreign_folders_are_left_alone(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    fill(lake, 2, at=TODAY - timedelta(days=1))
    (tmp_path / "scores" / "date=not-a-date").mkdir(parents=True)
    keep_from = TODAY.date() - timedelta(days=1)
    assert day_folders(lake, keep_from) == []
    assert [f[1] for f in day_folders(lake, TODAY.date())] == [f"date={keep_from.isoformat()}"] * 2
    assert day_folders(lake, date(2000, 1, 1)) == []


def test_a_replay_into_a_compacted_range_keeps_the_committed_rows(tmp_path: Path) -> None:
    """A compacted file spans committed offsets and, if the worker was down, an uncommitted tail: the
    replay from the committed offset replaces offsets from there on, not the whole merged file."""
    lake = Lake(tmp_path)
    fill(lake, 10)  # offsets 0..99 per partition; say 0..69 were committed and 70..99 were not
    compact_lake(lake, TODAY.date())
    restarted = Lake(tmp_path)  # a new worker process reads again from offset 70
    for first in (70, 85):
        records = [rec(o, detector=d) for o in range(first, first + 15) for d in "de"]
        restarted.write_scores(records, "in", {0: (first, first + 14)})
    frame = pl.scan_parquet(lake.glob("scores"), hive_partitioning=False).collect()
    part0 = frame.filter(pl.col("source_partition") == 0)
    assert sorted(part0.filter(pl.col("detector") == "d")["source_offset"].to_list()) == list(range(100))
    assert part0.height == 200 and part0.unique(["source_offset", "detector"]).height == 200
    assert files(tmp_path, "scores", "date=2026-11-01", "detector=d") == [
        "in+0+00000000000000000000+00000000000000000069.parquet",
        "in+0+00000000000000000070+00000000000000000084.parquet",
        "in+0+00000000000000000085+00000000000000000099.parquet",
        "in+1+00000000000000000000+00000000000000000099.parquet",
    ]


def test_a_damaged_file_stops_compaction_with_a_one_line_error_and_nothing_removed(tmp_path: Path, capsys) -> None:
    lake = Lake(tmp_path)
    fill(lake, 3)
    folder = tmp_path / "scores" / "date=2026-11-01" / "detector=d"
    broken = folder / "in+0+00000000000000000030+00000000000000000039.parquet"
    broken.write_bytes(b"not parquet")  # a damaged file: compaction must stop, not merge around it
    before = files(tmp_path, "scores")
    assert main(["--lake", str(tmp_path), "lake", "compact"]) == 1
    assert "compaction stopped" in capsys.readouterr().err
    assert files(tmp_path, "scores") == before  # it stopped before the first merge


def test_a_replay_over_a_damaged_merged_file_is_a_lake_error_not_a_crash(tmp_path: Path) -> None:
    """The worker retries a LakeWriteError without committing; any other exception would end it."""
    from sidecar.errors import LakeWriteError

    lake = Lake(tmp_path)
    fill(lake, 4)
    compact_lake(lake, TODAY.date())
    merged = tmp_path / "scores" / "date=2026-11-01" / "detector=d" / file_name("in", 0, 0, 39)
    merged.write_bytes(b"damaged")
    with pytest.raises(LakeWriteError, match="cannot replace files"):
        Lake(tmp_path).write_scores([rec(o) for o in range(30, 40)], "in", {0: (30, 39)})
    assert merged.exists()


def test_readers_skip_inputs_a_merged_file_already_covers(tmp_path: Path) -> None:
    """The moment between a merged file landing and its inputs being deleted (or an interrupted run):
    every reader (Lake.scan, the dashboard's scan, the feedback store's) sees each row once."""
    from dashboard.lake import scan_scores
    from feedback.lake_files import covered_paths

    lake = Lake(tmp_path)
    fill(lake, 4)
    folder = tmp_path / "scores" / "date=2026-11-01" / "detector=d"
    inputs = {p.name: p.read_bytes() for p in folder.glob("in+0+*.parquet")}
    compact_lake(lake, TODAY.date())
    for name, data in inputs.items():  # put the inputs back beside the merged file
        (folder / name).write_bytes(data)
    assert len(files(tmp_path, "scores", "date=2026-11-01", "detector=d")) == 1 + 1 + 4
    raw = pl.scan_parquet(lake.glob("scores"), hive_partitioning=False).collect()
    assert raw.height == 2 * 2 * 40 + 40  # the four inputs' rows are on disk twice
    for reader in (lambda: lake.scan("scores"), lambda: scan_scores(tmp_path)):
        frame = reader().collect()
        assert frame.height == 2 * 2 * 40
        assert frame.select("conversation_id", "detector").n_unique() == frame.height
    prefix = "scores/date=2026-11-01/detector=d/"
    names = [prefix + n for n in files(tmp_path, "scores", "date=2026-11-01", "detector=d")]
    assert covered_paths(names) == {prefix + n for n in inputs}


def test_covered_paths_judge_per_folder_and_partition() -> None:
    from feedback.lake_files import covered_paths

    paths = [
        "scores/d=1/" + file_name("in", 0, 0, 99),
        "scores/d=1/" + file_name("in", 0, 10, 19),  # inside 0-99: covered
        "scores/d=1/" + file_name("in", 0, 90, 149),  # overlaps but reaches past: a replay's business, kept
        "scores/d=1/" + file_name("in", 1, 10, 19),  # another partition
        "scores/d=2/" + file_name("in", 0, 10, 19),  # another folder
        "scores/d=1/" + file_name("other", 0, 10, 19),  # another topic
        "scores/d=1/notes.parquet",  # not a ranged file
    ]
    assert covered_paths(paths) == {"scores/d=1/" + file_name("in", 0, 10, 19)}


def test_every_table_skips_covered_files_and_never_other_names(tmp_path: Path) -> None:
    """Compaction also merges `labels`; a table of other names (candidates, drift) is read whole."""
    from feedback.lakefs import LakeFS

    fs = LakeFS.from_location(tmp_path)
    merged = pl.DataFrame({"source_offset": list(range(10))})
    fs.write_parquet(merged, "labels", "date=2026-11-01", file_name("in", 0, 0, 9))
    fs.write_parquet(merged.head(5), "labels", "date=2026-11-01", file_name("in", 0, 0, 4))  # an input left over
    fs.write_parquet(merged.head(3), "drift", "date=2026-11-01", "window-a.parquet")
    fs.write_parquet(merged.head(3), "drift", "date=2026-11-01", "window-b.parquet")
    assert fs.scan("labels").collect().height == 10
    assert fs.scan("drift").collect().height == 6
