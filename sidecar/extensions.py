"""Stateful additions to a batch (feedback candidates, drift windows) behind one small interface.

An extension sees the validated batch and its score outcome, returns extra topic messages, and
writes its lake rows inside the same durable step, so the commit covers them too.
"""

from __future__ import annotations

from typing import Protocol

from detectors.pipeline import ScoreOutcome, Scorer
from sidecar.batch import SplitBatch
from sidecar.lake import Lake
from sidecar.settings import Settings

TopicMessage = tuple[str, bytes, bytes]


class BatchExtension(Protocol):
    def on_batch(self, batch: SplitBatch, outcome: ScoreOutcome) -> list[TopicMessage]: ...

    def write_lake(self, batch: SplitBatch) -> None: ...


def build_extensions(settings: Settings, lake: Lake, scorer: Scorer) -> list[BatchExtension]:
    """Feedback candidates and drift windows, as configured."""
    extensions: list[BatchExtension] = []
    return extensions
