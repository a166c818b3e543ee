"""`DriftMonitor`: the stateful part of drift, fed one scored batch at a time by the worker.

Windows tumble by count (every `window_size` conversations) or by event time (fixed
`window_seconds` buckets aligned to the epoch; a late conversation joins the open window, since
its own window is already tested). When a window closes it is tested against the reference; when
it brings a model version the previous window did not have, the new version's conversations are
also tested against the old version's (change attribution), with effect sizes for each test.
A window too small to test is skipped and counted, never raised: the stream keeps going.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from detectors.drift.errors import WindowTooSmallError
from detectors.drift.events import DriftEvent
from detectors.drift.reference import ReferenceProfile
from detectors.drift.sources import epoch_bucket
from detectors.drift.text import drift_text, reply_length
from detectors.drift.window import WindowData, evaluate_window
from detectors.schema import ScoreRecord, SourcedConversation

log = logging.getLogger(__name__)


class DriftMonitor:
    """Tumbling windows over scored conversations; `observe` returns the events of windows it closed."""

    def __init__(
        self,
        profile: ReferenceProfile,
        *,
        window_size: int = 2000,
        window_seconds: float = 0.0,
        min_window: int | None = None,
        alpha: float | None = None,
        attribution: bool = True,
        seed: int = 0,
    ) -> None:
        self.profile = profile
        self.window_size = window_size
        self.window_seconds = window_seconds
        self.min_window = profile.manifest.min_window if min_window is None else min_window
        if window_seconds <= 0 and window_size < self.min_window:
            raise WindowTooSmallError(
                f"window_size {window_size} is below the minimum window {self.min_window}: raise drift_window_size"
            )
        self.alpha = alpha
        self.attribution = attribution
        self.seed = seed
        self.windows_closed = 0
        self.skipped: list[tuple[str, int, str]] = []  # (window_id, n, reason)
        self._parts: list[WindowData] = []
        self._bucket: int | None = None
        self._previous: WindowData | None = None

    @property
    def pending(self) -> int:
        return sum(p.n for p in self._parts)

    def observe(
        self,
        conversation_ids: Sequence[str],
        model_versions: Sequence[str | None],
        vectors: np.ndarray,
        records: Sequence[ScoreRecord],
        event_times: Sequence[datetime],
        reply_lengths: Sequence[int] | None = None,
    ) -> list[DriftEvent]:
        """Add one batch (one row per conversation, vectors of `drift_text`); return events of closed windows."""
        if len(conversation_ids) == 0:
            return []
        self.profile.check_dim(np.asarray(vectors))  # fail on the first batch, not when a window closes
        part = WindowData(
            list(conversation_ids),
            list(model_versions),
            np.asarray(vectors, dtype=np.float32),
            list(event_times),
            None if reply_lengths is None else np.asarray(reply_lengths, dtype=np.float32),
            list(records),
        )
        if self.window_seconds > 0:
            return self._observe_by_time(part)
        return self._observe_by_count(part)

    def observe_items(
        self, items: Sequence[SourcedConversation], vectors: np.ndarray, records: Sequence[ScoreRecord]
    ) -> list[DriftEvent]:
        """`observe` for a scored batch; `vectors` are the embeddings of `drift_text` of each item."""
        convs = [i.conversation for i in items]
        return self.observe(
            [c.conversation_id for c in convs],
            [c.model_version for c in convs],
            vectors,
            records,
            [i.event_time for i in items],
            [reply_length(c) for c in convs],
        )

    def flush(self) -> list[DriftEvent]:
        """Close the open window now (at shutdown); it is tested only if it reaches the minimum size."""
        return self._close()

    def _observe_by_count(self, part: WindowData) -> list[DriftEvent]:
        events: list[DriftEvent] = []
        while part.n:
            room = self.window_size - self.pending
            take = np.arange(part.n) < room
            self._parts.append(part.subset(take) if room < part.n else part)
            part = part.subset(~take) if room < part.n else part.subset(np.zeros(part.n, dtype=bool))
            if self.pending >= self.window_size:
                events.extend(self._close())
        return events

    def _observe_by_time(self, part: WindowData) -> list[DriftEvent]:
        events: list[DriftEvent] = []
        buckets = np.array([epoch_bucket(t, self.window_seconds) for t in part.event_times])
        if self._bucket is None:
            self._bucket = int(buckets[0])
        start = 0
        for i in range(part.n + 1):
            if i < part.n and buckets[i] <= self._bucket:
                continue  # current or late: stays in the open window
            if i > start:
                keep = np.zeros(part.n, dtype=bool)
                keep[start:i] = True
                self._parts.append(part.subset(keep))
            if i < part.n:
                events.extend(self._close())
                self._bucket = int(buckets[i])
                start = i
        return events

    def _window_id(self, window: WindowData) -> str:
        if self.window_seconds > 0 and self._bucket is not None:
            start = datetime.fromtimestamp(self._bucket * self.window_seconds, UTC)
            return f"time-{start.isoformat()}"
        return f"count-{min(window.event_times):%Y%m%dT%H%M%S}-{self.windows_closed:06d}"

    def _close(self) -> list[DriftEvent]:
        if not self._parts:
            return []
        window = WindowData.concat(self._parts) if len(self._parts) > 1 else self._parts[0]
        self._parts = []
        window_id = self._window_id(window)
        self.windows_closed += 1
        if window.n < self.min_window:
            self.skipped.append((window_id, window.n, f"below the minimum window of {self.min_window}"))
            log.info("drift window %s skipped: %d < %d conversations", window_id, window.n, self.min_window)
            return []
        seed = self.seed + self.windows_closed
        events = evaluate_window(self.profile, window, window_id=window_id, alpha=self.alpha, seed=seed)
        if self.attribution and self._previous is not None:
            events.extend(self._attribute(window, window_id, seed))
        self._previous = window
        return events

    def _attribute(self, window: WindowData, window_id: str, seed: int) -> list[DriftEvent]:
        """Compare the new model version's conversations with the old version's, when the version changed."""
        assert self._previous is not None
        new_versions = set(window.versions()) - set(self._previous.versions())
        if not new_versions:
            return []
        is_new = np.array([(v or "unknown") in new_versions for v in window.model_versions])
        after = window.subset(is_new)
        before = WindowData.concat([self._previous, window.subset(~is_new)])
        if min(after.n, before.n) < self.min_window:
            self.skipped.append((f"{window_id}:model_change", min(after.n, before.n), "too few per version"))
            return []
        return evaluate_window(
            self.profile,
            after,
            baseline=before,
            window_id=f"{window_id}:model_change",
            alpha=self.alpha,
            min_window=self.min_window,
            seed=seed,
        )


def drift_texts(items: Sequence[SourcedConversation]) -> list[str]:
    """The texts whose embeddings `DriftMonitor.observe_items` expects, in item order."""
    return [drift_text(i.conversation) for i in items]
