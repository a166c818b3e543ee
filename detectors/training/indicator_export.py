"""Export of the heads that read hashed n-grams: a logistic regression over dense columns plus a
sparse indicator block, as an ONNX graph that takes the set buckets instead of the block.

skl2onnx's graph takes the [n, dense + 4,096] matrix: each scored sentence costs a 16 KB row that
is ~99% zeros, copied three times inside the graph (column split, concat) and once to build it.
This graph gathers the weights of the buckets a row sets and sums them per row (ScatterElements
with add), the same logit as sum(weight x value) over the block. Checked against scikit-learn on
the training rows before it is written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from detectors.heads.onnx_head import SPARSE_INPUTS, IndicatorFeatures, OnnxHead

OPSET = 18  # ScatterElements' reduction="add"
MAX_EXPORT_GAP = 1e-4


def export_indicator_head(model: Pipeline, features: IndicatorFeatures, path: Path) -> Path:
    """Write `model` (from `dense_and_indicators_model`, fitted on `features.matrix()`) as a sparse head.

    Raises ValueError when the exported graph and scikit-learn disagree on `features`."""
    from onnx import TensorProto, helper, numpy_helper

    columns, classifier = model[0], model[-1]
    scaler = columns.named_transformers_["dense"]
    n_dense = features.dense.shape[1]
    if len(scaler.mean_) != n_dense or classifier.coef_.shape != (1, n_dense + features.ngrams.buckets):
        raise ValueError("the model was not fitted on these features' layout")
    coef = classifier.coef_[0]
    consts = {
        "mean": scaler.mean_.astype(np.float32),
        "scale": scaler.scale_.astype(np.float32),
        "dense_weights": coef[:n_dense, None].astype(np.float32),
        "ngram_weights": (coef[n_dense:] * features.ngrams.value).astype(np.float32),
        "intercept": np.asarray(classifier.intercept_, np.float32),
        "one": np.asarray([1.0], np.float32),
        "column_axis": np.asarray([1], np.int64),
    }
    dense, rows, ids = SPARSE_INPUTS
    node = helper.make_node
    nodes = [
        node("Sub", [dense, "mean"], ["centred"]),
        node("Div", ["centred", "scale"], ["standardised"]),
        node("MatMul", ["standardised", "dense_weights"], ["dense_logit"]),
        node("Gather", ["ngram_weights", ids], ["hit_weights"], axis=0),
        node("Shape", [dense], ["n_rows"], end=1),
        node("ConstantOfShape", ["n_rows"], ["zeros"], value=helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0])),
        node("ScatterElements", ["zeros", rows, "hit_weights"], ["ngram_logit_flat"], axis=0, reduction="add"),
        node("Unsqueeze", ["ngram_logit_flat", "column_axis"], ["ngram_logit"]),
        node("Add", ["dense_logit", "ngram_logit"], ["raw"]),
        node("Add", ["raw", "intercept"], ["logit"]),
        node("Sigmoid", ["logit"], ["p1"]),
        node("Sub", ["one", "p1"], ["p0"]),
        node("Concat", ["p0", "p1"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "dense_and_hashed_ngram_logistic",
        [
            helper.make_tensor_value_info(dense, TensorProto.FLOAT, [None, n_dense]),
            helper.make_tensor_value_info(rows, TensorProto.INT64, [None]),
            helper.make_tensor_value_info(ids, TensorProto.INT64, [None]),
        ],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])],
        [numpy_helper.from_array(v, k) for k, v in consts.items()],
    )
    onx = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="sahaja",
                            ir_version=8)
    helper.set_model_props(onx, {"ngram_buckets": str(features.ngrams.buckets),
                                 "ngram_value": repr(float(features.ngrams.value)), "n_dense": str(n_dense)})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onx.SerializeToString())
    gap = float(np.max(np.abs(OnnxHead(path).predict_proba(features) - model.predict_proba(features.matrix())[:, 1])))
    if gap > MAX_EXPORT_GAP:
        path.unlink()
        raise ValueError(f"sparse ONNX export of {path.name} differs from scikit-learn by {gap:.2e}")
    return path
