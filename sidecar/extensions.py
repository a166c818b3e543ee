"""Stateful additions to a batch (feedback candidates, drift windows) behind one small interface.

An extension sees the validated batch and its score outcome, returns extra topic messages, and
writes its lake rows inside the same durable step, so the commit covers them too. A replayed
batch may produce its candidates again: the candidate store merges rows by candidate id.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from detectors.pipeline import ScoreOutcome, Scorer
from feedback import Candidate, FeedbackLake, build_candidates, candidate_message, scorer_rescorer
from sidecar.batch import SplitBatch
from sidecar.lake import Lake
from sidecar.metrics import Metrics
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


class DriftExtension:
    """Tumbling drift windows over the batch's own embeddings; events to `sahaja.drift` and the lake.

    Window state lives in memory: after a restart the open window starts again, so a replayed
    stretch can be tested twice (events are keyed by window id). It fails open: a drift error is
    logged and counted, and scoring goes on.
    """

    def __init__(self, settings: Settings, lake: Lake, metrics: Metrics) -> None:
        from detectors.drift import DriftMonitor, ReferenceProfile

        assert settings.drift_reference is not None
        self.topic = settings.drift_topic
        self.lake = lake
        self.metrics = metrics
        self.monitor = DriftMonitor(
            ReferenceProfile.load(settings.drift_reference),
            window_size=settings.drift_window_size,
            window_seconds=settings.drift_window_seconds,
            alpha=settings.drift_alpha,
        )
        self._events: list[Any] = []

    def on_batch(self, batch: SplitBatch, outcome: ScoreOutcome) -> list[TopicMessage]:
        from detectors.drift import DriftError, drift_texts

        self._events = []
        if not batch.conversations or outcome.embeddings is None:
            return []
        try:
            vectors = outcome.embeddings.get(drift_texts(batch.conversations))
            self._events = self.monitor.observe_items(batch.conversations, vectors, outcome.records)
        except (DriftError, KeyError) as exc:
            log.error("drift monitor skipped a batch: %s", exc)
            self.metrics.detector_errors.labels(detector="drift_monitor").inc()
            return []
        for event in self._events:
            if event.drifted:
                self.metrics.drift_alarms.labels(test=event.test.split(":")[0]).inc()
        return [(self.topic, event.window_id.encode(), event.model_dump_json().encode()) for event in self._events]

    def write_lake(self, batch: SplitBatch) -> None:
        if not self._events:
            return
        first = self._events[0]
        name = f"window-{first.window_id}-{first.comparison}".replace("/", "_").replace(":", "_")
        self.lake.write_rows("drift", [e.model_dump() for e in self._events], first.window_end.date(), name)


def build_extensions(settings: Settings, lake: Lake, scorer: Scorer, metrics: Metrics) -> list[BatchExtension]:
    """Feedback candidates always; drift windows when a reference profile is configured."""
    extensions: list[BatchExtension] = [FeedbackExtension(settings, lake, scorer)]
    if settings.drift_reference is not None:
        extensions.append(DriftExtension(settings, lake, metrics))
    return extensions
