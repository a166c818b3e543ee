"""kill -9 mid-stream, restart: nothing missing, nothing duplicated. SIGTERM: finish, commit, exit 0."""

import time
from pathlib import Path

import polars as pl

from sidecar.lake import Lake
from tests.conftest import conversation
from tests.kafka_helpers import produce_json
from tests.worker_process import WorkerProcess


def lake_scores(path: Path) -> pl.DataFrame:
    files = list((path / "scores").rglob("*.parquet"))
    if not files:
        return pl.DataFrame(schema={"conversation_id": pl.String, "turn": pl.Int32, "detector": pl.String})
    return pl.scan_parquet(Lake(path).glob("scores"), hive_partitioning=False).collect()


def wait_for(predicate, timeout_s: float = 90.0, every_s: float = 0.05) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(every_s)


def test_kill_dash_nine_then_restart_loses_and_duplicates_nothing(settings_factory) -> None:
    settings = settings_factory(batch_max_size=25, batch_max_wait_ms=50)
    n = 3000
    produce_json(settings.kafka_bootstrap_servers, settings.input_topic, [conversation(i) for i in range(n)])
    kills = 0
    for _ in range(3):
        worker = WorkerProcess(settings).start()
        before = lake_scores(settings.lake_path).height
        wait_for(lambda b=before: lake_scores(settings.lake_path).height > b + 50)
        worker.kill9()
        kills += 1
        if lake_scores(settings.lake_path).height >= n:
            break
    assert lake_scores(settings.lake_path).height < n, "the stream finished before a kill landed mid-stream"

    final = WorkerProcess(settings).start()
    wait_for(lambda: lake_scores(settings.lake_path)["conversation_id"].n_unique() == n, timeout_s=120)
    assert final.terminate() == 0, final.stderr()

    scores = lake_scores(settings.lake_path)
    assert kills >= 1
    assert scores.height == n, f"{scores.height - n} duplicated rows"
    assert scores.select("conversation_id", "turn", "detector").unique().height == n
    assert set(scores["conversation_id"]) == {f"conv-{i:06d}" for i in range(n)}


def test_sigterm_finishes_the_batch_in_hand_commits_and_exits_zero(settings_factory) -> None:
    settings = settings_factory(batch_max_size=10_000, batch_max_wait_ms=4000)
    worker = WorkerProcess(settings).start()
    worker.wait_ready()
    produce_json(settings.kafka_bootstrap_servers, settings.input_topic, [conversation(i) for i in range(30)])
    time.sleep(1.0)  # the records are polled and held; the 4 s batch wait has not passed
    assert lake_scores(settings.lake_path).height == 0
    assert worker.terminate() == 0, worker.stderr()
    assert lake_scores(settings.lake_path).height == 30
    # Committed: a new member of the group has nothing to read.
    again = WorkerProcess(settings).start()
    again.wait_ready()
    time.sleep(1.0)
    assert again.terminate() == 0
    assert lake_scores(settings.lake_path).height == 30
