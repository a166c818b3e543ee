"""One way for the head tests to build a warmed scorer and score a batch with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from detectors.config import DetectorConfig
from detectors.pipeline import Scorer
from detectors.schema import ScoreRecord, SourcedConversation


def warm_scorer(*detectors: str) -> Scorer:
    """A CPU scorer over `detectors` with its models loaded; skips when the encoder cannot be had."""
    try:
        scorer = Scorer.from_config(DetectorConfig(enabled=detectors, provider="cpu"))
        scorer.warm_up()
    except Exception as exc:  # noqa: BLE001 - the encoder model is built outside the tests
        pytest.skip(f"encoder or heads unavailable: {type(exc).__name__}: {exc}")
    return scorer


def scored_records(scorer: Scorer, items: list[SourcedConversation]) -> list[ScoreRecord]:
    outcome = scorer.score(items, scored_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert outcome.failures == []
    return outcome.records
