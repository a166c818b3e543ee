"""Stateful additions to a batch (feedback candidates, drift windows) behind one small interface.

An extension sees the validated batch and its score outcome, returns extra topic messages, and
writes its lake rows inside the same durable step, so the commit covers them too.
"""

from __future__ import annotations

from typing import Protocol

from detectors.pipeline import ScoreOutcome
from sidecar.batch import SplitBatch

TopicMessage = tuple[str, bytes, bytes]


class BatchExtension(Protocol):
    def on_batch(self, batch: SplitBatch, outcome: ScoreOutcome) -> list[TopicMessage]: ...

    def write_lake(self, batch: SplitBatch) -> None: ...
