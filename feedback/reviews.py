"""Reviewers' verdicts as append-only events, and a candidate's state as the fold of them.

Nothing is ever updated in place: an accept, an edit or a reject is a new `ReviewEvent`, and
`fold` replays a candidate's events (ordered by time, then event id) into a `CandidateState`.

Rules of the fold (each broken rule is a typed error; `strict=False` skips the event instead and
lists it in `state.ignored`, so one bad event written by a concurrent writer cannot hide the rest):
- An event for another candidate id: `UnknownCandidateError`.
- `accept`: pending or rejected -> accepted, keeping the current chosen (a pair stays a pair, an
  unpaired candidate is accepted as an undesirable KTO example). Accepting an accepted candidate
  is a `ReviewConflictError` (a second accept is a mistake worth showing, not a silent no-op).
- `edit`: sets the reviewer's chosen text, makes the candidate a pair and accepts it, from any
  state (an edit after an accept corrects the chosen; after a reject it overrules the reject).
  An empty or whitespace-only chosen: `EmptyChosenError`.
- `reject`: pending or accepted -> rejected (a reject after an accept withdraws the acceptance).
  Rejecting a rejected candidate: `ReviewConflictError`.
Only accepted candidates are exported; `decided_at` is the time of the event that last changed
the status or the chosen, and is what an export's --since/--until select on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from feedback.candidates import Candidate, ChatTurn, Kind
from feedback.errors import EmptyChosenError, ReviewConflictError, ReviewError, UnknownCandidateError

Action = Literal["accept", "edit", "reject"]
Status = Literal["pending", "accepted", "rejected"]


class ReviewEvent(BaseModel):
    """One reviewer verdict. Build it with `new_review` (which checks it) or load it from the log."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    candidate_id: str
    action: Action
    chosen: str | None = Field(default=None, description="the reviewer's chosen answer (edit only)")
    reviewer: str = Field(min_length=1)
    reason: str = ""
    at: datetime

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class CandidateState(BaseModel):
    """A candidate as reviewers left it: status, the chosen that would be exported, and history."""

    model_config = ConfigDict(frozen=True)

    candidate_id: str
    status: Status = "pending"
    kind: Kind
    chosen: list[ChatTurn] | None = None
    chosen_source: Literal["proposed", "reviewer", "none"] = "none"
    reviewer: str | None = None
    reason: str | None = None
    decided_at: datetime | None = None
    n_events: int = 0
    ignored: list[str] = Field(default_factory=list, description="event ids skipped by a non-strict fold")


def new_review(
    candidate_id: str,
    action: Action,
    reviewer: str,
    *,
    chosen: str | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> ReviewEvent:
    """A checked event; the id is derived from its content, so a retried write is the same event."""
    if action == "edit" and not (chosen or "").strip():
        raise EmptyChosenError(f"edit of {candidate_id} needs a non-empty chosen answer")
    if action != "edit" and chosen is not None:
        raise ReviewError(f"{action} does not take a chosen answer; use edit")
    if not reviewer.strip():
        raise ReviewError("a review needs a reviewer id")
    at = at or datetime.now(UTC)
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    key = "\x1f".join([candidate_id, action, chosen or "", reviewer, reason, at.isoformat()])
    return ReviewEvent(
        event_id="r_" + hashlib.sha256(key.encode()).hexdigest()[:24],
        candidate_id=candidate_id,
        action=action,
        chosen=chosen.strip() if chosen is not None else None,
        reviewer=reviewer,
        reason=reason,
        at=at,
    )


def initial_state(candidate: Candidate) -> CandidateState:
    return CandidateState(
        candidate_id=candidate.candidate_id,
        kind=candidate.kind,
        chosen=candidate.chosen,
        chosen_source="proposed" if candidate.chosen is not None else "none",
    )


def event_order(event: ReviewEvent) -> tuple[datetime, str]:
    return (event.at, event.event_id)


def fold(candidate: Candidate, events: Iterable[ReviewEvent], *, strict: bool = True) -> CandidateState:
    """Replay `events` over `candidate` (see the module docstring for the rules)."""
    state = initial_state(candidate)
    ignored: list[str] = []
    for event in sorted(events, key=event_order):
        try:
            state = apply(state, event)
        except ReviewError:
            if strict:
                raise
            ignored.append(event.event_id)
    return state.model_copy(update={"ignored": ignored}) if ignored else state


def apply(state: CandidateState, event: ReviewEvent) -> CandidateState:
    """One step of the fold."""
    if event.candidate_id != state.candidate_id:
        raise UnknownCandidateError(event.candidate_id)
    common = {"reviewer": event.reviewer, "reason": event.reason, "decided_at": event.at}
    n = state.n_events + 1
    if event.action == "accept":
        if state.status == "accepted":
            raise ReviewConflictError(f"{state.candidate_id} is already accepted (by {state.reviewer})")
        return state.model_copy(update={"status": "accepted", "n_events": n, **common})
    if event.action == "reject":
        if state.status == "rejected":
            raise ReviewConflictError(f"{state.candidate_id} is already rejected (by {state.reviewer})")
        return state.model_copy(update={"status": "rejected", "n_events": n, **common})
    if not (event.chosen or "").strip():
        raise EmptyChosenError(f"edit {event.event_id} of {state.candidate_id} has an empty chosen answer")
    chosen = [ChatTurn(role="assistant", content=(event.chosen or "").strip())]
    return state.model_copy(
        update={
            "status": "accepted",
            "kind": "pair",
            "chosen": chosen,
            "chosen_source": "reviewer",
            "n_events": n,
            **common,
        }
    )
