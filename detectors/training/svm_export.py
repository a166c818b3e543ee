"""A calibrated RBF-kernel SVM head and its compact ONNX export (float16 support vectors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from detectors.heads.onnx_head import OnnxHead


def rbf_svc(c: float) -> Any:
    """RBF-kernel SVM with sigmoid-calibrated probabilities (exports to ONNX; no scaler: the
    embeddings are already L2-normalised)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    svc = SVC(C=c, kernel="rbf", class_weight="balanced")
    return CalibratedClassifierCV(svc, method="sigmoid", ensemble=False, cv=5)



def export_rbf_svc(model: Any, path: Path) -> Path:
    """The request head (calibrated RBF SVM, binary) as a small ONNX graph with a `probabilities` output.

    skl2onnx's SVMClassifier keeps support vectors as unpacked repeated floats (5 bytes each: 2.2 MB
    for ~1,200 vectors); this graph holds them as one float16 tensor (2 bytes each) and computes the
    same kernel sum and sigmoid calibration. Checked against scikit-learn on the support vectors."""
    from onnx import TensorProto, helper, numpy_helper

    calibrated = model.calibrated_classifiers_[0]
    svc, sigmoid = calibrated.estimator, calibrated.calibrators[0]
    sv = svc.support_vectors_.astype(np.float16)
    sv32 = sv.astype(np.float32)
    consts = {
        "sv_t": sv.T.copy(),
        "sv_sq": (sv32**2).sum(axis=1)[None, :].astype(np.float32),
        "coef": svc.dual_coef_.T.astype(np.float32),
        "intercept": np.asarray(svc.intercept_, np.float32),
        "neg_gamma": np.asarray([-svc._gamma], np.float32),
        "minus_two": np.asarray([-2.0], np.float32),
        "neg_a": np.asarray([-sigmoid.a_], np.float32),
        "neg_b": np.asarray([-sigmoid.b_], np.float32),
        "one": np.asarray([1.0], np.float32),
    }
    node = helper.make_node
    nodes = [
        node("Cast", ["sv_t"], ["sv_t32"], to=TensorProto.FLOAT),
        node("MatMul", ["features", "sv_t32"], ["dot"]),
        node("ReduceSumSquare", ["features"], ["x_sq"], axes=[1], keepdims=1),
        node("Mul", ["dot", "minus_two"], ["dot2"]),
        node("Add", ["dot2", "x_sq"], ["d_partial"]),
        node("Add", ["d_partial", "sv_sq"], ["dist"]),
        node("Mul", ["dist", "neg_gamma"], ["log_k"]),
        node("Exp", ["log_k"], ["kernel"]),
        node("MatMul", ["kernel", "coef"], ["raw"]),
        node("Add", ["raw", "intercept"], ["decision"]),
        node("Mul", ["decision", "neg_a"], ["scaled"]),
        node("Add", ["scaled", "neg_b"], ["logit"]),
        node("Sigmoid", ["logit"], ["p1"]),
        node("Sub", ["one", "p1"], ["p0"]),
        node("Concat", ["p0", "p1"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "rbf_svc_sigmoid",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [None, sv.shape[1]])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])],
        [numpy_helper.from_array(v, k) for k, v in consts.items()],
    )
    onx = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="sahaja", ir_version=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onx.SerializeToString())
    check = svc.support_vectors_[:: max(1, len(sv) // 200)]
    got = OnnxHead(path).predict_proba(check)
    gap = float(np.max(np.abs(got - model.predict_proba(check)[:, 1])))
    if gap > 1e-3:
        raise ValueError(f"ONNX export of the request head differs from scikit-learn by {gap:.4f}")
    return path
