"""The request head's compact ONNX export computes what the calibrated scikit-learn SVM computes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from detectors.heads.onnx_head import OnnxHead, export_classifier
from detectors.training.refusal import unlike
from detectors.training.svm_export import export_rbf_svc, rbf_svc


def _unit_rows(rng: np.random.Generator, n: int, dims: int = 384) -> np.ndarray:
    x = rng.normal(size=(n, dims)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_compact_svm_export_matches_scikit_learn_and_is_smaller(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    centre = _unit_rows(rng, 1)[0]
    X = _unit_rows(rng, 300)
    y = (X @ centre > 0).astype(int)  # a boundary the RBF kernel has to learn from many support vectors
    model = rbf_svc(3.0).fit(X, y)
    compact = OnnxHead(export_rbf_svc(model, tmp_path / "compact.onnx"))
    probe = _unit_rows(rng, 200)
    expected = model.predict_proba(probe)[:, 1]
    assert np.max(np.abs(compact.predict_proba(probe) - expected)) < 1e-3
    assert 0.05 < float(np.mean(expected > 0.5)) < 0.95  # not a constant model
    reference = export_classifier(model, X.shape[1], tmp_path / "skl2onnx.onnx")
    assert (tmp_path / "compact.onnx").stat().st_size < reference.stat().st_size / 2
    assert compact.predict_proba(np.zeros((0, 384), np.float32)).shape == (0,)


def test_unlike_drops_templates_that_restate_a_held_out_prompt() -> None:
    rng = np.random.default_rng(3)
    held_out = _unit_rows(rng, 4)
    others = _unit_rows(rng, 5)
    extra = np.vstack([held_out[1], others])
    keep = unlike(held_out, extra)
    assert keep.tolist() == [False] + [True] * 5
    assert unlike(held_out, np.zeros((0, 384), np.float32)).shape == (0,)


def test_unlike_reads_only_the_prompt_columns() -> None:
    rng = np.random.default_rng(5)
    prompt = _unit_rows(rng, 1)
    held_out = np.hstack([prompt, _unit_rows(rng, 1, 3 * 384)])  # [prompt, response features]
    same_prompt_other_answer = np.hstack([prompt, _unit_rows(rng, 1, 3 * 384)])
    assert unlike(held_out, same_prompt_other_answer).tolist() == [False]
