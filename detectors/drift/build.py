"""Building a reference profile from a sample of known-good conversations (done once, then stored).

`Reservoir` keeps a uniform sample of a stream of unknown length; `build_reference` fits the topic
clusters on one half of the sample and counts and calibrates on the other (see `reference`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Generic, TypeVar

import numpy as np

from detectors.drift.errors import ReferenceInvalidError
from detectors.drift.labels import top_words
from detectors.drift.mmd import DEFAULT_FEATURES, DEFAULT_PERMUTATIONS, RandomFourierFeatures, median_bandwidth
from detectors.drift.reference import MIN_REFERENCE, ClusterInfo, ReferenceManifest, ReferenceProfile
from detectors.schema import ScoreRecord

DEFAULT_CLUSTERS = 16
DEFAULT_SAMPLE = 10_000
DEFAULT_MIN_WINDOW = 100
# Detectors whose records are not behaviour (novelty is computed from the reference itself).
EXCLUDED_DETECTORS = frozenset({"drift"})

T = TypeVar("T")


class Reservoir(Generic[T]):
    """Algorithm R: a uniform sample of k items from a stream of unknown length, in O(k) memory."""

    def __init__(self, k: int, seed: int = 0) -> None:
        self.k = k
        self.seen = 0
        self.items: list[T] = []
        self._rng = np.random.default_rng(seed)

    def add(self, items: Iterable[T]) -> None:
        for item in items:
            self.seen += 1
            if len(self.items) < self.k:
                self.items.append(item)
            else:
                j = int(self._rng.integers(0, self.seen))
                if j < self.k:
                    self.items[j] = item


def behaviour_samples(records: Iterable[ScoreRecord]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per detector: the record scores and flags (the drift detector's own records are left out)."""
    scores: dict[str, list[float]] = {}
    flags: dict[str, list[bool]] = {}
    for r in records:
        if r.detector in EXCLUDED_DETECTORS:
            continue
        scores.setdefault(r.detector, []).append(r.score)
        flags.setdefault(r.detector, []).append(r.flagged)
    return (
        {k: np.asarray(v, dtype=np.float32) for k, v in scores.items()},
        {k: np.asarray(v, dtype=bool) for k, v in flags.items()},
    )


def _length_summary(values: Sequence[float] | np.ndarray) -> dict[str, float]:
    v = np.asarray(values, dtype=np.float64)
    return {
        "mean": float(v.mean()),
        "p10": float(np.quantile(v, 0.1)),
        "p50": float(np.median(v)),
        "p90": float(np.quantile(v, 0.9)),
    }


def build_reference(
    vectors: np.ndarray,
    label_texts: Sequence[str],
    reply_lengths: Sequence[float] | np.ndarray,
    prompt_lengths: Sequence[float] | np.ndarray,
    records: Iterable[ScoreRecord] = (),
    *,
    n_seen: int | None = None,
    n_clusters: int = DEFAULT_CLUSTERS,
    seed: int = 0,
    encoder_manifest_hash: str | None = None,
    n_features: int = DEFAULT_FEATURES,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    alpha: float = 0.01,
    min_window: int = DEFAULT_MIN_WINDOW,
) -> ReferenceProfile:
    """Fit the profile on a sample of known-good conversations (one row per conversation)."""
    from sklearn.cluster import MiniBatchKMeans  # build time only: keeps scoring imports light
    from threadpoolctl import threadpool_limits

    x = np.asarray(vectors, dtype=np.float32)
    n = len(x)
    if x.ndim != 2 or n < MIN_REFERENCE:
        raise ReferenceInvalidError(
            f"a drift reference needs at least {MIN_REFERENCE} conversations, got {n}: build it from more traffic"
        )
    if not len(label_texts) == len(reply_lengths) == len(prompt_lengths) == n:
        raise ValueError("vectors, label_texts and lengths must have one row per conversation")
    rng = np.random.default_rng(seed)
    holdout_mask = np.zeros(n, dtype=bool)
    holdout_mask[rng.permutation(n)[: n // 2]] = True
    k = int(max(2, min(n_clusters, (n - n // 2) // 20)))
    # One thread: on a shared machine OpenMP threads oversubscribe and a 2,000-point fit takes seconds.
    with threadpool_limits(1):
        kmeans = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=1024).fit(x[~holdout_mask])
    centroids = kmeans.cluster_centers_.astype(np.float32)
    bandwidth = median_bandwidth(x, seed=seed)
    rff = RandomFourierFeatures.create(x.shape[1], bandwidth, n_features, seed)
    scores, flags = behaviour_samples(records)
    placeholder = ReferenceManifest(
        reference_id="",
        created_at=datetime.now(UTC),
        embedding_dim=int(x.shape[1]),
        n_seen=n_seen or n,
        n_sample=n,
        n_holdout=int(holdout_mask.sum()),
        seed=seed,
        bandwidth=bandwidth,
        n_features=n_features,
        n_permutations=n_permutations,
        nominal_alpha=alpha,
        alpha=alpha,
        min_window=min_window,
        clusters=[],
        encoder_manifest_hash=encoder_manifest_hash,
    )
    profile = ReferenceProfile(
        placeholder,
        x,
        holdout_mask,
        centroids,
        np.zeros(0, np.float32),
        rff,
        np.asarray(reply_lengths, dtype=np.float32),
        np.asarray(prompt_lengths, dtype=np.float32),
        scores,
        flags,
    )
    assignments, distances = profile.nearest(x)
    words = top_words(label_texts, assignments, k)
    shares = np.bincount(assignments[holdout_mask], minlength=k) / max(1, int(holdout_mask.sum()))
    digest = hashlib.sha256(x.tobytes()).hexdigest()[:12]
    manifest = placeholder.model_copy(
        update={
            "reference_id": f"ref-{digest}",
            "clusters": [
                ClusterInfo(index=i, label=" / ".join(w[:3]) or f"cluster {i}", top_words=w, share=float(shares[i]))
                for i, w in enumerate(words)
            ],
            "lengths": {"reply_chars": _length_summary(reply_lengths), "prompt_chars": _length_summary(prompt_lengths)},
            "detectors": {
                name: {"n": float(len(s)), "flag_rate": float(flags[name].mean()), "mean_score": float(s.mean())}
                for name, s in scores.items()
            },
        }
    )
    return replace(
        profile,
        manifest=manifest,
        holdout_distances=np.sort(distances[holdout_mask]).astype(np.float32),
        _cache={"assignments": assignments},
    )
