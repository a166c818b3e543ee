"""The encoder benchmark's arithmetic and a small end-to-end run of `benchmarks.encoder.main`."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
from onnx import numpy_helper

from benchmarks.encoder import main
from benchmarks.flops import MINILM_L6
from benchmarks.hardware import flop_per_cycle
from detectors.encoder import Manifest
from tests.encoder_fixtures import encoder_cache  # noqa: F401


def test_flop_count_matches_the_built_graph(encoder_cache: tuple[Path, Manifest]) -> None:  # noqa: F811
    cache, manifest = encoder_cache
    graph = onnx.load(str(manifest.path(cache, "fp32"))).graph
    weights = {i.name: i for i in graph.initializer}
    matmul_params = sum(numpy_helper.to_array(weights[n.input[1]]).size
                        for n in graph.node if n.op_type in ("MatMul", "Attention") and n.input[1] in weights)
    assert MINILM_L6.matmul_params == matmul_params
    assert MINILM_L6.sequence_flops(128) == 2 * matmul_params * 128 + 4 * 6 * 128 * 128 * 384


def test_flop_per_cycle_rules() -> None:
    assert flop_per_cycle("GenuineIntel", {"avx512f", "avx2", "fma"})[0] == 64
    assert flop_per_cycle("AuthenticAMD", {"avx512f", "avx2", "fma"})[0] == 32
    assert flop_per_cycle("GenuineIntel", {"avx2", "fma"})[0] == 32


def test_benchmark_runs_and_reports(encoder_cache: tuple[Path, Manifest], tmp_path: Path) -> None:  # noqa: F811
    cache, _ = encoder_cache
    argv = ["--n", "12", "--rounds", "1", "--skip-torch", "--no-int8", "--call-size", "4",
            "--model-cache", str(cache), "--out", str(tmp_path), "--name", "t", "--rss-texts", "8"]
    assert main(argv) == 0
    result = json.loads((tmp_path / "t.json").read_text())
    assert set(result["paths"]) == {"a_ceiling", "b_encoder", "c_naive_batch1", "c_naive_unsorted32"}
    for p in result["paths"].values():
        assert p["texts"] == 12 and p["tokens_per_s"] > 0 and p["p99_ms"] >= p["p50_ms"]
    assert result["ratios"]["b_over_a"] > 0 and result["gpu_estimate"]["measured"] is False
    assert result["machine"]["cpu"]["fp32_peak_gflops"] > 0
    assert "ESTIMATE" in (tmp_path / "t.md").read_text()
