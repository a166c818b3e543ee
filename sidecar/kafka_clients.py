"""Build the kafka-python clients from settings. The rest of the worker never touches client internals."""

from __future__ import annotations

from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from sidecar import kafka_backoff
from sidecar.settings import Settings


def build_consumer(settings: Settings, topics: list[str]) -> KafkaConsumer:
    """A group consumer that never commits on its own: offsets move only after the sinks are durable."""
    kafka_backoff.install()
    consumer = KafkaConsumer(
        group_id=settings.group_id,
        enable_auto_commit=False,
        auto_offset_reset=settings.auto_offset_reset,
        max_poll_records=settings.batch_max_size,
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        max_poll_interval_ms=settings.max_poll_interval_ms,
        # Bound what the client buffers: one partition fetch can hold at most one maximal message batch.
        max_partition_fetch_bytes=max(settings.max_message_bytes * 2, 1 << 20),
        fetch_max_bytes=max(settings.max_message_bytes * 4, 8 << 20),
        client_id=f"sahaja-{settings.group_id}",
        **settings.kafka_client_options(),  # type: ignore[arg-type]
    )
    consumer.subscribe(topics)
    return consumer


def build_producer(settings: Settings) -> KafkaProducer:
    """acks=all: a score or dead letter counts as written only when the cluster holds it."""
    kafka_backoff.install()
    return KafkaProducer(
        acks="all",
        retries=5,
        linger_ms=20,
        max_request_size=max(settings.max_message_bytes * 12, 16 << 20),
        client_id=f"sahaja-{settings.group_id}-producer",
        **settings.kafka_client_options(),  # type: ignore[arg-type]
    )


def broker_connected(client: Any) -> bool:
    """True while a kafka-python client holds a live connection to at least one known broker.

    Readiness needs it and kafka-python has no public call for it (`bootstrap_connected()` only
    covers the first connection), so this thin wrapper is the one place that looks inside the client.
    A client whose internals differ counts as connected: readiness then falls back to assignment.
    """
    net = getattr(client, "_client", None)
    cluster = getattr(net, "cluster", None)
    if net is None or cluster is None or not callable(getattr(net, "connected", None)):
        return True
    node_ids = [getattr(b, "node_id", getattr(b, "nodeId", None)) for b in cluster.brokers()]
    return any(net.connected(node_id) for node_id in node_ids if node_id is not None)
