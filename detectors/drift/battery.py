"""The battery of tests one window runs: embeddings (MMD), topics (clusters), lengths, detector behaviour.

Both sides of a comparison are reduced to a `SampleView` first, so the same battery serves a
window against the reference, two windows around a model change, and calibration splits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from detectors.drift.mmd import DEFAULT_PERMUTATIONS, mmd_test
from detectors.drift.twosample import TestOutcome, cluster_share_test, distribution_test, flag_rate_test

# A detector's behaviour is tested only when both sides have this many records of it.
MIN_RECORDS = 30
EMBEDDING_TEST = "embedding_mmd"
CLUSTER_TEST = "topic_clusters"
LENGTH_TEST = "reply_length"


@dataclass(frozen=True)
class SampleView:
    """One side of a comparison, in the form the tests need."""

    features: np.ndarray  # random Fourier features of the drift-text embeddings, (n, D)
    cluster_counts: np.ndarray  # conversations per reference cluster, (K,)
    reply_lengths: np.ndarray | None = None  # characters of the last reply, (n,) or None when unknown
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # detector -> record scores
    flags: dict[str, np.ndarray] = field(default_factory=dict)  # detector -> record flagged (bool)

    @property
    def n(self) -> int:
        return len(self.features)


def run_battery(
    ref: SampleView,
    window: SampleView,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    rng: np.random.Generator | None = None,
    min_records: int = MIN_RECORDS,
) -> list[TestOutcome]:
    """All tests that both sides have data for, in a fixed order."""
    rng = rng or np.random.default_rng(0)
    mmd = mmd_test(ref.features, window.features, n_permutations, rng)
    outcomes = [
        TestOutcome(
            EMBEDDING_TEST,
            mmd.statistic,
            mmd.p_value,
            mmd.effect_size,
            {"effect": "MMD", "z": mmd.z, "null_mean": mmd.null_mean, "n_permutations": n_permutations},
        ),
        cluster_share_test(ref.cluster_counts, window.cluster_counts),
    ]
    if ref.reply_lengths is not None and window.reply_lengths is not None and len(window.reply_lengths):
        outcomes.append(distribution_test(LENGTH_TEST, ref.reply_lengths, window.reply_lengths))
    for name in sorted(set(ref.scores) & set(window.scores)):
        ref_scores, win_scores = ref.scores[name], window.scores[name]
        if len(ref_scores) < min_records or len(win_scores) < min_records:
            continue
        ref_flags, win_flags = ref.flags[name], window.flags[name]
        outcomes.append(
            flag_rate_test(name, int(ref_flags.sum()), len(ref_flags), int(win_flags.sum()), len(win_flags))
        )
        outcomes.append(distribution_test(f"score_ks:{name}", ref_scores, win_scores))
    return outcomes
