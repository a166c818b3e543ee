"""Standardisation that leaves near-constant columns alone, exportable with skl2onnx.

all-MiniLM-L6-v2 has three dead output dimensions (127, 223 and 319): across texts they hold
|values| around 1e-33 in the fp32 graph and around 1e-8 in the fp16 one. A plain `StandardScaler`
divides each column by its spread, so those columns were multiplied by ~1e32, and the fp16 graph's
rounding (or any other kernel's) became logits of 1e24: every head flipped on the CUDA default
(measured on CPU with the fp16 graph: xstest over-refusal F1 0.68 -> 0.09). A column whose standard
deviation is below `MIN_STD` is centred but not scaled; real embedding columns spread 1e-2 or more.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.preprocessing import StandardScaler

MIN_STD = 1e-4


class GuardedStandardScaler(StandardScaler):
    """`StandardScaler` whose scale is 1 for columns spread less than `MIN_STD`."""

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> GuardedStandardScaler:
        super().partial_fit(X, y, sample_weight)
        if self.scale_ is not None:
            self.scale_ = np.where(self.scale_ < MIN_STD, 1.0, self.scale_)
        return self


def _register_onnx_converter() -> None:
    """skl2onnx converts by class: reuse StandardScaler's converter (it reads mean_ and scale_)."""
    from skl2onnx import update_registered_converter
    from skl2onnx.operator_converters.scaler_op import convert_sklearn_scaler
    from skl2onnx.shape_calculators.scaler import calculate_sklearn_scaler_output_shapes

    update_registered_converter(
        GuardedStandardScaler, "SahajaGuardedStandardScaler", calculate_sklearn_scaler_output_shapes,
        convert_sklearn_scaler, options={"div": ["std", "div", "div_cast"]},
    )


_register_onnx_converter()
