"""The lake's span index: a write lists its folder once per partition, not once per batch, and replays
still never duplicate (real Parquet files in a real folder; the listing count is the index's own)."""

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from detectors.schema import ScoreRecord
from sidecar.lake import Lake, file_name
from sidecar.lake_index import SpanIndex

T = datetime(2026, 11, 1, 12, tzinfo=UTC)


def rec(offset: int, partition: int = 0) -> ScoreRecord:
    return ScoreRecord(
        conversation_id=f"c{offset}", turn=1, detector="d", score=0.2, flagged=False, threshold=0.5,
        detector_version="1", event_time=T, scored_at=T, source_topic="in", source_partition=partition,
        source_offset=offset,
    )


def write(lake: Lake, first: int, last: int, partition: int = 0) -> None:
    lake.write_scores([rec(o, partition) for o in range(first, last + 1)], "in", {partition: (first, last)})


def offsets(lake: Lake, partition: int = 0) -> list[int]:
    frame = pl.scan_parquet(lake.glob("scores"), hive_partitioning=False).collect()
    return sorted(frame.filter(pl.col("source_partition") == partition)["source_offset"].to_list())


def names(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "scores").rglob("*.parquet"))


def test_forward_writes_list_the_folder_once(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    for start in range(0, 1000, 10):
        write(lake, start, start + 9)
    assert lake.spans.listings == 1
    assert offsets(lake) == list(range(1000))
    assert len(names(tmp_path)) == 100


def test_replay_that_moves_back_lists_again_and_overwrites(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    for start in (0, 100, 200):
        write(lake, start, start + 99)
    write(lake, 0, 149)  # read again from an older commit, cut differently
    assert lake.spans.listings == 2
    assert offsets(lake) == list(range(0, 150)) + list(range(200, 300))
    write(lake, 150, 299)
    assert offsets(lake) == list(range(300))
    assert names(tmp_path) == [file_name("in", 0, 0, 149), file_name("in", 0, 150, 299)]


def test_a_file_written_by_another_member_is_replaced_after_an_assignment(tmp_path: Path) -> None:
    ours, theirs = Lake(tmp_path), Lake(tmp_path)
    write(ours, 0, 99)
    write(theirs, 100, 199)  # the partition was theirs for a while; their commit did not land
    ours.forget_partitions()  # it comes back to us: the worker calls this on every assignment
    write(ours, 100, 149)
    assert offsets(ours) == list(range(150))
    assert file_name("in", 0, 100, 199) not in names(tmp_path)


def test_without_forgetting_another_members_file_would_survive(tmp_path: Path) -> None:
    """The reason for `forget_partitions`: the index only sees this process's writes."""
    ours, theirs = Lake(tmp_path), Lake(tmp_path)
    write(ours, 0, 99)
    write(theirs, 100, 199)
    write(ours, 100, 149)
    assert file_name("in", 0, 100, 199) in names(tmp_path)


def test_partitions_are_independent(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    write(lake, 0, 9, partition=0)
    write(lake, 0, 9, partition=1)
    write(lake, 0, 4, partition=0)
    assert offsets(lake, 0) == list(range(5)) and offsets(lake, 1) == list(range(10))


def test_index_holds_about_one_file_per_partition_and_bounded_folders() -> None:
    index = SpanIndex(max_folders=3)
    for day in range(10):
        folder = ("scores", f"date={day}")
        index.load(folder, "in", 0, {})
        for start in range(0, 100, 10):
            assert index.overlapping(folder, "in", 0, (start, start + 9)) == []
            index.written(folder, "in", 0, f"f{start}", (start, start + 9), [])
    assert len(index._folders) == 3
    assert all(len(p.files) == 1 for parts in index._folders.values() for p in parts.values())
    assert index.overlapping(("scores", "date=0"), "in", 0, (0, 9)) is None  # evicted: list again
    assert index.overlapping(("scores", "date=9"), "in", 0, (50, 95)) is None  # moves back: list again
    assert index.overlapping(("scores", "date=9"), "in", 0, (95, 120)) == ["f90"]


def test_a_write_after_forget_does_not_trust_a_partial_entry() -> None:
    index = SpanIndex()
    folder = ("scores",)
    index.load(folder, "in", 0, {"old": (0, 9)})
    index.forget()
    index.written(folder, "in", 0, "new", (10, 19), [])
    assert index.overlapping(folder, "in", 0, (20, 29)) is None
