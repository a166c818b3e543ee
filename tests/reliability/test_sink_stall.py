"""A lake sink that stalls (an object store that stops answering mid-request, not one that refuses):
the worker stays alive, stops committing, stops reading beyond the batches in hand, and finishes
complete once the store answers again.

The worker writes to a real S3-compatible server (moto) through a TCP proxy that can hold every
byte; the test itself reads the store directly, around the proxy.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from kafka import KafkaAdminClient

from benchmarks.soak import WorkerRun, conversation_bytes, produce
from dashboard.lake import scan_scores
from sidecar.broker import free_port
from tests.reliability.proxy import TcpProxy
from tests.s3_server import moto_s3, point_aws_at

boto3 = pytest.importorskip("boto3", reason="boto3 (installed with moto) is missing")

BATCH = 50


@pytest.fixture
def stallable_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, TcpProxy]]:
    """(direct endpoint, proxy in front of it); this process talks to the store directly."""
    with moto_s3() as (host, port):
        proxy = TcpProxy(free_port(), port).start()
        direct = f"http://{host}:{port}"
        point_aws_at(monkeypatch, direct)
        try:
            yield direct, proxy
        finally:
            proxy.resume()
            proxy.stop()


def committed(bootstrap: str, group: str) -> int:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        return sum(meta.offset for meta in admin.list_group_offsets(group).get(group, {}).values() if meta.offset > 0)
    finally:
        admin.close()


def scored(url: str) -> tuple[int, int]:
    """(rows, distinct conversations) of the lake's scores, read from the store directly."""
    frame = scan_scores(url)
    if frame is None:
        return 0, 0
    rows = frame.select("conversation_id").collect()
    return rows.height, rows["conversation_id"].n_unique()


def wait_for(predicate, timeout_s: float, what: str) -> None:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout_s, f"{what}: not within {timeout_s} s"
        time.sleep(0.3)


@pytest.mark.timeout(240)
def test_stalled_object_store_pauses_without_commit_or_unbounded_reads_then_completes(
    settings_factory, stallable_s3, monkeypatch, tmp_path
) -> None:
    direct, proxy = stallable_s3
    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=direct, region_name="us-east-1").create_bucket(Bucket=bucket)
    url = f"s3://{bucket}/lake"
    settings = settings_factory(
        lake_path=url, batch_max_size=BATCH, batch_max_wait_ms=100, max_poll_interval_ms=120000,
        lake_connect_timeout_s=1, lake_request_timeout_s=2, lake_attempts=1,
        sink_retry_backoff_ms=200, sink_retry_backoff_max_ms=1000,
    )
    bootstrap = settings.kafka_bootstrap_servers
    # The worker (a child process) reaches the store only through the proxy.
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{proxy.port}")
    worker = WorkerRun(settings, tmp_path / "worker.log").start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", direct)
    worker.wait_ready()
    produce(bootstrap, settings.input_topic, [conversation_bytes(i) for i in range(100)])
    wait_for(lambda: scored(url)[1] == 100, 60, "first 100 scored")
    wait_for(lambda: committed(bootstrap, settings.group_id) == 100, 30, "first 100 committed")
    rss_before = worker.memory_kb()

    proxy.stall()
    produce(bootstrap, settings.input_topic, [conversation_bytes(i) for i in range(100, 600)])
    wait_for(lambda: worker.metrics().get("sahaja_consumer_paused") == 1, 30, "the worker pauses on the stall")
    time.sleep(6)  # several failed writes and retries
    metrics = worker.metrics()
    assert worker.alive and worker.get("/healthz").status_code == 200, worker.log_tail()
    assert committed(bootstrap, settings.group_id) == 100, "committed past a batch that is not durable"
    in_hand = metrics["sahaja_messages_consumed_total"] - metrics["sahaja_messages_scored_total"]
    assert in_hand <= 2 * BATCH, f"{in_hand} messages read past the last commit (two batches at most)"
    assert metrics.get('sahaja_sink_failures_total{sink="lake"}', 0) >= 1
    grown_kb = worker.memory_kb() - rss_before
    assert grown_kb < 64 << 10, f"memory grew by {grown_kb >> 10} MiB while the sink stalled"

    proxy.resume()
    wait_for(lambda: committed(bootstrap, settings.group_id) == 600, 90, "everything committed after the stall")
    assert worker.metrics().get("sahaja_consumer_paused") == 0
    assert worker.terminate() == 0, worker.log_tail()
    rows, conversations = scored(url)
    assert conversations == 600 and rows == 600, f"{rows} rows for {conversations} conversations"
    print(f"{in_hand:.0f} messages in hand during the stall; RSS +{grown_kb >> 10} MiB")
