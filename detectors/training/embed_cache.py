"""Embed training texts once and keep them on disk: retraining a head should not re-run the encoder."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from detectors.config import DetectorConfig


def _key(texts: Sequence[str], tag: str) -> str:
    digest = hashlib.sha256(tag.encode())
    for text in texts:
        digest.update(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
    return digest.hexdigest()[:24]


def embed_cached(texts: Sequence[str], config: DetectorConfig, encoder: object | None = None) -> np.ndarray:
    """`Encoder.embed(texts)` memoised under `<model_cache_dir>/embeddings/`, keyed by texts and variant."""
    from detectors.encoder import Encoder

    enc = encoder or Encoder.from_config(config)
    tag = f"{getattr(enc, 'variant', config.encoder_variant)}-{config.max_length}"
    path = Path(config.model_cache_dir) / "embeddings" / f"{_key(texts, tag)}.npy"
    if path.exists():
        return np.load(path)
    vectors = np.asarray(enc.embed(list(texts)), dtype=np.float32)  # type: ignore[attr-defined]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(path)
    return vectors
