"""What `sahaja doctor` prints about the encoder: versions, provider in use and why, model hashes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import tokenizers

from detectors.config import DetectorConfig
from detectors.encoder.build import build_encoder
from detectors.encoder.manifest import encoder_dir, read_manifest
from detectors.encoder.runtime import Encoder
from detectors.errors import SahajaDetectorError


def encoder_info(cfg: DetectorConfig, *, open_session: bool = True, verify_hashes: bool = False) -> dict[str, Any]:
    """A JSON-ready report; never raises for a missing or broken model, it says so instead."""
    cache = Path(cfg.model_cache_dir)
    info: dict[str, Any] = {
        "versions": {"onnxruntime": ort.__version__, "onnx": onnx.__version__,
                     "tokenizers": tokenizers.__version__, "numpy": np.__version__},
        "available_providers": list(ort.get_available_providers()),
        "configured": {"provider": cfg.provider, "variant": cfg.encoder_variant, "max_length": cfg.max_length,
                       "token_budget": cfg.token_budget, "intra_op_threads": cfg.intra_op_threads},
        "model_dir": str(encoder_dir(cache)),
    }
    manifest = read_manifest(cache)
    if manifest is None:
        info["model"] = "missing: run `sahaja model build`"
        return info
    info["model"] = {
        "name": manifest.model_name,
        "source_wheel_sha256": manifest.source_wheel_sha256,
        "built_with_onnxruntime": manifest.onnxruntime_version,
        "built_at": manifest.built_at.isoformat() if manifest.built_at else None,
        "variants": {k: {"sha256": v.sha256, "bytes": v.bytes} for k, v in manifest.variants.items()},
    }
    if verify_hashes:
        info["model"]["files_match_manifest"] = manifest.files_match(cache)
    if open_session:
        try:
            encoder = Encoder.from_config(cfg)
            info["active"] = {"provider": encoder.provider, "variant": encoder.variant,
                              "reason": encoder.provider_reason}
        except SahajaDetectorError as exc:
            info["active"] = {"error": str(exc)}
    return info


def ensure_encoder(cfg: DetectorConfig) -> Encoder:
    """Build the files if they are missing or stale, then load the encoder."""
    build_encoder(cfg)
    return Encoder.from_config(cfg)
