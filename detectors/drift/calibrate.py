"""False-alarm control: correction across the tests of a window, and a level checked on reference splits.

Each window runs several tests; Holm's step-down correction keeps the chance that any of them
fires on a window without drift at or below alpha. The tests are valid by construction
(permutation, two-sample), but discrete scores, small clusters and in-sample cluster fits can
still bend them; so at build time the whole battery is run on pseudo-windows cut from the
reference's held-out half, and alpha is lowered until at most the target share of those
no-drift splits alarms. The level used is stored in the manifest and never raised above nominal.
"""

from __future__ import annotations

import numpy as np

from detectors.drift.battery import SampleView, run_battery
from detectors.drift.reference import ReferenceProfile

EXCESS_EVIDENCE = 0.05


def holm(p_values: list[float] | np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    p = np.asarray(p_values, dtype=np.float64)
    k = len(p)
    if k == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (k - np.arange(k)) * p[order])
    adjusted = np.empty(k)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


def split_reference(
    profile: ReferenceProfile, window_size: int, rng: np.random.Generator
) -> tuple[SampleView, SampleView]:
    """A no-drift pair: a pseudo-window from the held-out half, the rest of the reference against it."""
    holdout = np.flatnonzero(profile.holdout_mask)
    size = min(window_size, len(holdout) // 2)
    chosen = rng.choice(holdout, size, replace=False)
    in_window = np.zeros(len(profile.embeddings), dtype=bool)
    in_window[chosen] = True
    rest_holdout = profile.holdout_mask & ~in_window
    features = profile.features
    window_scores, window_flags, ref_scores, ref_flags = {}, {}, {}, {}
    for name, scores in profile.scores.items():
        share = rng.random(len(scores)) < size / (size + int(rest_holdout.sum()))
        window_scores[name], ref_scores[name] = scores[share], scores[~share]
        flags = profile.flags[name]
        window_flags[name], ref_flags[name] = flags[share], flags[~share]
    ref = SampleView(
        features[~in_window],
        np.bincount(profile.assignments[rest_holdout], minlength=profile.n_clusters),
        profile.reply_lengths[~in_window],
        ref_scores,
        ref_flags,
    )
    window = SampleView(
        features[in_window],
        np.bincount(profile.assignments[in_window], minlength=profile.n_clusters),
        profile.reply_lengths[in_window],
        window_scores,
        window_flags,
    )
    return ref, window


def calibrate(
    profile: ReferenceProfile,
    window_size: int,
    n_splits: int = 100,
    target: float | None = None,
    seed: int = 0,
) -> ReferenceProfile:
    """Run the battery on `n_splits` reference splits; lower alpha if they alarm more often than `target`.

    The smallest Holm-adjusted p-value of a split decides whether it alarms at a level alpha, so the
    share of splits alarming at alpha is the share whose minimum adjusted p-value is <= alpha.
    """
    from scipy import stats  # slow import; only reference builds calibrate

    manifest = profile.manifest
    nominal = manifest.nominal_alpha
    target = nominal if target is None else target
    rng = np.random.default_rng(seed)
    minima = []
    for _ in range(n_splits):
        ref, window = split_reference(profile, window_size, rng)
        outcomes = run_battery(ref, window, manifest.n_permutations, rng)
        minima.append(float(holm([o.p_value for o in outcomes]).min()) if outcomes else 1.0)
    minima_arr = np.sort(np.asarray(minima))
    alarms = int(np.sum(minima_arr <= nominal))
    # Lower alpha only when the splits show more alarms than chance allows for a valid level-`target`
    # battery (binomial tail < 5%); otherwise a lucky split would cost power for nothing.
    excess = float(stats.binom.sf(alarms - 1, n_splits, target)) < EXCESS_EVIDENCE
    allowed = int(np.floor(target * n_splits))
    alpha = nominal
    if excess:
        # Just below the (allowed + 1)-th smallest minimum: at most `allowed` splits alarm.
        alpha = float(np.nextafter(minima_arr[allowed], 0.0))
    rate_at_nominal = float(np.mean(minima_arr <= nominal))
    calibration = {
        "n_splits": n_splits,
        "window_size": int(min(window_size, int(profile.holdout_mask.sum()) // 2)),
        "target_false_alarm_rate": target,
        "false_alarm_rate_at_nominal": rate_at_nominal,
        "lowered": excess,
        "false_alarm_rate_at_alpha": float(np.mean(minima_arr <= alpha)),
        "seed": seed,
    }
    return profile.with_manifest(manifest.model_copy(update={"alpha": alpha, "calibration": calibration}))
