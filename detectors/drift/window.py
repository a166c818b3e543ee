"""Test one window of conversations: against the reference, or against the window before a model change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from threadpoolctl import threadpool_limits

from detectors.drift.battery import run_battery
from detectors.drift.build import behaviour_samples
from detectors.drift.calibrate import holm
from detectors.drift.errors import WindowTooSmallError
from detectors.drift.events import ClusterShift, Comparison, DriftEvent, events_from_outcomes
from detectors.drift.reference import ReferenceProfile
from detectors.schema import ScoreRecord

N_SHIFTS = 3
N_EXAMPLES = 3


@dataclass
class WindowData:
    """The conversations of one window, as the tests see them (one row per conversation)."""

    conversation_ids: list[str]
    model_versions: list[str | None]
    vectors: np.ndarray
    event_times: list[datetime]
    reply_lengths: np.ndarray | None = None
    records: list[ScoreRecord] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.conversation_ids)

    def versions(self) -> list[str]:
        return sorted({v or "unknown" for v in self.model_versions})

    def subset(self, keep: np.ndarray) -> WindowData:
        ids = {self.conversation_ids[i] for i in np.flatnonzero(keep)}
        return WindowData(
            [c for c, k in zip(self.conversation_ids, keep, strict=True) if k],
            [v for v, k in zip(self.model_versions, keep, strict=True) if k],
            self.vectors[keep],
            [t for t, k in zip(self.event_times, keep, strict=True) if k],
            None if self.reply_lengths is None else self.reply_lengths[keep],
            [r for r in self.records if r.conversation_id in ids],
        )

    @staticmethod
    def concat(parts: Sequence[WindowData]) -> WindowData:
        lengths = [p.reply_lengths for p in parts]
        return WindowData(
            [c for p in parts for c in p.conversation_ids],
            [v for p in parts for v in p.model_versions],
            np.concatenate([p.vectors for p in parts]),
            [t for p in parts for t in p.event_times],
            None if any(x is None for x in lengths) else np.concatenate(lengths),  # type: ignore[arg-type]
            [r for p in parts for r in p.records],
        )


def cluster_shifts(
    profile: ReferenceProfile,
    ref_counts: np.ndarray,
    win_counts: np.ndarray,
    window_assignments: np.ndarray,
    window_ids: Sequence[str],
    window_distances: np.ndarray | None = None,
) -> tuple[list[ClusterShift], list[ClusterShift]]:
    """The clusters that gained and lost the most share, with example conversations from the window.

    Examples are the cluster's members farthest from its centroid: in a gaining cluster those are
    the likeliest newcomers, the conversations worth reading first.
    """
    ref_share = ref_counts / max(1, ref_counts.sum())
    win_share = win_counts / max(1, win_counts.sum())
    delta = win_share - ref_share
    labels = {c.index: c.label for c in profile.manifest.clusters}

    def shift(i: int) -> ClusterShift:
        members = np.flatnonzero(window_assignments == i)
        if window_distances is not None:
            members = members[np.argsort(-window_distances[members], kind="stable")]
        examples = [window_ids[j] for j in members[:N_EXAMPLES]]
        return ClusterShift(
            cluster=int(i),
            label=labels.get(int(i), f"cluster {i}"),
            reference_share=float(ref_share[i]),
            window_share=float(win_share[i]),
            delta=float(delta[i]),
            example_conversation_ids=examples,
        )

    order = np.argsort(delta)
    gaining = [shift(int(i)) for i in order[::-1][:N_SHIFTS] if delta[i] > 0]
    losing = [shift(int(i)) for i in order[:N_SHIFTS] if delta[i] < 0]
    return gaining, losing


def evaluate_window(
    profile: ReferenceProfile,
    window: WindowData,
    *,
    window_id: str,
    baseline: WindowData | None = None,
    alpha: float | None = None,
    min_window: int | None = None,
    seed: int = 0,
) -> list[DriftEvent]:
    """Run the battery on a window; `baseline` (the window before a model change) replaces the reference."""
    minimum = profile.manifest.min_window if min_window is None else min_window
    for part in (window, baseline):
        if part is not None and part.n < minimum:
            raise WindowTooSmallError(
                f"a drift window needs at least {minimum} conversations, got {part.n}: use larger windows "
                "(drift_window_size / drift_window_seconds) or lower min_window when building the reference"
            )
    alpha = profile.manifest.alpha if alpha is None else alpha
    with threadpool_limits(limits=1, user_api="blas"):  # see mmd_test: one thread is faster on a busy host
        return _evaluate(profile, window, window_id, baseline, alpha, seed)


def _evaluate(
    profile: ReferenceProfile, window: WindowData, window_id: str, baseline: WindowData | None, alpha: float, seed: int
) -> list[DriftEvent]:
    scores, flags = behaviour_samples(window.records)
    view = profile.window_view(window.vectors, window.reply_lengths, scores, flags)
    comparison: Comparison = "reference"
    if baseline is None:
        ref = profile.reference_view()
    else:
        comparison = "model_change"
        b_scores, b_flags = behaviour_samples(baseline.records)
        ref = profile.window_view(baseline.vectors, baseline.reply_lengths, b_scores, b_flags)
    outcomes = run_battery(ref, view, profile.manifest.n_permutations, np.random.default_rng(seed))
    adjusted = holm([o.p_value for o in outcomes])
    assignments, distances = profile.nearest(window.vectors)
    gaining, losing = cluster_shifts(
        profile, ref.cluster_counts, view.cluster_counts, assignments, window.conversation_ids, distances
    )
    times = window.event_times or [datetime.now(UTC)]
    versions = window.versions() if baseline is None else sorted(set(window.versions()) | set(baseline.versions()))
    common = {
        "window_id": window_id,
        "window_start": min(times),
        "window_end": max(times),
        "n": window.n,
        "comparison": comparison,
        "reference_id": profile.manifest.reference_id,
        "model_versions": versions,
    }
    return events_from_outcomes(outcomes, adjusted, alpha=alpha, common=common, gaining=gaining, losing=losing)
