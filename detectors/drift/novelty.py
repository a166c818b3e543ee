"""`drift`: a per-conversation novelty record, so single unusual conversations can be looked at.

Score = the share of held-out reference conversations that lie closer to their nearest topic
centroid than this conversation lies to its own: 0.5 is typical, 0.999 is farther out than
almost all of the reference. It is a quantile, not a probability of drift; the default flag
threshold (0.99) marks roughly the farthest 1% of reference-like traffic.
"""

from __future__ import annotations

from pathlib import Path

from detectors.base import Batch, register
from detectors.config import DetectorConfig
from detectors.drift.errors import REBUILD_HINT, ReferenceNotConfiguredError
from detectors.drift.reference import ReferenceProfile
from detectors.drift.text import drift_text
from detectors.schema import ScoreRecord, make_record

NAME = "drift"
VERSION = "1.0.0"
DEFAULT_THRESHOLD = 0.99


class DriftNovelty:
    """Distance to the nearest reference centroid, as a quantile of the reference's own distances."""

    name = NAME
    version = VERSION
    needs_embeddings = True

    def __init__(self, reference: Path | ReferenceProfile, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.profile = reference if isinstance(reference, ReferenceProfile) else ReferenceProfile.load(reference)
        self.threshold = threshold
        self._labels = {c.index: c.label for c in self.profile.manifest.clusters}

    def texts(self, batch: Batch) -> list[str]:
        return [drift_text(item.conversation) for item in batch.items]

    def score(self, batch: Batch) -> list[ScoreRecord]:
        if batch.embeddings is None:
            raise ValueError("the drift detector needs the batch embeddings")
        vectors = batch.embeddings.get(self.texts(batch))
        clusters, distances = self.profile.nearest(vectors)
        quantiles = self.profile.novelty(distances)
        return [
            make_record(
                item,
                turn=-1,
                detector=self.name,
                detector_version=self.version,
                score=float(q),
                threshold=self.threshold,
                details={
                    "nearest_cluster": int(c),
                    "cluster_label": self._labels.get(int(c), ""),
                    "distance": float(d),
                    "reference_id": self.profile.manifest.reference_id,
                },
                scored_at=batch.scored_at,
            )
            for item, c, d, q in zip(batch.items, clusters, distances, quantiles, strict=True)
        ]


@register(NAME)
def _factory(config: DetectorConfig, thresholds: dict[str, float]) -> DriftNovelty:
    if config.drift_reference is None:
        raise ReferenceNotConfiguredError(
            "the `drift` detector needs a reference profile: set drift_reference (SAHAJA_DRIFT_REFERENCE) to a "
            f"folder, or {REBUILD_HINT}; or remove `drift` from the enabled detectors"
        )
    return DriftNovelty(config.drift_reference, thresholds.get(NAME, DEFAULT_THRESHOLD))
