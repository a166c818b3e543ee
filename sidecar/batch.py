"""Cut a polled stream into scoring batches and split each batch into what goes where. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from detectors.schema import SourcedConversation, SourceRef
from sidecar.errors import InvalidMessage
from sidecar.validate import LabelEvent, parse_conversation, parse_label_event, record_time

OffsetRanges = dict[int, tuple[int, int]]


@dataclass(frozen=True)
class DeadLetter:
    """An input record that cannot be scored, kept whole with where it came from and why."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    reason: str
    detail: str


@dataclass
class SplitBatch:
    conversations: list[SourcedConversation] = field(default_factory=list)
    labels: list[tuple[SourceRef, LabelEvent]] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    ranges: dict[str, OffsetRanges] = field(default_factory=dict)  # topic -> partition -> (first, last)
    commit: dict[tuple[str, int], int] = field(default_factory=dict)  # (topic, partition) -> next offset


def offset_ranges(records: Sequence[Any]) -> dict[str, OffsetRanges]:
    spans: dict[str, OffsetRanges] = {}
    for rec in records:
        per_topic = spans.setdefault(rec.topic, {})
        first, last = per_topic.get(rec.partition, (rec.offset, rec.offset))
        per_topic[rec.partition] = (min(first, rec.offset), max(last, rec.offset))
    return spans


def split_batch(records: Sequence[Any], *, labels_topic: str, max_bytes: int, max_messages: int) -> SplitBatch:
    """Validate every record of a batch (kafka-python ConsumerRecords or anything with the same fields)."""
    out = SplitBatch(ranges=offset_ranges(records))
    for rec in records:
        source = SourceRef(
            topic=rec.topic, partition=rec.partition, offset=rec.offset, record_time=record_time(rec.timestamp)
        )
        try:
            if rec.topic == labels_topic:
                out.labels.append((source, parse_label_event(rec.value, max_bytes=max_bytes)))
            else:
                out.conversations.append(
                    parse_conversation(rec.value, source, max_bytes=max_bytes, max_messages=max_messages)
                )
        except InvalidMessage as exc:
            out.dead.append(
                DeadLetter(rec.topic, rec.partition, rec.offset, rec.key, rec.value, exc.reason, exc.detail)
            )
        key = (rec.topic, rec.partition)
        out.commit[key] = max(out.commit.get(key, -1), rec.offset + 1)
    return out
