"""Run and export the small scikit-learn heads as ONNX: no pickles at load time, one runtime for all."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from detectors.errors import HeadInputError, ModelNotFoundError
from detectors.heads.ngrams import NgramIds, stack_ngram_ids

MODELS_DIR = Path(__file__).parent / "models"

# A head that reads hashed n-grams sparsely takes these three inputs (see detectors/training/indicator_export.py).
SPARSE_INPUTS = ("dense", "ngram_rows", "ngram_ids")


@dataclass(frozen=True)
class IndicatorFeatures:
    """A head's input as its dense columns plus the hashed n-gram buckets each row sets.

    The same features as `matrix()` (dense columns, then the indicator block), without building a
    4,096-wide block that is ~99% zeros for every sentence a batch scores."""

    dense: np.ndarray  # float32 [n, d]
    ngrams: NgramIds

    def __post_init__(self) -> None:
        if len(self.dense) != self.ngrams.n_rows:
            raise ValueError(f"{len(self.dense)} dense rows but n-grams for {self.ngrams.n_rows}")

    def __len__(self) -> int:
        return len(self.dense)

    def matrix(self) -> np.ndarray:
        """The dense form the scikit-learn models are fitted on."""
        return np.hstack([np.asarray(self.dense, np.float32), self.ngrams.dense()])

    @staticmethod
    def stack(parts: list[IndicatorFeatures]) -> IndicatorFeatures:
        return IndicatorFeatures(np.vstack([p.dense for p in parts]), stack_ngram_ids([p.ngrams for p in parts]))


class OnnxHead:
    """A binary classifier exported to ONNX with a probability output: features in, P(positive) out.

    Dense heads take one `[n, features]` matrix; sparse heads (`SPARSE_INPUTS`) take
    `IndicatorFeatures` and record their n-gram layout in the model's metadata."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise ModelNotFoundError(f"head {path.name} is missing at {path}: run `sahaja train`")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # heads are tiny; threads cost more than they save
        self.path = path
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        inputs = self._session.get_inputs()
        self._input = inputs[0].name
        self.sparse = tuple(i.name for i in inputs) == SPARSE_INPUTS
        outputs = [o.name for o in self._session.get_outputs()]
        self._proba = "probabilities" if "probabilities" in outputs else outputs[-1]
        meta = self._session.get_modelmeta().custom_metadata_map
        if self.sparse and not {"ngram_buckets", "ngram_value"} <= meta.keys():
            raise HeadInputError(f"{path.name} reads n-grams sparsely but does not record their layout: "
                                 "re-export it with `sahaja train`")
        self.ngram_layout = (int(meta["ngram_buckets"]), float(meta["ngram_value"])) if self.sparse else None
        self.n_features = inputs[0].shape[1] + (self.ngram_layout[0] if self.ngram_layout else 0)

    @classmethod
    def packaged(cls, name: str) -> OnnxHead:
        return cls(MODELS_DIR / f"{name}.onnx")

    def predict_proba(self, features: np.ndarray | IndicatorFeatures) -> np.ndarray:
        """P(positive class) per row; an empty input gives an empty output."""
        if len(features) == 0:
            return np.zeros(0, dtype=np.float32)
        if isinstance(features, IndicatorFeatures):
            feeds = self._sparse_feeds(features) if self.sparse else {self._input: _float32(features.matrix())}
        elif self.sparse:
            raise HeadInputError(f"{self.path.name} reads hashed n-grams sparsely: pass IndicatorFeatures")
        else:
            feeds = {self._input: _float32(features)}
        proba = self._session.run([self._proba], feeds)[0]
        return np.asarray(proba[:, 1] if proba.ndim == 2 else proba, dtype=np.float32)

    def _sparse_feeds(self, features: IndicatorFeatures) -> dict[str, np.ndarray]:
        layout = (features.ngrams.buckets, features.ngrams.value)
        if layout != self.ngram_layout:
            raise HeadInputError(f"{self.path.name} was trained on n-grams (buckets, value) {self.ngram_layout}, "
                                 f"got {layout}")
        dense, rows, ids = SPARSE_INPUTS
        return {dense: _float32(features.dense), rows: features.ngrams.rows, ids: features.ngrams.ids}


def _float32(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float32)


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
