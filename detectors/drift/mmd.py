"""Linear-time kernel two-sample test: MMD with random Fourier features and a permutation p-value.

With a Gaussian kernel approximated by D random Fourier features phi (Rahimi & Recht 2007), the
squared MMD between two samples is the squared distance of their feature means, so one window
costs O((n + m) * D) instead of the O((n + m)^2) kernel matrix. The permutation null reshuffles
the rows of the pooled feature matrix: each permutation is one random subset sum, and B of them
are one (B x N) @ (N x D) product, so a thousand permutations cost a fraction of a second.
The p-value counts the observed statistic among the permutations, p = (1 + #{T_b >= T}) / (1 + B),
which keeps the test exact at level alpha under exchangeability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

DEFAULT_FEATURES = 256
DEFAULT_PERMUTATIONS = 1000
_PERMUTATION_CHUNK = 128
_GATHER_RATIO = 8  # gather when the smaller group is under 1/8 of the pooled rows
_GATHER_FLOATS = 2**24  # rows gathered at once: 64 MiB of float32


@dataclass(frozen=True)
class RandomFourierFeatures:
    """phi(x) = sqrt(2 / D) cos(x W + b) with W ~ N(0, 1 / bandwidth^2): E[phi(x) phi(y)] = k(x, y)."""

    weights: np.ndarray  # (d, D)
    offsets: np.ndarray  # (D,)

    @classmethod
    def create(
        cls, dim: int, bandwidth: float, n_features: int = DEFAULT_FEATURES, seed: int = 0
    ) -> RandomFourierFeatures:
        rng = np.random.default_rng(seed)
        weights = (rng.standard_normal((dim, n_features)) / bandwidth).astype(np.float32)
        offsets = rng.uniform(0.0, 2.0 * np.pi, n_features).astype(np.float32)
        return cls(weights, offsets)

    @property
    def dim(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.weights.shape[1])

    def transform(self, x: np.ndarray) -> np.ndarray:
        proj = np.asarray(x, dtype=np.float32) @ self.weights
        proj += self.offsets
        np.cos(proj, out=proj)
        proj *= np.float32(np.sqrt(2.0 / self.n_features))
        return proj


def median_bandwidth(x: np.ndarray, seed: int = 0, max_points: int = 1000) -> float:
    """Median pairwise Euclidean distance of (a sample of) x: the usual kernel width heuristic."""
    rng = np.random.default_rng(seed)
    if len(x) > max_points:
        x = x[rng.choice(len(x), max_points, replace=False)]
    x = np.asarray(x, dtype=np.float64)
    sq = np.sum(x * x, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0)
    upper = d2[np.triu_indices(len(x), k=1)]
    median = float(np.sqrt(np.median(upper))) if len(upper) else 1.0
    return median if median > 0 else 1.0


@dataclass(frozen=True)
class MMDResult:
    statistic: float  # squared MMD estimate (biased, feature-mean form)
    p_value: float
    n_permutations: int
    null_mean: float
    null_std: float

    @property
    def effect_size(self) -> float:
        """MMD itself (the RKHS distance of the mean embeddings, in [0, sqrt(2)])."""
        return float(np.sqrt(max(self.statistic, 0.0)))

    @property
    def z(self) -> float:
        """How many permutation standard deviations the statistic lies above the null mean."""
        return (self.statistic - self.null_mean) / self.null_std if self.null_std > 0 else 0.0


def mmd_statistic(fx: np.ndarray, fy: np.ndarray) -> float:
    diff = fx.mean(axis=0, dtype=np.float64) - fy.mean(axis=0, dtype=np.float64)
    return float(diff @ diff)


def permutation_statistics(
    pooled: np.ndarray, n_first: int, n_permutations: int, rng: np.random.Generator
) -> np.ndarray:
    """MMD^2 of B random relabellings of the pooled rows into groups of n_first and N - n_first."""
    n_total = len(pooled)
    n_second = n_total - n_first
    small = min(n_first, n_second)  # drawing the smaller group is cheaper; MMD is symmetric
    n_small, n_large = (n_first, n_second) if small == n_first else (n_second, n_first)
    total = pooled.sum(axis=0, dtype=np.float64)
    out = np.empty(n_permutations, dtype=np.float64)
    # A small group is summed by gathering its rows (cost B * n_small * D); a large one through a
    # 0/1 selection matrix product (cost B * N * D, but one BLAS call per chunk).
    gather = n_small * _GATHER_RATIO < n_total
    chunk = (
        max(1, min(_PERMUTATION_CHUNK, _GATHER_FLOATS // (n_small * pooled.shape[1]))) if gather else _PERMUTATION_CHUNK
    )
    for start in range(0, n_permutations, chunk):
        count = min(chunk, n_permutations - start)
        picks = [rng.choice(n_total, n_small, replace=False) for _ in range(count)]
        if gather:
            sums = np.stack([pooled[pick].sum(axis=0) for pick in picks]).astype(np.float64)
        else:
            select = np.zeros((count, n_total), dtype=np.float32)
            for row, pick in enumerate(picks):
                select[row, pick] = 1.0
            sums = (select @ pooled).astype(np.float64)
        diff = sums / n_small - (total - sums) / n_large
        out[start : start + count] = np.einsum("ij,ij->i", diff, diff)
    return out


def mmd_test(
    ref_features: np.ndarray,
    window_features: np.ndarray,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    rng: np.random.Generator | None = None,
) -> MMDResult:
    """Permutation test of 'reference and window come from one distribution' on RFF features."""
    rng = rng or np.random.default_rng(0)
    observed = mmd_statistic(ref_features, window_features)
    pooled = np.concatenate([ref_features, window_features]).astype(np.float32, copy=False)
    # One BLAS thread: the encoder owns the cores, and on a busy 2-core machine two threads
    # oversubscribe and make these thin products 3-5x slower than one.
    with threadpool_limits(limits=1, user_api="blas"):
        null = permutation_statistics(pooled, len(ref_features), n_permutations, rng)
    p_value = (1.0 + float(np.sum(null >= observed))) / (1.0 + n_permutations)
    return MMDResult(observed, p_value, n_permutations, float(null.mean()), float(null.std()))


def gaussian_kernel(x: np.ndarray, y: np.ndarray, bandwidth: float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    d2 = np.sum(x * x, axis=1)[:, None] + np.sum(y * y, axis=1)[None, :] - 2.0 * (x @ y.T)
    np.maximum(d2, 0.0, out=d2)
    return np.exp(-d2 / np.float32(2.0 * bandwidth * bandwidth))


def pooled_kernel(x: np.ndarray, y: np.ndarray, bandwidth: float) -> np.ndarray:
    pooled = np.concatenate([x, y])
    return gaussian_kernel(pooled, pooled, bandwidth)


def exact_mmd_test(
    x: np.ndarray,
    y: np.ndarray,
    bandwidth: float,
    n_permutations: int,
    rng: np.random.Generator,
    kernel: np.ndarray | None = None,
) -> MMDResult:
    """Quadratic-time baseline: the same biased MMD^2 from the full kernel matrix, same permutation rule.

    Memory is (n + m)^2 floats: only the benchmark calls it, and only where that fits.
    """
    kernel = pooled_kernel(x, y, bandwidth) if kernel is None else kernel
    n_total, n_x = len(kernel), len(x)

    def stat(weights: np.ndarray) -> np.ndarray:  # weights (B, N): +1/n on x, -1/m on y
        return np.einsum("ij,ij->i", weights @ kernel, weights)

    base = np.full((1, n_total), -1.0 / (n_total - n_x), dtype=np.float32)
    base[0, :n_x] = 1.0 / n_x
    observed = float(stat(base)[0])
    null = np.empty(n_permutations, dtype=np.float64)
    for start in range(0, n_permutations, 32):
        count = min(32, n_permutations - start)
        weights = np.stack([base[0][rng.permutation(n_total)] for _ in range(count)])
        null[start : start + count] = stat(weights)
    p_value = (1.0 + float(np.sum(null >= observed))) / (1.0 + n_permutations)
    return MMDResult(observed, p_value, n_permutations, float(null.mean()), float(null.std()))
