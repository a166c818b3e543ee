"""The machine a benchmark ran on, and its arithmetic peak, read from /proc and lscpu (no guessing hidden).

CPU peak fp32 = physical cores x FLOP per cycle per core x clock, where FLOP/cycle = FMA pipes x
SIMD lanes x 2. Pipes and lanes follow from the ISA flags and vendor (documented per branch below);
the clock is the highest `cpu MHz` in /proc/cpuinfo (a VM reports its nominal clock: turbo is
not counted, so the peak is a lower bound when turbo is active).
"""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Datasheet dense (no sparsity) FP16 tensor-core peaks, TFLOP/s, for the estimate when no GPU ran.
GPU_FP16_DENSE_TFLOPS = {"H100 SXM": 989.4, "H100 PCIe": 756.0, "H200": 989.4, "A100": 312.0, "L4": 121.0}


def _cpuinfo() -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = [{}]
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    for line in text.splitlines():
        if not line.strip():
            blocks.append({})
            continue
        key, _, value = line.partition(":")
        blocks[-1][key.strip()] = value.strip()
    return [b for b in blocks if b]


def _lscpu_max_mhz() -> float | None:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        if line.startswith("CPU max MHz:"):
            return float(line.split(":")[1])
    return None


def flop_per_cycle(vendor: str, flags: set[str]) -> tuple[int, str]:
    """fp32 FLOP per cycle per core, with the reasoning."""
    if "avx512f" in flags and vendor == "AuthenticAMD":
        return 32, "AMD Zen 4 AVX-512: 2 x 256-bit FMA pipes (512-bit ops double-pumped) = 2 x 8 lanes x 2"
    if "avx512f" in flags:
        return 64, "Intel AVX-512: 2 x 512-bit FMA ports = 2 x 16 lanes x 2 (1-port SKUs: half)"
    if "fma" in flags and "avx2" in flags:
        return 32, "AVX2 + FMA: 2 x 256-bit FMA pipes = 2 x 8 lanes x 2"
    return 8, "SSE: 2 x 128-bit pipes, no FMA = 2 x 4 lanes"


def cpu_info(cores_used: int) -> dict[str, Any]:
    blocks = _cpuinfo()
    first = blocks[0] if blocks else {}
    flags = set(first.get("flags", "").split())
    vendor = first.get("vendor_id", "unknown")
    mhz_cpuinfo = max((float(b["cpu MHz"]) for b in blocks if "cpu MHz" in b), default=0.0)
    mhz_max = _lscpu_max_mhz()
    mhz = mhz_max or mhz_cpuinfo
    per_cycle, why = flop_per_cycle(vendor, flags)
    peak = cores_used * per_cycle * mhz * 1e6
    return {
        "model": first.get("model name", platform.processor()),
        "vendor": vendor,
        "family_model": f"{first.get('cpu family', '?')}/{first.get('model', '?')}",
        "logical_cpus": os.cpu_count(),
        "cores_used": cores_used,
        "clock_mhz": mhz,
        "clock_source": "lscpu CPU max MHz" if mhz_max else "/proc/cpuinfo cpu MHz (nominal; turbo not counted)",
        "isa": sorted(flags & {"avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"}),
        "fp32_flop_per_cycle_per_core": per_cycle,
        "flop_per_cycle_reason": why,
        "fp32_peak_gflops": peak / 1e9,
        "load_average": list(os.getloadavg()),
    }


def machine_info(cores_used: int) -> dict[str, Any]:
    import numpy as np
    import onnxruntime as ort

    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "onnxruntime": ort.__version__,
        "numpy": np.__version__,
        "memory_gib": round(mem_kb / 2**20, 1),
        "cpu": cpu_info(cores_used),
    }
