"""Drift events: one row per test per window, plus one `overall` row with the verdict after correction.

These go to the lake table `{lake}/drift/` and to the topic `sahaja.drift` as they are.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.drift.twosample import TestOutcome

OVERALL = "overall"
Comparison = Literal["reference", "model_change"]


class ClusterShift(BaseModel):
    """A topic cluster whose share moved between the reference and the window."""

    model_config = ConfigDict(frozen=True)

    cluster: int
    label: str
    reference_share: float
    window_share: float
    delta: float
    example_conversation_ids: list[str] = Field(default_factory=list)


class DriftEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    window_id: str
    window_start: datetime
    window_end: datetime
    n: int = Field(description="conversations in the window")
    test: str = Field(
        description="embedding_mmd, topic_clusters, reply_length, flag_rate:<det>, score_ks:<det>, overall"
    )
    statistic: float
    p_value: float
    p_adjusted: float = Field(description="Holm-adjusted across the window's tests")
    effect_size: float
    drifted: bool
    alpha: float
    comparison: Comparison = "reference"
    reference_id: str
    clusters_gaining: list[ClusterShift] = Field(default_factory=list)
    clusters_losing: list[ClusterShift] = Field(default_factory=list)
    model_versions: list[str] = Field(default_factory=list)
    details: str = Field(default="{}", description="JSON string: test-specific numbers")

    def details_dict(self) -> dict[str, Any]:
        return json.loads(self.details)


def events_from_outcomes(
    outcomes: list[TestOutcome],
    adjusted: np.ndarray,
    *,
    alpha: float,
    common: dict[str, Any],
    gaining: list[ClusterShift],
    losing: list[ClusterShift],
) -> list[DriftEvent]:
    """Per-test events and the overall verdict; cluster shifts ride on the topic and overall rows."""
    events = []
    for outcome, p_adj in zip(outcomes, adjusted, strict=True):
        topical = outcome.test == "topic_clusters"
        events.append(
            DriftEvent(
                test=outcome.test,
                statistic=_finite(outcome.statistic),
                p_value=outcome.p_value,
                p_adjusted=float(p_adj),
                effect_size=_finite(outcome.effect_size),
                drifted=bool(p_adj <= alpha),
                alpha=alpha,
                clusters_gaining=gaining if topical else [],
                clusters_losing=losing if topical else [],
                details=json.dumps(outcome.details, sort_keys=True, default=float),
                **common,
            )
        )
    best = int(np.argmin(adjusted)) if len(adjusted) else -1
    drifted_tests = [e.test for e in events if e.drifted]
    events.append(
        DriftEvent(
            test=OVERALL,
            statistic=float(len(drifted_tests)),
            p_value=float(min((o.p_value for o in outcomes), default=1.0)),
            p_adjusted=float(adjusted[best]) if best >= 0 else 1.0,
            effect_size=_finite(outcomes[best].effect_size) if best >= 0 else 0.0,
            drifted=bool(drifted_tests),
            alpha=alpha,
            clusters_gaining=gaining,
            clusters_losing=losing,
            details=json.dumps(
                {
                    "drifted_tests": drifted_tests,
                    "strongest_test": outcomes[best].test if best >= 0 else None,
                    "n_tests": len(outcomes),
                    "correction": "holm",
                },
                sort_keys=True,
            ),
            **common,
        )
    )
    return events


def _finite(value: float) -> float:
    return float(value) if np.isfinite(value) else 0.0
