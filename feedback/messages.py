"""Kafka payloads of the feedback loop, as plain bytes: the caller owns the producer and consumer.

Keys are the candidate id (candidates and reviews) so that all events of one candidate land in one
partition, in order. Values are JSON of the pydantic models, so a consumer rebuilds them with
`candidate_from_value` / `review_from_value`. Candidate payloads carry the conversation text, like
the input topic they came from; text is PII-scrubbed when it leaves as training data (export).
"""

from __future__ import annotations

from feedback.candidates import Candidate
from feedback.reviews import ReviewEvent

CANDIDATES_TOPIC = "sahaja.dpo-candidates"
REVIEWS_TOPIC = "sahaja.reviews"
BATCHES_TOPIC = "sahaja.feedback-batches"


def candidate_message(candidate: Candidate) -> tuple[bytes, bytes]:
    return candidate.candidate_id.encode(), candidate.model_dump_json().encode()


def review_message(event: ReviewEvent) -> tuple[bytes, bytes]:
    return event.candidate_id.encode(), event.model_dump_json().encode()


def candidate_from_value(value: bytes) -> Candidate:
    return Candidate.model_validate_json(value)


def review_from_value(value: bytes) -> ReviewEvent:
    return ReviewEvent.model_validate_json(value)
