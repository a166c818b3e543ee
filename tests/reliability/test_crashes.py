"""kill -9 at random moments while a stream with hostile inputs is consumed: nothing lost, nothing
duplicated in the lake, and the dead-letter topic names exactly the poison records."""

import os
import random

import polars as pl
import pytest

from benchmarks.soak import build_stream, corpus_poison, crash_scenario
from sidecar.lake import Lake

CI_STREAM = 6000  # large enough that three kills land mid-stream on an idle machine too
CI_KILLS = 3


@pytest.mark.timeout(400)
def test_random_kill9s_lose_nothing_and_duplicate_nothing(settings_factory, tmp_path) -> None:
    seed = int(os.environ.get("SAHAJA_TEST_SEED", random.randrange(1 << 16)))
    print(f"seed={seed} (set SAHAJA_TEST_SEED to replay)")
    settings = settings_factory(batch_max_size=25, batch_max_wait_ms=50)
    stream = build_stream(CI_STREAM, corpus_poison(settings), seed=seed)
    assert len(stream.poison_offsets) >= 25

    result = crash_scenario(settings, stream, CI_KILLS, tmp_path / "logs", seed=seed, max_delay_s=0.3)

    assert result.kills_mid_stream >= CI_KILLS, "a kill landed after the stream was already done"
    assert result.lost == 0
    assert result.duplicated_rows == 0
    assert result.dlq_missing == 0 and result.dlq_unexpected == 0
    # The conversations table is exactly-once too, and its rows agree with the scores table.
    convs = pl.scan_parquet(Lake(settings.lake_path).glob("conversations"), hive_partitioning=False).collect()
    assert convs.height == convs["conversation_id"].n_unique() == len(stream.valid_ids)
    assert set(convs["conversation_id"]) == stream.valid_ids
