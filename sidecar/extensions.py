"""Additions to a batch (feedback candidates, drift windows) behind one small interface.

An extension sees the validated batch and its score outcome and returns an `Addition`: extra topic
messages and the lake write that goes with them, as values. The worker runs that write inside the
batch's durable step (so the commit covers it), possibly on its sink thread while the next batch is
scored, which is why nothing is kept on the extension between the two. A replayed batch may
produce its candidates again: the candidate store merges rows by candidate id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from detectors.pipeline import ScoreOutcome, Scorer
from feedback import Candidate, FeedbackLake, StoreError, build_candidates, candidate_message, scorer_rescorer
from sidecar.batch import SplitBatch
from sidecar.errors import LakeWriteError
from sidecar.lake import Lake
from sidecar.metrics import Metrics
from sidecar.settings import Settings

log = logging.getLogger(__name__)

TopicMessage = tuple[str, bytes, bytes]


@dataclass(frozen=True)
class Addition:
    """What an extension adds to one batch: topic messages and its lake write (None: nothing to write)."""

    messages: list[TopicMessage] = field(default_factory=list)
    write_lake: Callable[[], None] | None = None


class BatchExtension(Protocol):
    def on_batch(self, batch: SplitBatch, outcome: ScoreOutcome) -> Addition: ...


class FeedbackExtension:
    """Flagged records become candidate DPO pairs: to `sahaja.dpo-candidates` and the lake."""

    def __init__(self, settings: Settings, lake: Lake, scorer: Scorer) -> None:
        self.topic = settings.candidates_topic
        self.store = FeedbackLake(lake.fs)
        self.rescorer = scorer_rescorer(scorer)

    def on_batch(self, batch: SplitBatch, outcome: ScoreOutcome) -> Addition:
        conversations = {item.conversation.conversation_id: item.conversation for item in batch.conversations}
        candidates = build_candidates(outcome.records, conversations, self.rescorer)
        if not candidates:
            return Addition()
        return Addition([(self.topic, *candidate_message(c)) for c in candidates], partial(self._write, candidates))

    def _write(self, candidates: list[Candidate]) -> None:
        try:
            self.store.add_candidates(candidates)
        except StoreError as exc:  # a sink error, so the worker retries the batch instead of dying
            raise LakeWriteError(str(exc)) from exc


class DriftExtension:
    """Tumbling drift windows over the batch's own embeddings; events to `sahaja.drift` and the lake.

    Window state lives in memory: after a restart the open window starts again, so a replayed
    stretch can be tested twice (events are keyed by window id). Each member sees only its own
    partitions; the chart's drift CronJob (`sahaja drift test --previous N --record`) tests every
    whole window of the lake across all of them and is not reset by restarts. It fails open: a drift
    error is logged and counted, and scoring goes on.
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

    def on_batch(self, batch: SplitBatch, outcome: ScoreOutcome) -> Addition:
        from detectors.drift import DriftError, drift_texts

        if not batch.conversations or outcome.embeddings is None:
            return Addition()
        try:
            vectors = outcome.embeddings.get(drift_texts(batch.conversations))
            events = self.monitor.observe_items(batch.conversations, vectors, outcome.records)
        except (DriftError, KeyError) as exc:
            log.error("drift monitor skipped a batch: %s", exc)
            self.metrics.detector_errors.labels(detector="drift_monitor").inc()
            return Addition()
        if not events:
            return Addition()
        for event in events:
            if event.drifted:
                self.metrics.drift_alarms.labels(test=event.test.split(":")[0]).inc()
        messages = [(self.topic, *drift_message(event)) for event in events]
        return Addition(messages, partial(write_drift_events, self.lake, events))


def drift_message(event: Any) -> tuple[bytes, bytes]:
    """(key, value) of a drift event on the drift topic: keyed by window id, so a consumer can dedupe."""
    return event.window_id.encode(), event.model_dump_json().encode()


def write_drift_events(lake: Lake, events: list[Any]) -> Path | str:
    """One drift table file per tested window and comparison, named by them: a window tested again
    (a replayed batch, a repeated scheduled run) replaces its file instead of adding a second."""
    first = events[0]
    name = f"window-{first.window_id}-{first.comparison}".replace("/", "_").replace(":", "_")
    return lake.write_rows("drift", [e.model_dump() for e in events], first.window_end.date(), name)


def build_extensions(settings: Settings, lake: Lake, scorer: Scorer, metrics: Metrics) -> list[BatchExtension]:
    """Feedback candidates always; drift windows when a reference profile is configured."""
    extensions: list[BatchExtension] = [FeedbackExtension(settings, lake, scorer)]
    if settings.drift_reference is not None:
        extensions.append(DriftExtension(settings, lake, metrics))
    return extensions
