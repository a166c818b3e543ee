"""The batch scoring entry point: validated conversations in, score records out.

Every path that scores (the stream worker, `/v1/score`, `sahaja score`, evaluation) calls
`Scorer.score`, so they cannot drift apart. The scorer fails open per detector: one head that
raises costs its own records for that batch (reported as a failure), never the others'.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from detectors.base import Batch, Detector, Embeddings, registered
from detectors.config import DetectorConfig
from detectors.embedding_memo import EmbeddingMemo
from detectors.errors import UnknownDetectorError
from detectors.schema import ScoreRecord, SourcedConversation
from detectors.thresholds import load_thresholds

log = logging.getLogger(__name__)

# Modules whose import registers detectors. Optional ones may be absent in a partial install.
DETECTOR_MODULES: tuple[str, ...] = ("detectors.baseline", "detectors.heads", "detectors.drift")


class EmbeddingBackend(Protocol):
    """What the scorer needs of an encoder."""

    provider: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


EncoderFactory = Callable[[DetectorConfig], EmbeddingBackend]


def load_detector_modules() -> None:
    for module in DETECTOR_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


@dataclass(frozen=True)
class DetectorFailure:
    """A detector that raised on a batch: its records for that batch are missing, the rest are not."""

    detector: str
    error: str
    n_items: int


@dataclass
class ScoreOutcome:
    records: list[ScoreRecord] = field(default_factory=list)
    failures: list[DetectorFailure] = field(default_factory=list)
    embeddings: Embeddings | None = None  # the batch's shared embeddings, for stateful consumers (drift)


def default_encoder_factory(config: DetectorConfig) -> EmbeddingBackend:
    from detectors.encoder import Encoder  # imported late: heavy, and absent detectors need none

    return Encoder.from_config(config)


class Scorer:
    """Runs the enabled detectors over a batch with one shared embedding pass."""

    def __init__(
        self,
        detectors: Sequence[Detector],
        config: DetectorConfig | None = None,
        encoder_factory: EncoderFactory = default_encoder_factory,
    ) -> None:
        self.detectors = list(detectors)
        self.config = config or DetectorConfig()
        self._encoder_factory = encoder_factory
        self._encoder: EmbeddingBackend | None = None
        self._memo = EmbeddingMemo(self.config.embedding_memo_size)

    @classmethod
    def from_config(
        cls, config: DetectorConfig, encoder_factory: EncoderFactory = default_encoder_factory
    ) -> Scorer:
        load_detector_modules()
        factories = registered()
        unknown = [n for n in config.enabled if n not in factories]
        if unknown:
            raise UnknownDetectorError(f"unknown detectors {unknown}; registered: {sorted(factories)}")
        thresholds = load_thresholds(config.thresholds_file)
        return cls([factories[n](config, thresholds) for n in config.enabled], config, encoder_factory)

    def subset(self, names: set[str]) -> Scorer:
        """A scorer over some of these detectors that shares this one's loaded encoder."""
        sub = Scorer([d for d in self.detectors if d.name in names], self.config, self._encoder_factory)
        sub._encoder = self._encoder
        sub._memo = self._memo
        return sub

    @property
    def memo_stats(self) -> tuple[int, int]:
        """(hits, misses) of the embedding memo since this scorer was built."""
        return self._memo.hits, self._memo.misses

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.detectors]

    @property
    def provider(self) -> str:
        """Active ONNX provider, or 'none' while no detector has needed the encoder."""
        return self._encoder.provider if self._encoder is not None else "none"

    def warm_up(self) -> None:
        """Load models now (readiness waits for this) rather than on the first batch."""
        if self._needs_encoder():
            self._encoder = self._encoder or self._encoder_factory(self.config)
        for det in self.detectors:
            warm = getattr(det, "warm_up", None)
            if callable(warm):
                warm()

    def _needs_encoder(self) -> bool:
        return any(not _is_lexical(d) for d in self.detectors)

    def _embed(self, texts: list[str]) -> Embeddings:
        if self._encoder is None:
            self._encoder = self._encoder_factory(self.config)
        try:
            vectors = self._memo.embed(texts, self._encoder.embed)
        except Exception:
            if self.config.provider == "cpu" or self._encoder.provider == "CPUExecutionProvider":
                raise
            # Fail open: a GPU that dies mid-run costs speed, not the stream.
            log.exception("encoder failed on %s; falling back to CPU", self._encoder.provider)
            self.config = self.config.model_copy(update={"provider": "cpu"})
            self._encoder = self._encoder_factory(self.config)
            self._memo.clear()  # vectors from the other provider differ in the last digits
            vectors = self._memo.embed(texts, self._encoder.embed)
        return Embeddings(texts, vectors)

    def score(self, items: Sequence[SourcedConversation], scored_at: datetime | None = None) -> ScoreOutcome:
        outcome = ScoreOutcome()
        if not items:
            return outcome
        batch = Batch(items=items, scored_at=scored_at or datetime.now(UTC))
        wanted: dict[str, None] = {}
        for det in self.detectors:
            try:
                wanted.update(dict.fromkeys(det.texts(batch)))
            except Exception as exc:  # noqa: BLE001 - fail open per detector
                outcome.failures.append(DetectorFailure(det.name, _describe(exc), len(items)))
        failed = {f.detector for f in outcome.failures}
        if wanted:
            try:
                batch = Batch(items=items, scored_at=batch.scored_at, embeddings=self._embed(list(wanted)))
            except Exception as exc:  # noqa: BLE001 - heads without embeddings still run
                log.exception("embedding failed for a batch of %d", len(items))
                for det in self.detectors:
                    if det.name not in failed and not _is_lexical(det):
                        outcome.failures.append(DetectorFailure(det.name, f"encoder: {_describe(exc)}", len(items)))
                failed = {f.detector for f in outcome.failures}
        outcome.embeddings = batch.embeddings
        for det in self.detectors:
            if det.name in failed:
                continue
            try:
                outcome.records.extend(det.score(batch))
            except Exception as exc:  # noqa: BLE001 - fail open per detector
                log.exception("detector %s failed on a batch of %d", det.name, len(items))
                outcome.failures.append(DetectorFailure(det.name, _describe(exc), len(items)))
        return outcome


def _is_lexical(det: Detector) -> bool:
    return not getattr(det, "needs_embeddings", False)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
