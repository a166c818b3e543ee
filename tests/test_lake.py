from pathlib import Path

import polars as pl
import pytest

from sidecar.errors import LakeWriteError
from sidecar.lake import Lake, file_name
from tests.lake_records import rec


def rows(lake: Lake) -> list[int]:
    frame = pl.scan_parquet(lake.glob("scores"), hive_partitioning=False).collect()
    return sorted(frame["source_offset"].to_list())


def test_replay_with_other_batch_boundaries_never_duplicates(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    lake.write_scores([rec(o) for o in range(100, 200)], "in", {0: (100, 199)})
    # A crash before the commit: the batch is read again, cut differently.
    lake.write_scores([rec(o) for o in range(100, 150)], "in", {0: (100, 149)})
    assert rows(lake) == list(range(100, 150))  # the uncommitted tail is gone until re-read
    lake.write_scores([rec(o) for o in range(150, 200)], "in", {0: (150, 199)})
    assert rows(lake) == list(range(100, 200))
    files = sorted(p.name for p in (tmp_path / "scores").rglob("*.parquet"))
    assert files == [file_name("in", 0, 100, 149), file_name("in", 0, 150, 199)]


def test_other_partitions_and_detectors_are_untouched(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    lake.write_scores([rec(o) for o in range(0, 10)] + [rec(o, "e") for o in range(0, 10)], "in", {0: (0, 9)})
    other = [r.model_copy(update={"source_partition": 1}) for r in (rec(o) for o in range(0, 10))]
    lake.write_scores(other, "in", {1: (0, 9)})
    lake.write_scores([rec(o) for o in range(0, 5)], "in", {0: (0, 4)})
    frame = pl.scan_parquet(lake.glob("scores"), hive_partitioning=True).collect()
    got = sorted(frame.select("detector", "source_partition").rows())
    assert got.count(("d", 0)) == 5 and got.count(("e", 0)) == 10 and got.count(("d", 1)) == 10


def test_unwritable_lake_raises_a_typed_error(tmp_path: Path) -> None:
    blocker = tmp_path / "scores"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(LakeWriteError):
        Lake(tmp_path).write_scores([rec(1)], "in", {0: (1, 1)})
