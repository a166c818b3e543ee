"""The two durable sinks of a batch: the lake and the Kafka topics. Both are idempotent to replay.

`write` either makes the whole batch durable or raises `SinkError`; the worker commits offsets
only after it returns, so a failed or interrupted write is simply done again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from kafka.errors import KafkaError

from detectors.schema import ScoreRecord
from sidecar.batch import DeadLetter, SplitBatch
from sidecar.errors import TopicWriteError
from sidecar.lake import Lake
from sidecar.settings import Settings

DLQ_MAX_VALUE_BYTES = 60 << 20  # above this the dead letter keeps a prefix and says so in a header


def dead_letter_headers(dead: DeadLetter) -> list[tuple[str, bytes]]:
    headers = [
        ("sahaja.reason", dead.reason.encode()),
        ("sahaja.detail", dead.detail.encode("utf-8", "replace")[:2000]),
        ("sahaja.source.topic", dead.topic.encode()),
        ("sahaja.source.partition", str(dead.partition).encode()),
        ("sahaja.source.offset", str(dead.offset).encode()),
        ("sahaja.dead_lettered_at", datetime.now(UTC).isoformat().encode()),
    ]
    if dead.value is not None and len(dead.value) > DLQ_MAX_VALUE_BYTES:
        headers.append(("sahaja.truncated_from_bytes", str(len(dead.value)).encode()))
    return headers


def score_message(record: ScoreRecord) -> tuple[bytes, bytes]:
    key = f"{record.conversation_id}:{record.turn}:{record.detector}".encode()
    return key, record.model_dump_json().encode()


class TopicSink:
    """Sends score records and dead letters, then waits until the cluster acknowledged every one."""

    def __init__(self, producer: Any, settings: Settings) -> None:
        self.producer = producer
        self.settings = settings

    def send(
        self, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]] | None = None
    ) -> Any:
        return self.producer.send(topic, key=key, value=value, headers=headers or [])

    def write(
        self, records: Sequence[ScoreRecord], dead: Sequence[DeadLetter], extra: Sequence[tuple[str, bytes, bytes]] = ()
    ) -> None:
        futures = []
        try:
            for d in dead:
                value = d.value[:DLQ_MAX_VALUE_BYTES] if d.value is not None else None
                futures.append(self.send(self.settings.dlq_topic, d.key, value, dead_letter_headers(d)))
            for rec in records:
                key, value = score_message(rec)
                futures.append(self.send(self.settings.scores_topic, key, value))
            for topic, key, value in extra:
                futures.append(self.send(topic, key, value))
            self.producer.flush(timeout=self.settings.request_timeout_ms / 1000)
            for fut in futures:
                fut.get(timeout=0)
        except (KafkaError, AssertionError) as exc:
            raise TopicWriteError(f"producing to Kafka failed: {type(exc).__name__}: {exc}") from exc


class LakeSink:
    """Scores, conversations and late labels of a batch, as Parquet files named by offset range."""

    def __init__(self, lake: Lake, settings: Settings) -> None:
        self.lake = lake
        self.settings = settings

    def on_assignment(self) -> None:
        """Partitions moved: files of newly owned ones may have been written by another member."""
        self.lake.forget_partitions()

    def write(self, batch: SplitBatch, records: Sequence[ScoreRecord], failures: Sequence[Any] = ()) -> None:
        topic = self.settings.input_topic
        ranges = batch.ranges.get(topic, {})
        if records:
            self.lake.write_scores(records, topic, ranges)
        if failures and batch.conversations:
            self.lake.write_detector_errors(failures, topic, ranges)
        if self.settings.store_conversations and batch.conversations:
            self.lake.write_conversations(batch.conversations, topic, ranges)
        if batch.labels:
            self.lake.write_labels(
                batch.labels, self.settings.labels_topic, batch.ranges.get(self.settings.labels_topic, {})
            )
