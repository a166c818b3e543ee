"""Reference profiles: build, save/load, bad input, and the whole battery's false alarms and power."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from detectors.drift import (
    DimensionMismatchError,
    ReferenceInvalidError,
    ReferenceNotFoundError,
    ReferenceProfile,
    WindowData,
    WindowTooSmallError,
    build_reference,
    evaluate_window,
)
from detectors.drift.calibrate import calibrate
from tests.drift_synthetic import DIM, N_TOPICS, conversations, records, sample, words_for

N_REF = 800


def make_profile(seed: int = 0, alpha: float = 0.01, flag_rate: float = 0.1) -> ReferenceProfile:
    rng = np.random.default_rng(seed)
    vectors, topics = sample(N_REF, rng)
    items = conversations(N_REF)
    return build_reference(
        vectors,
        words_for(topics),
        rng.integers(100, 400, N_REF),
        rng.integers(10, 80, N_REF),
        records(items, flag_rate, rng),
        n_clusters=8,
        seed=seed,
        n_permutations=199,
        alpha=alpha,
        min_window=50,
    )


def make_window(
    n: int, rng: np.random.Generator, novel_share: float = 0.0, flag_rate: float = 0.1, dim: int = DIM
) -> WindowData:
    vectors, topics = sample(n, rng, novel_share)
    if dim != DIM:
        vectors = np.hstack([vectors, np.zeros((n, dim - DIM), np.float32)])
    items = conversations(n, prefix="w")
    ids = [f"w{i}" if t < N_TOPICS else f"novel{i}" for i, t in enumerate(topics)]
    return WindowData(
        ids,
        ["v1"] * n,
        vectors,
        [i.event_time for i in items],
        rng.integers(100, 400, n).astype(np.float32),
        records(items, flag_rate, rng),
    )


@pytest.fixture(scope="module")
def profile() -> ReferenceProfile:
    return make_profile()


def test_profile_has_labelled_clusters_and_a_held_out_half(profile: ReferenceProfile) -> None:
    m = profile.manifest
    assert m.n_sample == N_REF and m.n_holdout == N_REF // 2 and m.embedding_dim == DIM
    assert sum(c.share for c in m.clusters) == pytest.approx(1.0)
    labels = " ".join(c.label for c in m.clusters)
    for word in ("python", "recipe", "travel", "poem"):
        assert word in labels
    assert set(m.detectors) == {"hedging"} and 0.05 < m.detectors["hedging"]["flag_rate"] < 0.15
    # Novelty quantiles come from held-out rows: a typical row sits mid-range, a far one at the top.
    near = profile.novelty(profile.nearest(profile.centroids + 0.01)[1])
    far = profile.novelty(profile.nearest(profile.centroids + 50.0)[1])
    assert near.max() < 0.2 and far.min() == 1.0


def test_save_load_roundtrip(profile: ReferenceProfile, tmp_path: Path) -> None:
    loaded = ReferenceProfile.load(profile.save(tmp_path / "ref"))
    assert loaded.manifest == profile.manifest
    for name in ("embeddings", "holdout_mask", "centroids", "holdout_distances", "reply_lengths"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(profile, name))
    np.testing.assert_array_equal(loaded.scores["hedging"], profile.scores["hedging"])
    window = make_window(200, np.random.default_rng(9), novel_share=0.2)
    before = evaluate_window(profile, window, window_id="w", seed=3)
    after = evaluate_window(loaded, window, window_id="w", seed=3)
    assert [e.model_dump() for e in before] == [e.model_dump() for e in after]


def test_bad_references_raise_typed_errors_with_the_fix(profile: ReferenceProfile, tmp_path: Path) -> None:
    with pytest.raises(ReferenceNotFoundError, match="sahaja drift reference"):
        ReferenceProfile.load(tmp_path / "nowhere")
    folder = profile.save(tmp_path / "ref")
    (folder / "arrays.npz").unlink()
    with pytest.raises(ReferenceNotFoundError, match="rebuild"):
        ReferenceProfile.load(folder)
    (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ReferenceInvalidError, match="rebuild"):
        ReferenceProfile.load(folder)
    with pytest.raises(ReferenceInvalidError, match="at least"):
        build_reference(np.zeros((10, DIM), np.float32), [""] * 10, [1] * 10, [1] * 10)
    empty = tmp_path / "empty"
    profile.save(empty)
    np.savez(empty / "arrays.npz", embeddings=np.zeros((0, DIM), np.float32))
    with pytest.raises(ReferenceInvalidError, match="empty"):
        ReferenceProfile.load(empty)


def test_bad_windows_raise(profile: ReferenceProfile) -> None:
    rng = np.random.default_rng(1)
    with pytest.raises(WindowTooSmallError, match="at least 50"):
        evaluate_window(profile, make_window(20, rng), window_id="small")
    with pytest.raises(DimensionMismatchError, match="rebuild"):
        evaluate_window(profile, make_window(100, rng, dim=DIM + 8), window_id="wide")


def test_null_windows_alarm_at_most_at_the_nominal_rate() -> None:
    profile = make_profile(seed=1, alpha=0.05)
    rng = np.random.default_rng(11)
    alarms = []
    for seed in range(50):
        events = evaluate_window(profile, make_window(150, rng), window_id=f"null{seed}", seed=seed)
        alarms.append(next(e for e in events if e.test == "overall").drifted)
    # Family-wise level 0.05 over ~5 tests: expect <= 2.5 of 50; 7 or more has probability < 1%.
    assert sum(alarms) <= 6


def test_a_clear_shift_alarms_and_names_the_gaining_cluster(profile: ReferenceProfile) -> None:
    window = make_window(300, np.random.default_rng(2), novel_share=0.3, flag_rate=0.3)
    events = {e.test: e for e in evaluate_window(profile, window, window_id="shift")}
    assert events["overall"].drifted
    assert events["embedding_mmd"].drifted and events["flag_rate:hedging"].drifted
    assert events["flag_rate:hedging"].effect_size > 0.1
    gaining = events["topic_clusters"].clusters_gaining
    # Examples are the members farthest from the centroid: the newcomers come first.
    assert gaining and all(i.startswith("novel") for i in gaining[0].example_conversation_ids)
    assert events["overall"].model_versions == ["v1"]
    assert json.loads(events["overall"].details)["correction"] == "holm"


def test_calibration_lowers_alpha_when_splits_alarm_too_often() -> None:
    loose = make_profile(seed=2, alpha=0.5)  # a level far above the 2% target must be pulled down
    tuned = calibrate(loose, window_size=150, n_splits=20, target=0.02, seed=0)
    cal = tuned.manifest.calibration
    assert cal["lowered"] and tuned.manifest.alpha < 0.5
    assert cal["false_alarm_rate_at_alpha"] <= 0.02 < cal["false_alarm_rate_at_nominal"]
    fine = calibrate(make_profile(seed=3, alpha=0.01), window_size=150, n_splits=20, seed=0)
    assert fine.manifest.calibration["false_alarm_rate_at_nominal"] <= 0.1
