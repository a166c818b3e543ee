"""The reference profile: built once from known-good traffic, stored, and never recomputed per window.

A profile holds a uniform sample of drift-text embeddings, topic clusters fitted on one half of
that sample, and for the other half (the held-out half) the cluster counts and the distances to
the nearest centroid. Counting and calibrating on points the clusters never saw makes the
reference behave like a new window would, so topic tests and novelty quantiles are not biased by
an in-sample fit. It also keeps per-detector score samples and reply/prompt lengths.

Folder layout: `manifest.json` (readable summary and settings), `arrays.npz`, `scores.npz`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from detectors.drift.battery import SampleView
from detectors.drift.errors import (
    REBUILD_HINT,
    DimensionMismatchError,
    ReferenceInvalidError,
    ReferenceNotFoundError,
)
from detectors.drift.mmd import RandomFourierFeatures
from detectors.drift.text import DRIFT_TEXT_VERSION

FORMAT_VERSION = 1
MIN_REFERENCE = 50


class ClusterInfo(BaseModel):
    index: int
    label: str
    top_words: list[str]
    share: float = Field(description="share of the held-out half in this cluster")


class ReferenceManifest(BaseModel):
    """What a reader needs without loading arrays; also the settings the tests run with."""

    format_version: int = FORMAT_VERSION
    reference_id: str
    created_at: datetime
    embedding_dim: int
    encoder_manifest_hash: str | None = None
    drift_text_version: str = DRIFT_TEXT_VERSION
    n_seen: int
    n_sample: int
    n_holdout: int
    seed: int
    bandwidth: float
    n_features: int
    n_permutations: int
    nominal_alpha: float
    alpha: float = Field(description="level used per window after calibration (<= nominal_alpha)")
    min_window: int
    calibration: dict[str, Any] = Field(default_factory=dict)
    clusters: list[ClusterInfo]
    lengths: dict[str, dict[str, float]] = Field(default_factory=dict)
    detectors: dict[str, dict[str, float]] = Field(default_factory=dict)


@dataclass(frozen=True)
class ReferenceProfile:
    manifest: ReferenceManifest
    embeddings: np.ndarray  # (n, d) float32
    holdout_mask: np.ndarray  # (n,) bool: rows the clusters were not fitted on
    centroids: np.ndarray  # (K, d)
    holdout_distances: np.ndarray  # sorted distances of held-out rows to their nearest centroid
    rff: RandomFourierFeatures
    reply_lengths: np.ndarray
    prompt_lengths: np.ndarray
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    _cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_clusters(self) -> int:
        return len(self.centroids)

    @property
    def features(self) -> np.ndarray:
        if "features" not in self._cache:
            self._cache["features"] = self.rff.transform(self.embeddings)
        return self._cache["features"]

    @property
    def assignments(self) -> np.ndarray:
        if "assignments" not in self._cache:
            self._cache["assignments"] = self.nearest(self.embeddings)[0]
        return self._cache["assignments"]

    def with_manifest(self, manifest: ReferenceManifest) -> ReferenceProfile:
        return replace(self, manifest=manifest, _cache=self._cache)

    def check_dim(self, vectors: np.ndarray) -> None:
        dim = vectors.shape[1] if vectors.ndim == 2 else -1
        if dim != self.manifest.embedding_dim:
            raise DimensionMismatchError(
                f"embeddings have dimension {dim} but reference {self.manifest.reference_id} was built with "
                f"{self.manifest.embedding_dim}: the encoder changed, so {REBUILD_HINT}"
            )

    def nearest(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of and Euclidean distance to the nearest centroid, per row."""
        self.check_dim(vectors)
        x = np.asarray(vectors, dtype=np.float32)
        c = self.centroids
        d2 = np.sum(x * x, axis=1)[:, None] + np.sum(c * c, axis=1)[None, :] - 2.0 * (x @ c.T)
        idx = np.argmin(d2, axis=1)
        return idx, np.sqrt(np.maximum(d2[np.arange(len(x)), idx], 0.0))

    def novelty(self, distances: np.ndarray) -> np.ndarray:
        """Empirical quantile of each distance among the held-out reference distances, in [0, 1]."""
        ref = self.holdout_distances
        return np.searchsorted(ref, distances, side="right") / max(1, len(ref))

    def reference_view(self) -> SampleView:
        holdout = self.holdout_mask
        return SampleView(
            self.features,
            np.bincount(self.assignments[holdout], minlength=self.n_clusters),
            self.reply_lengths,
            self.scores,
            self.flags,
        )

    def window_view(
        self,
        vectors: np.ndarray,
        reply_lengths: np.ndarray | None = None,
        scores: Mapping[str, np.ndarray] | None = None,
        flags: Mapping[str, np.ndarray] | None = None,
    ) -> SampleView:
        self.check_dim(vectors)
        return SampleView(
            self.rff.transform(vectors),
            np.bincount(self.nearest(vectors)[0], minlength=self.n_clusters),
            reply_lengths,
            dict(scores or {}),
            dict(flags or {}),
        )

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(
            folder / "arrays.npz",
            embeddings=self.embeddings,
            holdout_mask=self.holdout_mask,
            centroids=self.centroids,
            holdout_distances=self.holdout_distances,
            rff_weights=self.rff.weights,
            rff_offsets=self.rff.offsets,
            reply_lengths=self.reply_lengths,
            prompt_lengths=self.prompt_lengths,
        )
        arrays = {f"score__{k}": v for k, v in self.scores.items()} | {f"flag__{k}": v for k, v in self.flags.items()}
        np.savez(folder / "scores.npz", **arrays)  # type: ignore[arg-type]
        # The manifest goes last: a folder with a manifest is complete.
        (folder / "manifest.json").write_text(self.manifest.model_dump_json(indent=2), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: Path | str) -> ReferenceProfile:
        folder = Path(folder)
        manifest_path = folder / "manifest.json"
        if not manifest_path.exists():
            raise ReferenceNotFoundError(f"no drift reference at {folder} (manifest.json missing): {REBUILD_HINT}")
        try:
            manifest = ReferenceManifest.model_validate_json(manifest_path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError) as exc:
            raise ReferenceInvalidError(
                f"drift reference manifest {manifest_path} is invalid ({exc}): {REBUILD_HINT}"
            ) from exc
        if manifest.format_version != FORMAT_VERSION:
            raise ReferenceInvalidError(
                f"drift reference {folder} has format {manifest.format_version}, "
                f"expected {FORMAT_VERSION}: {REBUILD_HINT}"
            )
        try:
            with np.load(folder / "arrays.npz") as a, np.load(folder / "scores.npz") as s:
                arrays = {k: a[k] for k in a.files}
                stored = {k: s[k] for k in s.files}
        except (OSError, ValueError, KeyError) as exc:
            raise ReferenceNotFoundError(
                f"drift reference arrays in {folder} are missing or unreadable ({exc}): {REBUILD_HINT}"
            ) from exc
        if len(arrays.get("embeddings", [])) < MIN_REFERENCE:
            raise ReferenceInvalidError(f"drift reference {folder} is empty: {REBUILD_HINT}")
        return cls(
            manifest,
            arrays["embeddings"],
            arrays["holdout_mask"].astype(bool),
            arrays["centroids"],
            arrays["holdout_distances"],
            RandomFourierFeatures(arrays["rff_weights"], arrays["rff_offsets"]),
            arrays["reply_lengths"],
            arrays["prompt_lengths"],
            {k.removeprefix("score__"): v for k, v in stored.items() if k.startswith("score__")},
            {k.removeprefix("flag__"): v.astype(bool) for k, v in stored.items() if k.startswith("flag__")},
        )
