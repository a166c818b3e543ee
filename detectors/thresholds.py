"""Thresholds: one number per detector, chosen on dev data by training and shipped in a JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from detectors.errors import ThresholdsError

PACKAGED_THRESHOLDS = Path(__file__).parent / "heads" / "thresholds.json"


def load_thresholds(path: Path | None) -> dict[str, float]:
    """Read `{detector: threshold}`; the packaged file when no path is given."""
    source = path or PACKAGED_THRESHOLDS
    if not source.exists():
        if path is None:
            return {}
        raise ThresholdsError(f"thresholds file {source} does not exist")
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ThresholdsError(f"thresholds file {source} is unreadable: {exc}") from exc
    values = raw.get("thresholds", raw) if isinstance(raw, dict) else None
    if not isinstance(values, dict):
        raise ThresholdsError(f"thresholds file {source} must hold an object of detector -> number")
    out: dict[str, float] = {}
    for name, value in values.items():
        if not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
            raise ThresholdsError(f"threshold for {name!r} in {source} must be a number in [0, 1]")
        out[name] = float(value)
    return out
