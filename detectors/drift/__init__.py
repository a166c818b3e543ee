"""Drift: a stored reference profile, streaming two-sample tests per window, per-conversation novelty.

Importing this package registers the `drift` detector. Pure: no Kafka or lake I/O here except
the reference folder and JSONL files (`sources`; the CLI gets a lake's tables from the sidecar's reader).
"""

from detectors.drift.build import build_reference
from detectors.drift.errors import (
    DimensionMismatchError,
    DriftError,
    ReferenceInvalidError,
    ReferenceNotConfiguredError,
    ReferenceNotFoundError,
    WindowTooSmallError,
)
from detectors.drift.events import ClusterShift, DriftEvent
from detectors.drift.monitor import DriftMonitor, drift_texts
from detectors.drift.novelty import DriftNovelty
from detectors.drift.reference import ReferenceProfile
from detectors.drift.text import drift_text
from detectors.drift.window import WindowData, evaluate_window

__all__ = [
    "ClusterShift",
    "DimensionMismatchError",
    "DriftError",
    "DriftEvent",
    "DriftMonitor",
    "DriftNovelty",
    "ReferenceInvalidError",
    "ReferenceNotConfiguredError",
    "ReferenceNotFoundError",
    "ReferenceProfile",
    "WindowData",
    "WindowTooSmallError",
    "build_reference",
    "drift_text",
    "drift_texts",
    "evaluate_window",
]
