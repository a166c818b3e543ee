"""The BERT sentence-embedding graph, written node by node with `onnx.helper` from safetensors weights.

The node layout deliberately copies what a PyTorch export of `transformers.BertModel` looks like
(Reshape/Transpose per head, `Div` by sqrt(d), additive mask `(1 - mask) * -10000`, erf GELU as
Div/Erf/Add/Mul/Mul, `LayerNormalization` after each residual `Add`), because onnxruntime's
transformer optimizer fuses by matching exactly those patterns. Mean pooling over the attention
mask and L2 normalisation are part of the graph, so the output is the finished sentence embedding.
`token_type_ids` is not an input: it is `input_ids * 0` inside the graph (always segment 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
OUTPUT = "sentence_embedding"
POOLING_PREFIX = "pool/"  # node names kept in fp32 by the fp16 conversion


@dataclass(frozen=True)
class BertShape:
    """The few numbers of `config.json` the graph depends on."""

    layers: int
    hidden: int
    heads: int
    intermediate: int
    layer_norm_eps: float
    max_positions: int

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> BertShape:
        if config.get("hidden_act") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only BERT with erf GELU and absolute positions is supported")
        return cls(
            layers=int(config["num_hidden_layers"]),  # type: ignore[call-overload]
            hidden=int(config["hidden_size"]),  # type: ignore[call-overload]
            heads=int(config["num_attention_heads"]),  # type: ignore[call-overload]
            intermediate=int(config["intermediate_size"]),  # type: ignore[call-overload]
            layer_norm_eps=float(config["layer_norm_eps"]),  # type: ignore[arg-type]
            max_positions=int(config["max_position_embeddings"]),  # type: ignore[call-overload]
        )

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


class _GraphWriter:
    """Collects nodes and initializers; names every tensor after the module it comes from."""

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: dict[str, onnx.TensorProto] = {}

    def const(self, name: str, value: np.ndarray) -> str:
        if name not in self.initializers:
            self.initializers[name] = numpy_helper.from_array(np.array(value, order="C"), name)  # keeps 0-d scalars 0-d
        return name

    def weight(self, key: str, transpose: bool = False) -> str:
        value = self.weights[key].astype(np.float32)
        return self.const(key + (".T" if transpose else ""), value.T if transpose else value)

    def node(self, op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def linear(self, x: str, prefix: str) -> str:
        mm = self.node("MatMul", [x, self.weight(prefix + ".weight", transpose=True)], prefix + "/MatMul")
        return self.node("Add", [mm, self.weight(prefix + ".bias")], prefix + "/Add")

    def layer_norm(self, x: str, prefix: str, eps: float) -> str:
        inputs = [x, self.weight(prefix + ".weight"), self.weight(prefix + ".bias")]
        return self.node("LayerNormalization", inputs, prefix + "/LayerNorm", axis=-1, epsilon=eps)


def _embeddings(g: _GraphWriter, shape: BertShape) -> str:
    seq_len = g.node("Gather", [g.node("Shape", [INPUT_IDS], "emb/Shape"), g.const("c/one", np.array(1, np.int64))],
                     "emb/SeqLen")
    seq_end = g.node("Unsqueeze", [seq_len, g.const("c/axes0", np.array([0], np.int64))], "emb/SeqEnd")
    position_buffer = g.const("embeddings.position_ids", np.arange(shape.max_positions, dtype=np.int64)[None, :])
    position_ids = g.node(
        "Slice",
        [position_buffer, g.const("c/starts0", np.array([0], np.int64)), seq_end,
         g.const("c/axes1", np.array([1], np.int64)), g.const("c/steps1", np.array([1], np.int64))],
        "emb/PositionIds",
    )
    segment_ids = g.node("Mul", [INPUT_IDS, g.const("c/zero_i64", np.array(0, np.int64))], "emb/SegmentIds")
    word = g.node("Gather", [g.weight("embeddings.word_embeddings.weight"), INPUT_IDS], "emb/Word")
    segment = g.node("Gather", [g.weight("embeddings.token_type_embeddings.weight"), segment_ids], "emb/Segment")
    position = g.node("Gather", [g.weight("embeddings.position_embeddings.weight"), position_ids], "emb/Position")
    summed = g.node("Add", [g.node("Add", [word, segment], "emb/AddSegment"), position], "emb/AddPosition")
    return g.layer_norm(summed, "embeddings.LayerNorm", shape.layer_norm_eps)


def _additive_mask(g: _GraphWriter) -> str:
    m1 = g.node("Unsqueeze", [ATTENTION_MASK, g.const("c/axes1", np.array([1], np.int64))], "mask/Unsqueeze1")
    m2 = g.node("Unsqueeze", [m1, g.const("c/axes2", np.array([2], np.int64))], "mask/Unsqueeze2")
    mf = g.node("Cast", [m2], "mask/Cast", to=TensorProto.FLOAT)
    inverted = g.node("Sub", [g.const("c/one_f", np.array(1.0, np.float32)), mf], "mask/Sub")
    return g.node("Mul", [inverted, g.const("c/mask_value", np.array(-10000.0, np.float32))], "mask/Mul")


def _attention(g: _GraphWriter, x: str, mask: str, prefix: str, shape: BertShape) -> str:
    split = g.const("c/split_heads", np.array([0, 0, shape.heads, shape.head_dim], np.int64))
    merge = g.const("c/merge_heads", np.array([0, 0, shape.hidden], np.int64))

    def heads(kind: str, perm: list[int]) -> str:
        projected = g.linear(x, f"{prefix}.self.{kind}")
        reshaped = g.node("Reshape", [projected, split], f"{prefix}.self.{kind}/Reshape")
        return g.node("Transpose", [reshaped], f"{prefix}.self.{kind}/Transpose", perm=perm)

    q = heads("query", [0, 2, 1, 3])
    k = heads("key", [0, 2, 3, 1])
    v = heads("value", [0, 2, 1, 3])
    scores = g.node("MatMul", [q, k], f"{prefix}.self/QK")
    scale = g.const("c/sqrt_head_dim", np.array(math.sqrt(shape.head_dim), np.float32))
    scaled = g.node("Div", [scores, scale], f"{prefix}.self/Scale")
    probs = g.node("Softmax", [g.node("Add", [scaled, mask], f"{prefix}.self/AddMask")], f"{prefix}.self/Softmax",
                   axis=-1)
    context = g.node("MatMul", [probs, v], f"{prefix}.self/Context")
    context = g.node("Transpose", [context], f"{prefix}.self/ContextTranspose", perm=[0, 2, 1, 3])
    context = g.node("Reshape", [context, merge], f"{prefix}.self/ContextReshape")
    out = g.linear(context, f"{prefix}.output.dense")
    residual = g.node("Add", [out, x], f"{prefix}.output/Residual")
    return g.layer_norm(residual, f"{prefix}.output.LayerNorm", shape.layer_norm_eps)


def _gelu(g: _GraphWriter, x: str, prefix: str) -> str:
    scaled = g.node("Div", [x, g.const("c/sqrt2", np.array(math.sqrt(2.0), np.float32))], prefix + "/GeluDiv")
    erf = g.node("Erf", [scaled], prefix + "/GeluErf")
    plus_one = g.node("Add", [erf, g.const("c/one_f", np.array(1.0, np.float32))], prefix + "/GeluAdd")
    times_x = g.node("Mul", [x, plus_one], prefix + "/GeluMul")
    return g.node("Mul", [times_x, g.const("c/half", np.array(0.5, np.float32))], prefix + "/GeluHalf")


def _feed_forward(g: _GraphWriter, x: str, prefix: str, shape: BertShape) -> str:
    hidden = _gelu(g, g.linear(x, f"{prefix}.intermediate.dense"), f"{prefix}.intermediate")
    out = g.linear(hidden, f"{prefix}.output.dense")
    residual = g.node("Add", [out, x], f"{prefix}.output/Residual")
    return g.layer_norm(residual, f"{prefix}.output.LayerNorm", shape.layer_norm_eps)


def _mean_pool_and_normalise(g: _GraphWriter, hidden: str) -> str:
    p = POOLING_PREFIX
    mask = g.node("Cast", [ATTENTION_MASK], p + "MaskCast", to=TensorProto.FLOAT)
    mask = g.node("Unsqueeze", [mask, g.const("c/axes2", np.array([2], np.int64))], p + "MaskUnsqueeze")
    axis1 = g.const("c/axes1", np.array([1], np.int64))
    summed = g.node("ReduceSum", [g.node("Mul", [hidden, mask], p + "Masked"), axis1], p + "Sum", keepdims=0)
    count = g.node("ReduceSum", [mask, axis1], p + "Count", keepdims=0)
    count = g.node("Max", [count, g.const("c/count_eps", np.array(1e-9, np.float32))], p + "CountClamp")
    mean = g.node("Div", [summed, count], p + "Mean")
    norm = g.node("ReduceL2", [mean], p + "Norm", axes=[1], keepdims=1)
    norm = g.node("Max", [norm, g.const("c/norm_eps", np.array(1e-12, np.float32))], p + "NormClamp")
    return g.node("Div", [mean, norm], p + "Normalise")


def build_bert_graph(weights: Mapping[str, np.ndarray], shape: BertShape) -> onnx.ModelProto:
    """fp32 BERT + mean pooling + L2 norm: (input_ids, attention_mask) int64 [batch, seq] -> [batch, hidden]."""
    g = _GraphWriter(weights)
    x = _embeddings(g, shape)
    mask = _additive_mask(g)
    for i in range(shape.layers):
        prefix = f"encoder.layer.{i}"
        x = _attention(g, x, mask, prefix + ".attention", shape)
        x = _feed_forward(g, x, prefix, shape)
    pooled = _mean_pool_and_normalise(g, x)
    g.nodes.append(helper.make_node("Identity", [pooled], [OUTPUT], name="output"))

    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
              for n in (INPUT_IDS, ATTENTION_MASK)]
    output = helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", shape.hidden])
    graph = helper.make_graph(g.nodes, "sentence_bert", inputs, [output], list(g.initializers.values()))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="sahaja")
    model.ir_version = 8  # readable by onnxruntime >= 1.14
    onnx.checker.check_model(model)
    return model
