"""Re-scoring proposed chosen responses with the same detectors that flagged the rejected one.

A rewrite that still trips its detector would teach the model nothing (or the wrong thing), so
the factory asks a `Rescorer` before it offers a chosen. The rescorer is injected: tests and the
worker pass one built from the live `Scorer`; `build_candidates` without one leaves proposals
unchecked (and says so in `details`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from detectors.pipeline import Scorer
from detectors.schema import Conversation, Message, SourcedConversation
from feedback.candidates import ChatTurn

# Fixed so that re-scoring has no wall-clock input; it never reaches a stored file.
_RESCORED_AT = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RescoreRequest:
    """A proposed chosen answer in its context: `prompt` followed by one assistant turn `chosen`."""

    prompt: Sequence[ChatTurn]
    chosen: str
    detector: str
    model: str | None = None
    model_version: str | None = None


# Per request: {detector name: score} for every detector that scored the chosen turn.
Rescorer = Callable[[Sequence[RescoreRequest]], list[dict[str, float]]]


def scorer_rescorer(scorer: Scorer) -> Rescorer:
    """A `Rescorer` that runs `scorer` once over all requests of a batch (one embedding pass)."""

    def rescore(requests: Sequence[RescoreRequest]) -> list[dict[str, float]]:
        if not requests:
            return []
        items = [
            SourcedConversation(
                conversation=Conversation(
                    conversation_id=f"rescore-{i}",
                    messages=[
                        *(Message(role=m.role, content=m.content) for m in req.prompt),
                        Message(role="assistant", content=req.chosen),
                    ],
                    model=req.model,
                    model_version=req.model_version,
                )
            )
            for i, req in enumerate(requests)
        ]
        # Only the detectors that flagged the rejected answers judge their rewrites: fewer texts to embed.
        outcome = scorer.subset({req.detector for req in requests}).score(items, scored_at=_RESCORED_AT)
        scores: list[dict[str, float]] = [{} for _ in requests]
        for record in outcome.records:
            index = int(record.conversation_id.removeprefix("rescore-"))
            if record.turn == len(requests[index].prompt):
                scores[index][record.detector] = record.score
        return scores

    return rescore
