"""Our ONNX encoder against the original model's vectors (tests/fixtures/minilm_reference.jsonl).

Compared in truncation mode (the reference truncates at 256), row by row, with token counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest

from detectors.config import DetectorConfig
from detectors.encoder import Encoder
from detectors.encoder.providers import CUDA
from tests.encoder_fixtures import cosines, encoder_cache, encoder_factory, reference_rows  # noqa: F401

Rows = list[dict[str, Any]]


def _compare(encoder: Encoder, rows: Rows) -> np.ndarray:
    texts = [r["text"] for r in rows]
    assert [len(ids) for ids in encoder.tokenizer.truncate(texts)] == [r["n_tokens"] for r in rows]
    got = encoder.embed_truncated(texts)
    assert got.dtype == np.float32 and got.shape == (len(rows), 384)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    return cosines(got, np.array([r["embedding"] for r in rows]))


def test_fp32_matches_reference(encoder_factory: Callable[..., Encoder], reference_rows: Rows) -> None:  # noqa: F811
    cos = _compare(encoder_factory("fp32"), reference_rows)
    assert cos.min() >= 0.9999, f"row {int(cos.argmin()) + 1}: cosine {cos.min():.6f}"


def test_int8_within_tolerance(encoder_factory: Callable[..., Encoder], reference_rows: Rows) -> None:  # noqa: F811
    """Issue 4 asks >= 0.99; the block-quantized int8 measures 0.9986, so 0.998 catches a worse recipe."""
    cos = _compare(encoder_factory("int8"), reference_rows)
    assert cos.min() >= 0.998, f"row {int(cos.argmin()) + 1}: cosine {cos.min():.6f}"


def test_int8_vector_does_not_depend_on_batch_mates(
    encoder_factory: Callable[..., Encoder], reference_rows: Rows  # noqa: F811
) -> None:
    """Per-tensor activation scales made a text's int8 vector depend on its batch; per-block ones must not."""
    encoder = encoder_factory("int8")
    texts = [r["text"] for r in reference_rows]
    alone = np.concatenate([encoder.embed_truncated([t]) for t in texts])
    assert cosines(encoder.embed_truncated(texts), alone).min() >= 0.99999


def test_fp16_file_executed_on_cpu(encoder_factory: Callable[..., Encoder], reference_rows: Rows) -> None:  # noqa: F811
    """Checks the fp16 conversion itself; the GPU kernels are covered by the CUDA test below."""
    cos = _compare(encoder_factory("fp16"), reference_rows)
    assert cos.min() >= 0.999, f"row {int(cos.argmin()) + 1}: cosine {cos.min():.6f}"


def test_fp16_on_cuda(encoder_cache, reference_rows: Rows) -> None:  # noqa: F811
    cache, _ = encoder_cache
    if CUDA not in ort.get_available_providers():
        pytest.skip("no CUDAExecutionProvider in this onnxruntime")
    encoder = Encoder.from_config(DetectorConfig(model_cache_dir=cache, provider="auto", encoder_variant="fp16"))
    if encoder.provider != CUDA:
        pytest.skip(f"CUDA not usable here: {encoder.provider_reason}")
    cos = _compare(encoder, reference_rows)
    assert cos.min() >= 0.999, f"row {int(cos.argmin()) + 1}: cosine {cos.min():.6f}"


def test_batched_equals_one_at_a_time(encoder_factory: Callable[..., Encoder], reference_rows: Rows) -> None:  # noqa: F811
    """Padding and the mask must not leak: a text's vector does not depend on its batch-mates."""
    encoder = encoder_factory("fp32")
    texts = [r["text"] for r in reference_rows]
    batched = encoder.embed_truncated(texts)
    alone = np.concatenate([encoder.embed_truncated([t]) for t in texts])
    assert cosines(batched, alone).min() >= 0.99999


def test_rows_the_fixture_says_are_identical(encoder_factory: Callable[..., Encoder], reference_rows: Rows) -> None:  # noqa: F811
    encoder = encoder_factory("fp32")
    vec = encoder.embed_truncated([r["text"] for r in reference_rows])
    for a, b in ((8, 53), (54, 55), (62, 63)):  # empty/whitespace, upper/lower case, 256 vs 257 tokens
        assert cosines(vec[a - 1:a], vec[b - 1:b])[0] >= 0.99999
    assert cosines(vec[0:1], vec[1:2])[0] < 0.999  # "Hello!" vs "hello" differ by the "!" token
