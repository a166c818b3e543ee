"""Build the kafka-python clients from settings. The rest of the worker never touches client internals."""

from __future__ import annotations

from kafka import KafkaConsumer, KafkaProducer

from sidecar.settings import Settings


def build_consumer(settings: Settings, topics: list[str]) -> KafkaConsumer:
    """A group consumer that never commits on its own: offsets move only after the sinks are durable."""
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
    return KafkaProducer(
        acks="all",
        retries=5,
        linger_ms=20,
        max_request_size=max(settings.max_message_bytes * 12, 16 << 20),
        client_id=f"sahaja-{settings.group_id}-producer",
        **settings.kafka_client_options(),  # type: ignore[arg-type]
    )
