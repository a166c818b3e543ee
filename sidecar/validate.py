"""Turn one raw Kafka record into a conversation, or a precise reason why not.

Pure and total: every input ends as a `SourcedConversation` or an `InvalidMessage` whose `reason`
is one of a small fixed set (it labels the dead-letter metric, so it must not carry free text).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from detectors.schema import Conversation, SourcedConversation, SourceRef
from sidecar.errors import InvalidMessage

REASONS = ("oversize", "bad_utf8", "bad_json", "not_an_object", "schema", "too_many_messages")


class LabelEvent(BaseModel):
    """A late correctness label for a conversation (`{"conversation_id": ..., "labels": {"correct": false}}`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    conversation_id: str = Field(min_length=1, max_length=512)
    labels: dict[str, Any]
    timestamp: datetime | None = None


def _decode(value: bytes | None, max_bytes: int) -> Any:
    if value is None:
        raise InvalidMessage("bad_json", "empty record value (tombstone)")
    if len(value) > max_bytes:
        raise InvalidMessage("oversize", f"{len(value)} bytes exceeds the limit of {max_bytes}")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidMessage("bad_utf8", f"invalid UTF-8 at byte {exc.start}") from None
    try:
        payload = json.loads(text)
    except RecursionError:
        raise InvalidMessage("bad_json", "JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise InvalidMessage("bad_json", f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(payload, dict):
        raise InvalidMessage("not_an_object", f"top-level JSON is {type(payload).__name__}, not an object")
    return payload


def _schema_detail(exc: ValidationError) -> str:
    # Locations and messages only: the input values may be conversation text, which logs must not carry.
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_input=False)[:5]]
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def parse_conversation(
    value: bytes | None, source: SourceRef, *, max_bytes: int, max_messages: int
) -> SourcedConversation:
    """Validate one record; raises `InvalidMessage` with a reason code and a detail."""
    payload = _decode(value, max_bytes)
    messages = payload.get("messages")
    if isinstance(messages, list) and len(messages) > max_messages:
        raise InvalidMessage("too_many_messages", f"{len(messages)} messages exceeds the limit of {max_messages}")
    try:
        conversation = Conversation.model_validate(payload)
    except ValidationError as exc:
        raise InvalidMessage("schema", _schema_detail(exc)) from None
    except RecursionError:
        raise InvalidMessage("schema", "metadata nested too deeply") from None
    return SourcedConversation(conversation=conversation, source=source)


def parse_label_event(value: bytes | None, *, max_bytes: int) -> LabelEvent:
    payload = _decode(value, max_bytes)
    try:
        return LabelEvent.model_validate(payload)
    except ValidationError as exc:
        raise InvalidMessage("schema", _schema_detail(exc)) from None


def record_time(timestamp_ms: int | None) -> datetime | None:
    if timestamp_ms is None or timestamp_ms < 0:
        return None
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
