"""Stateful additions to a batch (feedback candidates, drift windows) behind one small interface.

An extension sees the validated batch and its score outcome, returns extra topic messages, and
writes its lake rows inside the same durable step, so the commit covers them too. A replayed
batch may produce its candidates again: the candidate store merges rows by candidate id.
"""

from __future__ import annotations

import logging
from typing import Protocol

from detectors.pipeline import ScoreOutcome, Scorer
from feedback import Candidate, FeedbackLake, build_candidates, candidate_message, scorer_rescorer
from sidecar.batch import SplitBatch
from sidecar.lake import Lake
from sidecar.settings import Settings

log = logging.getLogger(__name__)

TopicMessage = tuple[str, bytes, bytes]


class BatchExtension(Protocol):
    def on_batch(self, batch: SplitBatch, outcome: ScoreOutcome) -> list[TopicMessage]: ...

    def write_lake(self, batch: SplitBatch) -> None: ...


class FeedbackExtension:
    """Flagged records become candidate DPO pairs: to `sahaja.dpo-candidates` and the lake."""

    def __init__(self, settings: Settings, lake: Lake, scorer: Scorer) -> None:
        self.topic = settings.candidates_topic
        self.store = FeedbackLake(lake.root)
        self.rescorer = scorer_rescorer(scorer)
        self._pending: list[Candidate] = []

    def on_batch(self, batch: SplitBatch, outcome: ScoreOutcome) -> list[TopicMessage]:
        conversations = {item.conversation.conversation_id: item.conversation for item in batch.conversations}
        self._pending = build_candidates(outcome.records, conversations, self.rescorer)
        return [(self.topic, *candidate_message(c)) for c in self._pending]

    def write_lake(self, batch: SplitBatch) -> None:
        if self._pending:
            self.store.add_candidates(self._pending)


def build_extensions(settings: Settings, lake: Lake, scorer: Scorer) -> list[BatchExtension]:
    """Feedback candidates always; drift windows when a reference profile is configured."""
    extensions: list[BatchExtension] = [FeedbackExtension(settings, lake, scorer)]
    return extensions
