"""Which execution provider really runs the encoder, and the two ways of running a session.

onnxruntime-gpu lists CUDAExecutionProvider even where libcudart/cuDNN are missing, then quietly
builds a CPU-only session. So CUDA counts as working only when a session created for it reports
CUDA first *and* a tiny real input runs through it; anything else falls back to CPU ('auto') or
raises `ProviderUnavailableError` ('cuda'). `available` and `session_factory` are parameters so
tests can fake the GPU and nothing else.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import onnxruntime as ort

from detectors.encoder.graph import ATTENTION_MASK, INPUT_IDS, OUTPUT
from detectors.errors import SahajaDetectorError

log = logging.getLogger(__name__)
CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
SessionFactory = Callable[..., Any]


class ProviderUnavailableError(SahajaDetectorError):
    """The configured provider ('cuda') cannot run the encoder here."""


def physical_cores() -> int:
    """Physical cores this process may use (SMT siblings counted once), from sysfs topology."""
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))
    cores = set()
    for cpu in allowed:
        base = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add((base.joinpath("physical_package_id").read_text().strip(),
                       base.joinpath("core_id").read_text().strip()))
        except OSError:
            cores.add(("?", str(cpu)))
    return max(1, len(cores))


def session_options(intra_op_threads: int) -> ort.SessionOptions:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = intra_op_threads or physical_cores()
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.enable_mem_pattern = False  # shapes change every batch; patterns would only pile up
    return opts


class Runner(Protocol):
    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray: ...


class PlainRunner:
    """`session.run` with numpy in and out: the CPU path."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        out = self.session.run([OUTPUT], {INPUT_IDS: input_ids, ATTENTION_MASK: attention_mask})[0]
        return np.asarray(out, dtype=np.float32)


class BoundRunner:
    """I/O binding: inputs copied to `device` once as OrtValues, output allocated there by ORT.

    Used on CUDA; with device 'cpu' it runs the same code on any machine, which is how it is tested.
    """

    def __init__(self, session: Any, device: str, device_id: int = 0) -> None:
        self.session = session
        self.device = device
        self.device_id = device_id

    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        binding = self.session.io_binding()
        for name, array in ((INPUT_IDS, input_ids), (ATTENTION_MASK, attention_mask)):
            value = ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(array), self.device, self.device_id)
            binding.bind_ortvalue_input(name, value)
        binding.bind_output(OUTPUT, self.device, self.device_id)
        self.session.run_with_iobinding(binding)
        return np.asarray(binding.copy_outputs_to_cpu()[0], dtype=np.float32)


@dataclass(frozen=True)
class ActiveSession:
    session: Any
    runner: Runner
    provider: str
    variant: str
    reason: str  # why this provider: shown in logs and `sahaja doctor`


def probe(runner: Runner, dim: int) -> None:
    """One [CLS] [SEP] row through the session: raises unless a finite unit vector comes back."""
    ids = np.array([[101, 102]], dtype=np.int64)
    out = runner.run(ids, np.ones_like(ids))
    if out.shape != (1, dim) or not np.all(np.isfinite(out)) or abs(float(np.linalg.norm(out)) - 1.0) > 1e-2:
        raise RuntimeError(f"probe returned shape {out.shape}, norm {float(np.linalg.norm(out)):.4f}")


def resolve_variant(variant: str, provider: str) -> str:
    if variant != "auto":
        return variant
    # fp16 on GPU; fp32 on CPU: int8 (8-bit block MatMulNBits, cosine >= 0.998) is only ~1.1x fp32 on
    # the CPUs measured (see build.py), and the detectors' thresholds were chosen on fp32 embeddings.
    return "fp16" if provider == CUDA else "fp32"


def _try_cuda(
    model_path: Callable[[str], Path], variant: str, opts: ort.SessionOptions, dim: int, factory: SessionFactory,
    device: str,
) -> ActiveSession:
    chosen = resolve_variant(variant, CUDA)
    # onnxruntime prints its own red errors when CUDA libraries are missing; our log line says it once.
    ort.set_default_logger_severity(4)
    try:
        session = factory(str(model_path(chosen)), sess_options=opts, providers=[(CUDA, {"device_id": 0}), CPU])
    finally:
        ort.set_default_logger_severity(2)
    active = list(session.get_providers())
    if not active or active[0] != CUDA:
        raise RuntimeError(f"session fell back to {active} (CUDA libraries missing?)")
    runner = BoundRunner(session, device, 0)
    probe(runner, dim)
    return ActiveSession(session, runner, CUDA, chosen, "CUDA listed and a probe run succeeded")


def open_session(
    model_path: Callable[[str], Path],
    *,
    provider: str,
    variant: str,
    intra_op_threads: int,
    dim: int,
    available: Callable[[], Sequence[str]] = ort.get_available_providers,
    session_factory: SessionFactory = ort.InferenceSession,
    cuda_device: str = "cuda",
) -> ActiveSession:
    """Open the encoder session on the best provider that really works; `model_path(variant)` names files.

    `available`, `session_factory` and `cuda_device` replace the GPU in tests (a CPU session posing as CUDA).
    """
    opts = session_options(intra_op_threads)
    reason = "provider set to cpu"
    if provider in ("auto", "cuda"):
        listed = list(available())
        if CUDA not in listed:
            reason = f"CUDAExecutionProvider not available (onnxruntime lists {listed})"
        else:
            try:
                active = _try_cuda(model_path, variant, opts, dim, session_factory, cuda_device)
                log.info("encoder on %s (%s, %s)", active.provider, active.variant, active.reason)
                return active
            except Exception as exc:  # noqa: BLE001 - any CUDA failure means: not usable here
                reason = f"CUDA listed but not usable: {exc}"
        if provider == "cuda":
            raise ProviderUnavailableError(f"provider 'cuda' requested but {reason}")
    chosen = resolve_variant(variant, CPU)
    session = session_factory(str(model_path(chosen)), sess_options=opts, providers=[CPU])
    runner = PlainRunner(session)
    probe(runner, dim)
    log.info("encoder on %s (%s, %d threads; %s)", CPU, chosen, opts.intra_op_num_threads, reason)
    return ActiveSession(session, runner, CPU, chosen, reason)
