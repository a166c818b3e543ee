"""The candidate: one flagged assistant turn as a would-be preference example, with its provenance.

`prompt`, `rejected` and `chosen` are already in TRL's conversational format (lists of
{role, content}), so the export only filters and serialises; it never re-cuts the conversation.
The id is derived from content, so the same flagged turn seen again (a replayed record, a later
snapshot of the same conversation, the same prompt from another user) maps to the same candidate.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CANDIDATE_SCHEMA_VERSION = "1"

Kind = Literal["pair", "unpaired"]
ChosenStatus = Literal["proposed", "still_flags", "none"]


class ChatTurn(BaseModel):
    """One message as TRL reads it: role and content only."""

    model_config = ConfigDict(frozen=True)

    role: Literal["system", "user", "assistant", "tool"]
    content: str


class Candidate(BaseModel):
    """A candidate preference example. `chosen` is None for unpaired (KTO) candidates."""

    model_config = ConfigDict(frozen=True)

    candidate_id: str
    content_hash: str = Field(description="sha256 of the normalised prompt and rejected (the dedupe key)")
    prompt: list[ChatTurn] = Field(min_length=1)
    rejected: list[ChatTurn] = Field(min_length=1, max_length=1)
    chosen: list[ChatTurn] | None = None
    kind: Kind
    chosen_status: ChosenStatus
    detector: str
    detector_version: str
    score: float
    threshold: float
    conversation_id: str
    turn: int
    source_topic: str = ""
    source_partition: int = -1
    source_offset: int = -1
    model: str | None = None
    model_version: str | None = None
    created_at: datetime = Field(description="the scored_at of the record that raised it (never wall-clock)")
    duplicate_count: int = Field(default=1, ge=1)
    occurrences: list[str] = Field(default_factory=list, description="sorted 'conversation_id#turn' keys")
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def chosen_text(self) -> str | None:
        return self.chosen[0].content if self.chosen else None


def normalise_text(text: str) -> str:
    """What two near-duplicate texts share: NFKC, case-folded, whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def content_hash(prompt: list[ChatTurn], rejected: list[ChatTurn]) -> str:
    payload = [[m.role, normalise_text(m.content)] for m in [*prompt, *rejected]]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def candidate_id_for(detector: str, digest: str) -> str:
    """One candidate per (detector, content): two detectors on one turn are two different problems."""
    return "c_" + hashlib.sha256(f"{detector}\x1f{digest}".encode()).hexdigest()[:24]


def occurrence_key(conversation_id: str, turn: int) -> str:
    return f"{conversation_id}#{turn}"
