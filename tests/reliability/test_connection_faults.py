"""The broker goes away (a proxy in front of it stops) or drops every connection mid-stream: the
worker stays up, reports not-ready while it cannot reach the broker, reconnects with backoff, and
the lake ends with every conversation exactly once."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.soak import WorkerRun, conversation_bytes, lake_scores, produce
from sidecar.broker import create_topics
from sidecar.settings import Settings
from tests.reliability.brokers import ProxiedBroker


@pytest.fixture
def proxied() -> Iterator[ProxiedBroker]:
    with ProxiedBroker() as broker:
        yield broker


def proxied_settings(broker: ProxiedBroker, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "kafka_bootstrap_servers": broker.bootstrap, "input_topic": "in", "labels_topic": "labels",
        "scores_topic": "scores", "dlq_topic": "dlq", "group_id": "g", "lake_path": tmp_path / "lake",
        "session_timeout_ms": 6000, "heartbeat_interval_ms": 500, "max_poll_interval_ms": 30000,
        "request_timeout_ms": 5000, "reconnect_backoff_max_ms": 1000, "sink_retry_backoff_ms": 200,
        "sink_retry_backoff_max_ms": 1000, "batch_max_size": 50, "batch_max_wait_ms": 50,
        "detectors": ("wrapper_lexicon",),
    }
    values.update(overrides)
    settings = Settings(**values)
    create_topics(broker.bootstrap, ["in", "labels", "scores", "dlq"])
    return settings


def wait_for(predicate, timeout_s: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout_s, f"{what}: not within {timeout_s} s"
        time.sleep(0.1)
    return time.monotonic() - started


def status(worker: WorkerRun, path: str) -> int | None:
    response = worker.get(path)
    return None if response is None else response.status_code


def stay_unready(worker: WorkerRun, seconds: float) -> None:
    """The worker stays up, alive (no restart loop) and not ready for `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        assert worker.alive, worker.log_tail()
        assert status(worker, "/healthz") == 200, f"liveness failed after {time.monotonic() - started:.1f} s"
        ready = worker.get("/readyz")
        assert ready is not None and ready.status_code == 503
        assert ready.json()["connected"] is False and ready.json()["models_loaded"] is True
        assert worker.metrics().get("sahaja_ready") == 0
        time.sleep(0.5)


def scored_ids(settings: Settings) -> int:
    return lake_scores(settings.lake_path)["conversation_id"].n_unique()


@pytest.mark.timeout(240)
def test_broker_outage_turns_readiness_off_then_on_and_loses_nothing(proxied, tmp_path) -> None:
    settings = proxied_settings(proxied, tmp_path)
    worker = WorkerRun(settings, tmp_path / "worker.log").start()
    worker.wait_ready()
    produce(proxied.bootstrap, "in", [conversation_bytes(i) for i in range(300)])
    wait_for(lambda: scored_ids(settings) == 300, 60, "first half scored")

    proxied.proxy.stop()
    unready_after = wait_for(lambda: status(worker, "/readyz") == 503, 30, "readiness off during the outage")
    stay_unready(worker, 4)
    # The broker's port answers again, but every connection is cut at once: count the retries.
    proxied.proxy.refusing = True
    proxied.proxy.start()
    stay_unready(worker, 8)
    retries_per_s = proxied.proxy.refused / 8
    # Not a hot loop (that would be thousands a second). kafka-python resets its backoff once TCP
    # connects, even when the handshake then fails, so a half-up broker sees tens of tries a second
    # over the consumer's and the producer's few connections, not one a second.
    # Each client retries its broker about once per reconnect_backoff_max_ms (1 s here, +-20% jitter):
    # single digits a second, not the hot loop unpatched kafka-python falls into (sidecar.kafka_backoff).
    assert 0 < retries_per_s <= 10, f"{retries_per_s:.1f} reconnects/s against a half-up broker"
    proxied.proxy.refusing = False
    ready_after = wait_for(lambda: status(worker, "/readyz") == 200, 60, "readiness back after the outage")
    assert worker.metrics().get("sahaja_ready") == 1
    produce(proxied.bootstrap, "in", [conversation_bytes(i) for i in range(300, 600)])
    wait_for(lambda: scored_ids(settings) == 600, 90, "second half scored")
    assert worker.terminate() == 0, worker.log_tail()
    scores = lake_scores(settings.lake_path)
    assert scores.height == scores.unique().height == 600
    print(f"readiness off {unready_after:.1f} s after the outage began, on {ready_after:.1f} s after it ended; "
          f"{retries_per_s:.1f} reconnect attempts/s during the outage")


@pytest.mark.timeout(240)
def test_dropped_connections_mid_stream_lose_and_duplicate_nothing(proxied, tmp_path) -> None:
    n = 3000
    settings = proxied_settings(proxied, tmp_path, batch_max_size=25)
    produce(proxied.bootstrap, "in", [conversation_bytes(i) for i in range(n)])
    worker = WorkerRun(settings, tmp_path / "worker.log").start()
    worker.wait_ready()
    drops, last = 0, 0
    # Cut every connection as soon as the worker has made progress since the last cut: each cycle
    # forces a reconnect, a group rejoin and possibly a replayed batch.
    while (done := scored_ids(settings)) < n:
        assert worker.alive, worker.log_tail()
        if done > last and proxied.proxy.drop_connections():
            drops, last = drops + 1, done
        time.sleep(0.2)
        assert drops < 500, "the stream does not finish while connections drop"
    assert drops >= 5, f"only {drops} drops landed mid-stream"
    print(f"{drops} connection drops mid-stream")
    assert worker.alive, "the worker exited instead of reconnecting"
    assert worker.terminate() == 0, worker.log_tail()
    scores = lake_scores(settings.lake_path)
    assert scores.height == scores.unique().height == n
