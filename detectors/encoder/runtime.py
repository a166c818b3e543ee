"""The `Encoder`: strings in, L2-normalised all-MiniLM-L6-v2 sentence embeddings out, in input order.

Per call: tokenize (windows for long texts) -> sort by length and cut batches by token budget ->
run each padded batch (plain run on CPU, I/O binding on CUDA) -> scatter back -> pool windows.
It holds the session and the tokenizer and nothing per request, so memory stays flat.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from detectors.config import DetectorConfig
from detectors.encoder.batching import batches
from detectors.encoder.manifest import TOKENIZER_FILE, Manifest, encoder_dir, read_manifest
from detectors.encoder.providers import ActiveSession, open_session
from detectors.encoder.tokenize import MAX_WINDOWS_PER_TEXT, TextTokenizer
from detectors.errors import ModelNotFoundError

log = logging.getLogger(__name__)
BUILD_HINT = "run `sahaja model build`"


def pool_windows(vectors: np.ndarray, owners: np.ndarray, weights: np.ndarray, n_texts: int) -> np.ndarray:
    """Token-count-weighted mean of each text's window embeddings, re-normalised to unit length."""
    pooled = np.zeros((n_texts, vectors.shape[1]), dtype=np.float64)
    np.add.at(pooled, owners, vectors.astype(np.float64) * weights[:, None])
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return (pooled / norms).astype(np.float32)


class Encoder:
    """One ONNX session + tokenizer; `embed` is the only thing the detectors call."""

    def __init__(self, active: ActiveSession, tokenizer: TextTokenizer, manifest: Manifest, token_budget: int) -> None:
        self._active = active
        self._tokenizer = tokenizer
        self._manifest = manifest
        self._token_budget = token_budget

    @classmethod
    def from_config(cls, cfg: DetectorConfig, *, max_windows: int = MAX_WINDOWS_PER_TEXT,
                    **session_overrides: Any) -> Encoder:
        """Load the built files; `session_overrides` (available, session_factory, cuda_device) are for tests."""
        cache = Path(cfg.model_cache_dir)
        manifest = read_manifest(cache)
        folder = encoder_dir(cache)
        if manifest is None or not (folder / TOKENIZER_FILE).exists():
            raise ModelNotFoundError(f"no encoder manifest in {folder}: {BUILD_HINT}")
        for info in manifest.variants.values():
            path = folder / info.file
            if not path.exists() or path.stat().st_size != info.bytes:
                raise ModelNotFoundError(f"encoder file {path} missing or incomplete: {BUILD_HINT}")
        if cfg.max_length > manifest.max_positions:
            raise ValueError(f"max_length {cfg.max_length} exceeds the model's {manifest.max_positions} positions")

        def model_path(variant: str) -> Path:
            if variant not in manifest.variants:
                raise ModelNotFoundError(f"encoder variant {variant!r} not built: {BUILD_HINT}")
            return folder / manifest.variants[variant].file

        active = open_session(model_path, provider=cfg.provider, variant=cfg.encoder_variant,
                              intra_op_threads=cfg.intra_op_threads, dim=manifest.hidden_size,
                              **session_overrides)
        tokenizer = TextTokenizer.from_file(folder / TOKENIZER_FILE, cfg.max_length, max_windows)
        return cls(active, tokenizer, manifest, cfg.token_budget)

    @property
    def provider(self) -> str:
        return self._active.provider

    @property
    def provider_reason(self) -> str:
        return self._active.reason

    @property
    def variant(self) -> str:
        return self._active.variant

    @property
    def dim(self) -> int:
        return self._manifest.hidden_size

    @property
    def manifest(self) -> Manifest:
        return self._manifest

    @property
    def max_length(self) -> int:
        return self._tokenizer.max_length

    @property
    def session(self) -> Any:
        """The underlying onnxruntime session (benchmarks compare against it directly)."""
        return self._active.session

    @property
    def tokenizer(self) -> TextTokenizer:
        return self._tokenizer

    def run_sequences(self, sequences: Sequence[np.ndarray]) -> np.ndarray:
        """Embeddings of already tokenized sequences ([CLS] ... [SEP]), length-bucketed, in input order."""
        out = np.empty((len(sequences), self.dim), dtype=np.float32)
        for batch in batches(sequences, self._token_budget):
            out[batch.rows] = self._active.runner.run(batch.input_ids, batch.attention_mask)
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 [len(texts), dim], unit rows. Long texts: windows pooled by token count, never cut."""
        if isinstance(texts, str):
            raise TypeError("embed takes a sequence of strings, not one string")
        per_text = self._tokenizer.windows(texts)
        if all(len(w) == 1 for w in per_text):
            return self.run_sequences([w[0] for w in per_text])
        flat = [w for ws in per_text for w in ws]
        owners = np.repeat(np.arange(len(per_text)), [len(ws) for ws in per_text])
        weights = np.array([len(w) for w in flat], dtype=np.float64)
        return pool_windows(self.run_sequences(flat), owners, weights, len(per_text))

    def embed_truncated(self, texts: Sequence[str]) -> np.ndarray:
        """Like sentence-transformers: each text cut at `max_length` tokens. For equivalence checks."""
        if isinstance(texts, str):
            raise TypeError("embed_truncated takes a sequence of strings, not one string")
        return self.run_sequences(self._tokenizer.truncate(texts))

    def __repr__(self) -> str:
        return f"Encoder(variant={self.variant!r}, provider={self.provider!r}, max_length={self.max_length})"
