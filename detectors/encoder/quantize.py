"""The int8 encoder: weight-only 8-bit block quantization of every MatMul, written as `MatMulNBits`.

Each weight column is cut along K into blocks of `block_size` values with their own scale and zero
point, so one large weight cannot flatten the rest of its column. With `accuracy_level=4` MLAS
quantizes the activations to int8 per row and per block at run time and multiplies with integer
kernels: activation scales are fine-grained (BERT's outlier channels stay within their block) and a
text's vector does not depend on its batch-mates. Numpy only: no onnx_ir, no torch at build time.
See build.py's docstring for the measured alternatives.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

BITS = 8
BLOCK_SIZE = 32
ACCURACY_LEVEL = 4  # int8 activations, integer kernels (VNNI where the CPU has it)
MS_DOMAIN = "com.microsoft"


def block_quantize(weight: np.ndarray, block_size: int = BLOCK_SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """weight [K, N] -> (uint8 [N, blocks, block_size], float32 scales and uint8 zero points [N, blocks]).

    Asymmetric per block over a range that includes 0 (so 0 is exact); K is zero-padded to whole blocks.
    """
    k, n = weight.shape
    blocks = -(-k // block_size)
    padded = np.zeros((blocks * block_size, n), dtype=np.float32)
    padded[:k] = weight
    per_block = padded.T.reshape(n, blocks, block_size)
    lo = np.minimum(per_block.min(axis=2), 0.0)
    hi = np.maximum(per_block.max(axis=2), 0.0)
    qmax = float(2**BITS - 1)
    scales = (hi - lo) / qmax
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    zero_points = np.clip(np.round(-lo / scales), 0, qmax)
    q = np.clip(np.round(per_block / scales[..., None]) + zero_points[..., None], 0, qmax)
    return q.astype(np.uint8), scales, zero_points.astype(np.uint8)


def dequantize(q: np.ndarray, scales: np.ndarray, zero_points: np.ndarray, k: int) -> np.ndarray:
    """Inverse of `block_quantize` ([K, N] float32); what MatMulNBits multiplies with."""
    n = q.shape[0]
    values = (q.astype(np.float32) - zero_points[..., None]) * scales[..., None]
    return values.reshape(n, -1)[:, :k].T.copy()


def quantize_matmuls(model: onnx.ModelProto, *, block_size: int = BLOCK_SIZE,
                     accuracy_level: int = ACCURACY_LEVEL) -> tuple[onnx.ModelProto, list[str]]:
    """A copy of `model` with each MatMul by a 2-D float initializer replaced by MatMulNBits; names replaced.

    Fused ops that hold weights themselves (Attention's QKV, EmbedLayerNormalization) stay fp32.
    """
    out = onnx.ModelProto.FromString(model.SerializeToString())
    graph = out.graph
    inits = {t.name: t for t in graph.initializer}
    users: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            users[name] = users.get(name, 0) + 1
    nodes, replaced, dropped, added = [], [], set(), []
    for node in graph.node:
        weight = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if weight is None or len(weight.dims) != 2 or weight.data_type != onnx.TensorProto.FLOAT:
            nodes.append(node)
            continue
        array = numpy_helper.to_array(weight)
        q, scales, zero_points = block_quantize(array, block_size)
        base = weight.name
        added += [numpy_helper.from_array(q, f"{base}_Q{BITS}"), numpy_helper.from_array(scales, f"{base}_scales"),
                  numpy_helper.from_array(zero_points, f"{base}_zero_points")]
        nodes.append(helper.make_node(
            "MatMulNBits", [node.input[0], f"{base}_Q{BITS}", f"{base}_scales", f"{base}_zero_points"],
            list(node.output), name=f"{node.name}_Q{BITS}", domain=MS_DOMAIN,
            K=array.shape[0], N=array.shape[1], bits=BITS, block_size=block_size, accuracy_level=accuracy_level))
        replaced.append(node.name)
        if users.get(weight.name, 0) == 1:
            dropped.add(weight.name)
    del graph.node[:]
    graph.node.extend(nodes)
    kept = [t for t in graph.initializer if t.name not in dropped]
    del graph.initializer[:]
    graph.initializer.extend(kept + added)
    if not any(op.domain == MS_DOMAIN for op in out.opset_import):
        out.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    return out, replaced
