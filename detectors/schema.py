"""The shared schema: what flows in (a conversation snapshot) and what flows out (a score record).

Every other package speaks these types. They live here, in the pure package, so that the
worker, the feedback loop and the dashboard cannot disagree about a column.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = "1"

Role = Literal["system", "user", "assistant", "tool"]


class Message(BaseModel):
    """One chat message in OpenAI format."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    role: Role
    content: str
    name: str | None = None

    @field_validator("content", mode="before")
    @classmethod
    def _content_is_text(cls, value: Any) -> Any:
        # OpenAI allows content parts ([{type: text, text: ...}]); keep the text parts, refuse the rest.
        if isinstance(value, list):
            parts = [p.get("text") for p in value if isinstance(p, dict) and p.get("type") == "text"]
            if not parts or not all(isinstance(p, str) for p in parts):
                raise ValueError("content parts must contain at least one text part")
            return "\n".join(parts)
        if value is None:
            return ""
        return value


class Conversation(BaseModel):
    """One conversation snapshot: one Kafka message, one JSON line."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    conversation_id: str = Field(min_length=1, max_length=512)
    messages: list[Message] = Field(min_length=1)
    model: str | None = None
    model_version: str | None = None
    timestamp: datetime | None = Field(default=None, description="RFC 3339; defaults to the record timestamp")
    metadata: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, Any] = Field(default_factory=dict)

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def assistant_turns(self) -> list[int]:
        """Indices into `messages` of the assistant turns (the unit every detector scores)."""
        return [i for i, m in enumerate(self.messages) if m.role == "assistant"]


class SourceRef(BaseModel):
    """Where a conversation came from (a Kafka record, or a line of a file)."""

    model_config = ConfigDict(frozen=True)

    topic: str = ""
    partition: int = -1
    offset: int = -1
    record_time: datetime | None = None


class SourcedConversation(BaseModel):
    """A validated conversation plus its source position: the unit of a scoring batch."""

    model_config = ConfigDict(frozen=True)

    conversation: Conversation
    source: SourceRef = SourceRef()

    @property
    def event_time(self) -> datetime:
        return self.conversation.timestamp or self.source.record_time or datetime.now(UTC)


class ScoreRecord(BaseModel):
    """One row per (conversation_id, assistant turn, detector). Both sinks, the API and files use it."""

    model_config = ConfigDict(frozen=True)

    conversation_id: str
    turn: int = Field(description="index into messages of the scored assistant turn; -1 for conversation-level")
    detector: str
    score: float = Field(ge=0.0, le=1.0, description="probability of the failure the detector names")
    flagged: bool
    threshold: float
    detector_version: str
    model: str | None = None
    model_version: str | None = None
    event_time: datetime
    scored_at: datetime
    source_topic: str = ""
    source_partition: int = -1
    source_offset: int = -1
    details: str = Field(default="{}", description="JSON string: spans and evidence")

    def details_dict(self) -> dict[str, Any]:
        return json.loads(self.details)


SCORE_COLUMNS: tuple[str, ...] = tuple(ScoreRecord.model_fields)


def make_record(
    item: SourcedConversation,
    *,
    turn: int,
    detector: str,
    detector_version: str,
    score: float,
    threshold: float,
    details: dict[str, Any],
    scored_at: datetime,
) -> ScoreRecord:
    """Build a score record with the provenance columns filled from the batch item."""
    conv = item.conversation
    score = min(1.0, max(0.0, float(score)))
    return ScoreRecord(
        conversation_id=conv.conversation_id,
        turn=turn,
        detector=detector,
        score=score,
        flagged=score >= threshold,
        threshold=threshold,
        detector_version=detector_version,
        model=conv.model,
        model_version=conv.model_version,
        event_time=item.event_time,
        scored_at=scored_at,
        source_topic=item.source.topic,
        source_partition=item.source.partition,
        source_offset=item.source.offset,
        details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=float),
    )


def conversation_json_schema() -> dict[str, Any]:
    """JSON Schema of the input message, exported into the docs."""
    return Conversation.model_json_schema()


def score_record_json_schema() -> dict[str, Any]:
    return ScoreRecord.model_json_schema()
