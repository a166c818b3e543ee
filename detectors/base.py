"""The detector contract and its registry.

A detector is two pure steps over a batch: it names the texts it needs embedded, then it scores
from the shared embeddings. The pipeline embeds the union of all requests once per batch, so
adding a head never adds an encoder pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import numpy as np

from detectors.config import DetectorConfig
from detectors.schema import ScoreRecord, SourcedConversation


class Embeddings:
    """Read-only lookup of the batch's embeddings by text (each distinct text embedded once)."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        if len(texts) != len(vectors):
            raise ValueError("texts and vectors differ in length")
        self._index = {t: i for i, t in enumerate(texts)}
        self._vectors = vectors
        self.dim = int(vectors.shape[1]) if vectors.ndim == 2 else 0

    def __contains__(self, text: str) -> bool:
        return text in self._index

    def get(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._vectors[[self._index[t] for t in texts]]


@dataclass(frozen=True)
class Batch:
    """One scoring batch: validated conversations plus the time the batch was scored.

    `derived` holds values several detectors read, computed once per batch by the first that needs
    them (refusal's response heads, which over-refusal also reads); keys name their producer."""

    items: Sequence[SourcedConversation]
    scored_at: datetime
    embeddings: Embeddings | None = field(default=None)
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


@runtime_checkable
class Detector(Protocol):
    """A named, versioned head. `score` returns one record per assistant turn it judges."""

    name: str
    version: str

    def texts(self, batch: Batch) -> list[str]:
        """Texts this detector needs embedded (may be empty)."""
        ...

    def score(self, batch: Batch) -> list[ScoreRecord]: ...


DetectorFactory = Callable[[DetectorConfig, dict[str, float]], Detector]

_REGISTRY: dict[str, DetectorFactory] = {}


def register(name: str) -> Callable[[DetectorFactory], DetectorFactory]:
    """Register a detector factory under the name the settings and the evaluation use."""

    def wrap(factory: DetectorFactory) -> DetectorFactory:
        if name in _REGISTRY:
            raise ValueError(f"detector {name!r} registered twice")
        _REGISTRY[name] = factory
        return factory

    return wrap


def registered() -> dict[str, DetectorFactory]:
    return dict(_REGISTRY)
