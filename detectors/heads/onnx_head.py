"""Run and export the small scikit-learn heads as ONNX: no pickles at load time, one runtime for all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from detectors.errors import ModelNotFoundError

MODELS_DIR = Path(__file__).parent / "models"


class OnnxHead:
    """A binary classifier exported with skl2onnx (`zipmap: False`): features in, P(positive) out."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise ModelNotFoundError(f"head {path.name} is missing at {path}: run `sahaja train`")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # heads are tiny; threads cost more than they save
        self.path = path
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        outputs = [o.name for o in self._session.get_outputs()]
        self._proba = "probabilities" if "probabilities" in outputs else outputs[-1]
        self.n_features = self._session.get_inputs()[0].shape[1]

    @classmethod
    def packaged(cls, name: str) -> OnnxHead:
        return cls(MODELS_DIR / f"{name}.onnx")

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """P(positive class) per row; an empty input gives an empty output."""
        if len(features) == 0:
            return np.zeros(0, dtype=np.float32)
        x = np.ascontiguousarray(features, dtype=np.float32)
        proba = self._session.run([self._proba], {self._input: x})[0]
        return np.asarray(proba[:, 1] if proba.ndim == 2 else proba, dtype=np.float32)


def export_classifier(model: object, n_features: int, path: Path) -> Path:
    """Export a fitted scikit-learn classifier (or pipeline) to ONNX with a plain probability tensor."""
    from skl2onnx import to_onnx  # training-time only
    from skl2onnx.common.data_types import FloatTensorType

    onx = to_onnx(
        model,
        initial_types=[("features", FloatTensorType([None, n_features]))],
        options={id(model): {"zipmap": False}},
        target_opset=17,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onx.SerializeToString())
    return path
