"""`sahaja train`: every head from ../shared/data train splits, thresholds on dev, cards beside the models."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from typing import Any

from detectors.config import DetectorConfig

log = logging.getLogger(__name__)

# Training modules, in an order where no head needs another's output.
TRAINERS: dict[str, str] = {
    "hedging": "detectors.training.hedging",
    "refusal": "detectors.training.refusal",  # refusal and over_refusal
    "sycophancy": "detectors.training.sycophancy",
    "miscalibration": "detectors.training.miscalibration",
}


def train_all(config: DetectorConfig, only: Sequence[str] | None = None) -> dict[str, Any]:
    """Train the named heads (all by default); returns each trainer's dev metrics."""
    unknown = sorted(set(only or ()) - set(TRAINERS))
    if unknown:
        raise ValueError(f"unknown heads {unknown}; choose from {sorted(TRAINERS)}")
    results: dict[str, Any] = {}
    for name, module in TRAINERS.items():
        if only and name not in only:
            continue
        log.info("training %s", name)
        results[name] = importlib.import_module(module).train(config)
    return results
