"""Scaling the consumer group up and down mid-stream (what an autoscaler does): every partition has
one writer at a time, so the lake ends with every conversation exactly once.

The worker drains its sink stage and drops buffered records of revoked partitions on every
rebalance (`sidecar.worker`); this test checks the end result over three rebalances, it does not
force the narrow interleaving that two concurrent writers would need to lose a file.
"""

from __future__ import annotations

import time
import uuid

import pytest

from benchmarks.soak import WorkerRun, conversation_bytes, lake_scores, produce
from sidecar.broker import create_topics

PARTITIONS = 4


def scored_ids(settings) -> int:
    return lake_scores(settings.lake_path)["conversation_id"].n_unique()


def wait_until_more(settings, than: int, timeout_s: float, *workers: WorkerRun) -> int:
    deadline = time.monotonic() + timeout_s
    while (done := scored_ids(settings)) <= than:
        assert time.monotonic() < deadline, f"no progress past {than} in {timeout_s} s"
        for worker in workers:
            assert worker.alive, worker.log_tail()
        time.sleep(0.1)
    return done


@pytest.mark.timeout(300)
def test_scale_up_and_down_mid_stream_loses_and_duplicates_nothing(settings_factory, tmp_path) -> None:
    n = 6000
    topic = f"rebalance-{uuid.uuid4().hex[:8]}"
    bootstrap = settings_factory().kafka_bootstrap_servers
    create_topics(bootstrap, [topic], partitions=PARTITIONS)
    settings = settings_factory(input_topic=topic, batch_max_size=40, batch_max_wait_ms=50)
    produce(bootstrap, topic, [conversation_bytes(i) for i in range(n)])

    first = WorkerRun(settings, tmp_path / "first.log").start()
    first.wait_ready()
    done = wait_until_more(settings, 200, 60, first)
    second = WorkerRun(settings, tmp_path / "second.log").start()  # scale up: partitions move to it
    second.wait_ready()
    done = wait_until_more(settings, done + 300, 60, first, second)
    assert first.terminate() == 0, first.log_tail()  # scale down: its partitions move back
    done = wait_until_more(settings, done + 300, 60, second)
    third = WorkerRun(settings, tmp_path / "third.log").start()  # and up again
    third.wait_ready()
    deadline = time.monotonic() + 180
    while scored_ids(settings) < n:
        assert time.monotonic() < deadline, f"stream not finished: {scored_ids(settings)}/{n}"
        assert second.alive and third.alive, second.log_tail() + third.log_tail()
        time.sleep(0.2)
    assert second.terminate() == 0 and third.terminate() == 0
    scores = lake_scores(settings.lake_path)
    assert scores["conversation_id"].n_unique() == n
    assert scores.height == scores.unique().height == n, f"{scores.height - n} duplicated rows"
