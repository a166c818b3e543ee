"""Turn one raw Kafka record into a conversation, or a precise reason why not.

Pure and total: every input ends as a `SourcedConversation` or an `InvalidMessage` whose `reason`
is one of a small fixed set (it labels the dead-letter metric, so it must not carry free text).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from detectors.schema import Conversation, SourcedConversation, SourceRef
from sidecar.errors import InvalidMessage

REASONS = ("oversize", "bad_utf8", "bad_json", "not_an_object", "schema", "too_many_messages")

# A \uD800-\uDBFF escape not followed by a low one, or a \uDC00-\uDFFF escape not preceded by a high one.
# JSON allows them, but the string they make cannot be encoded as UTF-8, so every sink would fail on it.
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)

# Deeper JSON is refused: it is never a real conversation, and re-encoding it later (lake, topics)
# could hit Python's recursion limit in a sink, where it would fail the batch again and again.
MAX_JSON_DEPTH = 64


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
    except ValueError:
        # Python refuses integers of more than 4300 digits (a denial-of-service guard): not our JSON.
        raise InvalidMessage("bad_json", "a number too long to parse") from None
    if _LONE_SURROGATE.search(text) and _has_lone_surrogate(payload):
        raise InvalidMessage("bad_utf8", "a \\u escape makes a lone UTF-16 surrogate, which UTF-8 cannot encode")
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _depth_exceeds(payload, MAX_JSON_DEPTH):
        raise InvalidMessage("bad_json", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(payload, dict):
        raise InvalidMessage("not_an_object", f"top-level JSON is {type(payload).__name__}, not an object")
    return payload


def _depth_exceeds(payload: Any, limit: int) -> bool:
    """Iterative, so that the check itself cannot recurse too deeply."""
    stack = [(payload, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return False


def _has_lone_surrogate(payload: Any) -> bool:
    """Confirms the regex (which a literal backslash can fool) by encoding what was parsed."""
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except (ValueError, RecursionError):  # not encodable for another reason; the schema check decides
        return False
    return False


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
