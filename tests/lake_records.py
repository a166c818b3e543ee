"""One score record per source offset: what the lake tests write and count."""

from __future__ import annotations

from datetime import UTC, datetime

from detectors.schema import ScoreRecord

T = datetime(2026, 11, 1, 12, tzinfo=UTC)


def rec(offset: int, detector: str = "d") -> ScoreRecord:
    return ScoreRecord(
        conversation_id=f"c{offset}", turn=1, detector=detector, score=0.2, flagged=False, threshold=0.5,
        detector_version="1", event_time=T, scored_at=T, source_topic="in", source_partition=0,
        source_offset=offset,
    )  # fmt: skip
