"""Provider choice with only the GPU faked: the provider list and a CPU session posing as CUDA."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest

from detectors.config import DetectorConfig
from detectors.encoder import Encoder, Manifest, ProviderUnavailableError
from detectors.encoder.providers import CPU, CUDA, BoundRunner, PlainRunner, resolve_variant
from tests.encoder_fixtures import cosines, encoder_cache, reference_rows  # noqa: F401

LISTS_CUDA = lambda: [CUDA, CPU]  # noqa: E731
CPU_ONLY = lambda: [CPU]  # noqa: E731


class RecordingFactory:
    """Real CPU sessions. `gpu` says how the fake GPU behaves when a session asks for CUDA:
    'silent_fallback' (what onnxruntime-gpu does without CUDA libraries), 'broken' (reports CUDA,
    fails on run), 'works' (reports CUDA and runs, on CPU memory)."""

    def __init__(self, gpu: str) -> None:
        self.gpu = gpu
        self.calls: list[tuple[str, list[Any]]] = []

    def __call__(self, path: str, sess_options: ort.SessionOptions, providers: list[Any]) -> Any:
        self.calls.append((Path(path).name, providers))
        real = ort.InferenceSession(path, sess_options=sess_options, providers=[CPU])
        wants_cuda = any((p[0] if isinstance(p, tuple) else p) == CUDA for p in providers)
        if not wants_cuda or self.gpu == "silent_fallback":
            return real
        return _PosingAsCuda(real, broken=self.gpu == "broken")


class _PosingAsCuda:
    def __init__(self, real: ort.InferenceSession, broken: bool) -> None:
        self._real, self._broken = real, broken

    def get_providers(self) -> list[str]:
        return [CUDA, CPU]

    def io_binding(self) -> Any:
        return self._real.io_binding()

    def run_with_iobinding(self, binding: Any) -> None:
        if self._broken:
            raise RuntimeError("CUDA failure 35: CUDA driver version is insufficient")
        self._real.run_with_iobinding(binding)


def _open(cache: Path, *, provider: str = "auto", variant: str = "auto", **overrides: Any) -> Encoder:
    cfg = DetectorConfig(model_cache_dir=cache, provider=provider, encoder_variant=variant)
    return Encoder.from_config(cfg, **overrides)


def test_no_cuda_listed_means_cpu_fp32(encoder_cache: tuple[Path, Manifest]) -> None:  # noqa: F811
    factory = RecordingFactory("works")
    enc = _open(encoder_cache[0], available=CPU_ONLY, session_factory=factory)
    assert (enc.provider, enc.variant) == (CPU, "fp32")
    assert "not available" in enc.provider_reason
    assert factory.calls == [("fp32.onnx", [CPU])]
    assert isinstance(enc._active.runner, PlainRunner)


def test_listed_but_silently_falling_back_is_detected(encoder_cache: tuple[Path, Manifest]) -> None:  # noqa: F811
    factory = RecordingFactory("silent_fallback")
    enc = _open(encoder_cache[0], available=LISTS_CUDA, session_factory=factory)
    assert enc.provider == CPU and "fell back" in enc.provider_reason
    assert [name for name, _ in factory.calls] == ["fp16.onnx", "fp32.onnx"]


def test_cuda_that_fails_on_a_real_run_falls_back(encoder_cache: tuple[Path, Manifest]) -> None:  # noqa: F811
    enc = _open(encoder_cache[0], available=LISTS_CUDA, session_factory=RecordingFactory("broken"), cuda_device="cpu")
    assert enc.provider == CPU and "driver" in enc.provider_reason
    assert enc.embed(["still works"]).shape == (1, 384)


def test_forced_cuda_fails_loudly(encoder_cache: tuple[Path, Manifest]) -> None:  # noqa: F811
    with pytest.raises(ProviderUnavailableError, match="not available"):
        _open(encoder_cache[0], provider="cuda", available=CPU_ONLY, session_factory=RecordingFactory("works"))
    with pytest.raises(ProviderUnavailableError, match="fell back"):
        _open(encoder_cache[0], provider="cuda", available=LISTS_CUDA,
              session_factory=RecordingFactory("silent_fallback"))


def test_working_cuda_uses_fp16_and_io_binding(encoder_cache, reference_rows) -> None:  # noqa: F811
    enc = _open(encoder_cache[0], available=LISTS_CUDA, session_factory=RecordingFactory("works"), cuda_device="cpu")
    assert (enc.provider, enc.variant) == (CUDA, "fp16")
    assert isinstance(enc._active.runner, BoundRunner)
    rows = reference_rows[:16]
    got = enc.embed_truncated([r["text"] for r in rows])
    assert cosines(got, np.array([r["embedding"] for r in rows])).min() >= 0.999


def test_provider_cpu_never_asks_for_cuda(encoder_cache: tuple[Path, Manifest]) -> None:  # noqa: F811
    factory = RecordingFactory("works")
    enc = _open(encoder_cache[0], provider="cpu", variant="int8", available=LISTS_CUDA, session_factory=factory)
    assert (enc.provider, enc.variant) == (CPU, "int8")
    assert factory.calls == [("int8.onnx", [CPU])]


def test_auto_variant_per_provider() -> None:
    assert resolve_variant("auto", CUDA) == "fp16"
    assert resolve_variant("auto", CPU) == "fp32"
    assert resolve_variant("int8", CUDA) == "int8"
