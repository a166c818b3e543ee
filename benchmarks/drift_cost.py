"""Cost of one drift window: the linear-time RFF test against an exact quadratic-time MMD, same run.

Both use the same Gaussian kernel width, the same biased MMD^2 and the same permutation rule, so
the ratio is the price of the kernel matrix. The exact test is run only where its (n + m)^2 kernel
matrix fits in memory; with more than 2,000 points it runs fewer permutations and the time for
the full count is extrapolated linearly (each permutation costs the same), and labelled so.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from detectors.drift.build import build_reference
from detectors.drift.mmd import (
    DEFAULT_FEATURES,
    RandomFourierFeatures,
    exact_mmd_test,
    median_bandwidth,
    mmd_test,
    pooled_kernel,
)
from detectors.drift.window import WindowData, evaluate_window

DIM = 384
EXACT_MAX_BYTES = 6 * 2**30  # kernel matrix (float32) plus its working copies must stay well inside RAM
EXACT_FULL_PERMUTATIONS_UNTIL = 2_000  # above this many points the exact test runs fewer permutations


def unit_vectors(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    x = centres[rng.integers(0, len(centres), n)] + rng.standard_normal((n, DIM)).astype(np.float32) * 0.05
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _timed(fn, repeats: int = 1) -> tuple[float, Any]:  # noqa: ANN001
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def run_cost(sizes: list[int], n_permutations: int, seed: int = 0, exact_permutations: int = 20) -> list[dict]:
    """All timings on one BLAS thread, as the product runs them (see `mmd_test`)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _run_cost(sizes, n_permutations, seed, exact_permutations)


def _run_cost(sizes: list[int], n_permutations: int, seed: int, exact_permutations: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, DIM)).astype(np.float32) * 0.05
    rows = []
    references = {n: unit_vectors(n, rng, centres) for n in sizes}
    windows = {m: unit_vectors(m, rng, centres) for m in sizes}
    for n in sizes:
        ref = references[n]
        bandwidth = median_bandwidth(ref)
        rff = RandomFourierFeatures.create(DIM, bandwidth, DEFAULT_FEATURES, seed)
        prep_s, ref_features = _timed(lambda ref=ref, rff=rff: rff.transform(ref))
        build_s, profile = _timed(
            lambda ref=ref, n=n: build_reference(
                ref, [""] * n, [100] * n, [50] * n, n_permutations=n_permutations, min_window=100, seed=seed
            )
        )
        profile.features  # noqa: B018 - reference features are computed once, when the reference loads
        for m in sizes:
            win = windows[m]
            repeats = 5 if n + m <= 20_000 else 2
            rff_s, result = _timed(
                lambda win=win, rff=rff, ref_features=ref_features: mmd_test(
                    ref_features, rff.transform(win), n_permutations, np.random.default_rng(seed)
                ),
                repeats,
            )
            window = WindowData([f"c{i}" for i in range(m)], ["v"] * m, win, [], np.full(m, 100, np.float32))
            battery_s, _ = _timed(
                lambda window=window, profile=profile: evaluate_window(profile, window, window_id="w", seed=seed),
                repeats,
            )
            row: dict[str, Any] = {
                "reference_n": n,
                "window_m": m,
                "dim": DIM,
                "rff_features": DEFAULT_FEATURES,
                "permutations": n_permutations,
                "rff_test_s": rff_s,
                "full_battery_s": battery_s,
                "reference_features_s": prep_s,
                "reference_build_s": build_s,
                "rff_p_value": result.p_value,
            }
            row.update(_exact(ref, win, bandwidth, n_permutations, exact_permutations, seed))
            if row.get("exact_test_s"):
                row["speedup_vs_exact"] = row["exact_test_s"] / rff_s
            rows.append(row)
            print(
                f"  n={n:>6} m={m:>6}: rff {rff_s:.3f}s, battery {battery_s:.3f}s, "
                f"exact {row.get('exact_test_s', 'skipped')}",
                flush=True,
            )
    return rows


def _exact(
    ref: np.ndarray, win: np.ndarray, bandwidth: float, n_permutations: int, reduced: int, seed: int
) -> dict[str, Any]:
    total = len(ref) + len(win)
    needed = 3 * 4 * total * total
    if needed > EXACT_MAX_BYTES:
        return {"exact": f"skipped: kernel matrix needs ~{needed / 2**30:.0f} GiB"}
    permutations = n_permutations if total <= EXACT_FULL_PERMUTATIONS_UNTIL else reduced
    # Same conditions as the linear test: one BLAS thread (see mmd_test).
    with threadpool_limits(limits=1, user_api="blas"):
        kernel_s, kernel = _timed(lambda: pooled_kernel(ref, win, bandwidth))
        start = time.perf_counter()
        result = exact_mmd_test(ref, win, bandwidth, permutations, np.random.default_rng(seed), kernel=kernel)
        test_s = time.perf_counter() - start
    kernel = None  # free the (n + m)^2 matrix before the next size
    # The kernel matrix is paid once and every permutation costs the same: extrapolate linearly.
    estimate = kernel_s + test_s * n_permutations / permutations
    return {
        "exact_test_s": estimate,
        "exact_kernel_s": kernel_s,
        "exact_permutations_run": permutations,
        "exact_extrapolated": permutations != n_permutations,
        "exact_p_value": result.p_value,
    }
