"""The lake cannot be written (a file where a folder must be: root ignores read-only modes, not
this): the worker pauses, commits nothing, holds only the batch in hand, and when the lake is
writable again it resumes and the lake ends complete, each conversation exactly once."""

import json
import shutil
import time

import pytest
from kafka import KafkaConsumer, TopicPartition

from benchmarks.soak import WorkerRun, lake_scores, produce
from tests.conftest import conversation
from tests.reliability.test_connection_faults import wait_for

DAY1, DAY2 = "2026-01-01T12:00:00Z", "2026-01-02T12:00:00Z"
N = 200


def committed(settings) -> int:
    """The group's committed offset on the input topic (read without joining the group)."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=settings.group_id,
                             enable_auto_commit=False)
    try:
        return consumer.committed(TopicPartition(settings.input_topic, 0)) or 0
    finally:
        consumer.close()


def values(start: int, stop: int, day: str) -> list[bytes]:
    return [json.dumps(conversation(i, timestamp=day)).encode() for i in range(start, stop)]


def block_date_partition(lake) -> None:
    (lake / "scores").mkdir(parents=True, exist_ok=True)
    (lake / "scores" / "date=2026-01-02").write_text("not a folder")


def unblock_date_partition(lake) -> None:
    (lake / "scores" / "date=2026-01-02").unlink()


def block_conversations_table(lake) -> None:
    (lake / "conversations").rename(lake / "conversations.aside")
    (lake / "conversations").write_text("not a folder")


def unblock_conversations_table(lake) -> None:
    (lake / "conversations").unlink()
    shutil.move(lake / "conversations.aside", lake / "conversations")


@pytest.mark.timeout(240)
@pytest.mark.parametrize(("block", "unblock"), [(block_date_partition, unblock_date_partition),
                                                (block_conversations_table, unblock_conversations_table)],
                         ids=["date-partition-is-a-file", "conversations-table-replaced-by-a-file"])
def test_unwritable_lake_pauses_without_commit_then_resumes_complete(settings_factory, tmp_path, block,
                                                                     unblock) -> None:
    settings = settings_factory(batch_max_size=50, sink_retry_backoff_ms=100, sink_retry_backoff_max_ms=400,
                                max_poll_interval_ms=60000)
    lake = settings.lake_path
    worker = WorkerRun(settings, tmp_path / "worker.log").start()
    worker.wait_ready()
    produce(settings.kafka_bootstrap_servers, settings.input_topic, values(0, N, DAY1))
    wait_for(lambda: lake_scores(lake)["conversation_id"].n_unique() == N, 60, "day 1 in the lake")
    wait_for(lambda: committed(settings) == N, 30, "day 1 committed")

    block(lake)
    produce(settings.kafka_bootstrap_servers, settings.input_topic, values(N, 2 * N, DAY2))
    wait_for(lambda: worker.metrics().get('sahaja_sink_failures_total{sink="lake"}', 0) >= 3, 60, "lake failures")
    paused = worker.metrics()
    rss_before = worker.memory_kb("VmRSS")
    time.sleep(4)
    still = worker.metrics()
    assert worker.alive, worker.log_tail()
    assert still["sahaja_consumer_paused"] == 1
    assert still["sahaja_messages_consumed_total"] == paused["sahaja_messages_consumed_total"], "kept polling"
    assert still['sahaja_sink_failures_total{sink="lake"}'] > paused['sahaja_sink_failures_total{sink="lake"}']
    assert committed(settings) == N, "committed past a batch the lake does not hold"
    assert (worker.memory_kb("VmRSS") - rss_before) / 1024 < 32, "memory grew while paused"

    unblock(lake)
    wait_for(lambda: lake_scores(lake)["conversation_id"].n_unique() == 2 * N, 60, "day 2 in the lake")
    wait_for(lambda: committed(settings) == 2 * N, 30, "day 2 committed")
    assert worker.metrics()["sahaja_consumer_paused"] == 0
    assert worker.terminate() == 0, worker.log_tail()
    scores = lake_scores(lake)
    assert scores.height == scores.unique().height == 2 * N
    convs = sorted((lake / "conversations").rglob("*.parquet"))
    assert {p.parent.name for p in convs} == {"date=2026-01-01", "date=2026-01-02"}
