"""The model build: provenance, fusion, idempotence, reproducibility, and refusing a wrong wheel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from detectors.config import DetectorConfig
from detectors.encoder import Encoder, Manifest, build_encoder
from detectors.encoder.manifest import encoder_dir, wheels_dir
from detectors.encoder.quantize import BLOCK_SIZE, block_quantize, dequantize
from detectors.encoder.wheel import WHEEL_FILE, WHEEL_SHA256, sha256_file
from detectors.errors import ModelBuildError, ModelNotFoundError
from tests.encoder_fixtures import encoder_cache  # noqa: F401  (pytest fixture)


def test_manifest_records_provenance_and_fusion(encoder_cache: tuple[Path, Manifest]) -> None:  # noqa: F811
    cache, manifest = encoder_cache
    assert manifest.source_wheel_sha256 == WHEEL_SHA256 == sha256_file(wheels_dir(cache) / WHEEL_FILE)
    assert manifest.source_files_sha256["model.safetensors"].startswith("53aa51172d14")  # fixture README's hash
    assert manifest.onnxruntime_version == ort.__version__ and manifest.opset == 17
    assert set(manifest.variants) == {"fp32", "fp16", "int8"}
    assert manifest.files_match(cache)
    fused = manifest.variants["fp32"].fused_ops
    assert fused == {"EmbedLayerNormalization": 1, "Attention": 6, "BiasGelu": 6, "SkipLayerNormalization": 12}


def test_graph_has_dynamic_axes_and_pooled_output(encoder_cache: tuple[Path, Manifest]) -> None:  # noqa: F811
    cache, manifest = encoder_cache
    for variant in ("fp32", "fp16", "int8"):
        graph = onnx.load(str(manifest.path(cache, variant)), load_external_data=False).graph
        inputs = {i.name: i.type.tensor_type for i in graph.input}
        assert set(inputs) == {"input_ids", "attention_mask"}
        for t in inputs.values():
            assert t.elem_type == onnx.TensorProto.INT64
            assert [d.dim_param for d in t.shape.dim] == ["batch", "sequence"]
        (out,) = graph.output
        assert out.name == "sentence_embedding" and out.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        assert [d.dim_value or d.dim_param for d in out.type.tensor_type.shape.dim] == ["batch", 384]


def test_int8_quantizes_every_matmul_by_blocks(encoder_cache: tuple[Path, Manifest]) -> None:  # noqa: F811
    """Every weight MatMul becomes MatMulNBits, and its weights decode to fp32's within half a step."""
    cache, manifest = encoder_cache
    fp32 = onnx.load(str(manifest.path(cache, "fp32")))
    int8 = onnx.load(str(manifest.path(cache, "int8")))
    weights = {t.name: t for t in fp32.graph.initializer}
    quantized = {t.name: numpy_helper.to_array(t) for t in int8.graph.initializer}
    matmuls = [n for n in fp32.graph.node if n.op_type == "MatMul" and n.input[1] in weights]
    nbits = [n for n in int8.graph.node if n.op_type == "MatMulNBits"]
    assert len(matmuls) == len(nbits) == 18
    assert not [n for n in int8.graph.node if n.op_type == "MatMul"]
    assert set(manifest.variants["int8"].fp32_nodes) == {
        n.name for n in fp32.graph.node if n.op_type in ("Attention", "EmbedLayerNormalization")}
    for node in nbits:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        assert attrs["bits"] == 8 and attrs["block_size"] == BLOCK_SIZE and attrs["accuracy_level"] == 4
        original = numpy_helper.to_array(weights[node.input[1].removesuffix("_Q8")])
        q, scales, zero_points = (quantized[name] for name in node.input[1:4])
        step = np.repeat(scales, BLOCK_SIZE, axis=1)[:, : original.shape[0]].T
        assert (np.abs(dequantize(q, scales, zero_points, original.shape[0]) - original) <= step / 2 + 1e-7).all()


def test_block_quantize_keeps_zero_exact_and_pads_k() -> None:
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((70, 5)).astype(np.float32)  # 70 is not a multiple of the block size
    weight[3, :] = 0.0
    weight[:, 1] *= 50.0  # one loud column must not coarsen the others: scales are per column and block
    q, scales, zero_points = block_quantize(weight, 32)
    assert q.shape == (5, 3, 32) and scales.shape == zero_points.shape == (5, 3)
    back = dequantize(q, scales, zero_points, 70)
    assert back.shape == weight.shape and (back[3] == 0.0).all()
    assert np.abs(back - weight)[:, 0].max() < np.abs(weight[:, 0]).max() / 100


def test_second_build_reuses_files(encoder_cache: tuple[Path, Manifest]) -> None:  # noqa: F811
    cache, manifest = encoder_cache
    again = build_encoder(DetectorConfig(model_cache_dir=cache))
    assert again.built_at == manifest.built_at  # nothing was rebuilt


@pytest.mark.slow
def test_build_is_reproducible(encoder_cache: tuple[Path, Manifest], tmp_path: Path) -> None:  # noqa: F811
    cache, manifest = encoder_cache
    fresh = build_encoder(DetectorConfig(model_cache_dir=tmp_path), wheel=wheels_dir(cache) / WHEEL_FILE)
    assert {k: v.sha256 for k, v in fresh.variants.items()} == {k: v.sha256 for k, v in manifest.variants.items()}
    assert fresh.content_hash() == manifest.content_hash()


def test_wheel_with_wrong_hash_is_rejected(tmp_path: Path) -> None:
    fake = tmp_path / WHEEL_FILE
    fake.write_bytes(b"not the model")
    with pytest.raises(ModelBuildError, match="sha256"):
        build_encoder(DetectorConfig(model_cache_dir=tmp_path / "cache"), wheel=fake)


def test_missing_model_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="sahaja model build"):
        Encoder.from_config(DetectorConfig(model_cache_dir=tmp_path))


def test_incomplete_files_are_not_loaded(encoder_cache: tuple[Path, Manifest], tmp_path: Path) -> None:  # noqa: F811
    cache, _ = encoder_cache
    folder = encoder_dir(tmp_path)
    folder.mkdir(parents=True)
    for name in ("manifest.json", "tokenizer.json"):
        (folder / name).write_bytes((encoder_dir(cache) / name).read_bytes())
    (folder / "fp32.onnx").write_bytes(b"truncated")
    with pytest.raises(ModelNotFoundError, match="sahaja model build"):
        Encoder.from_config(DetectorConfig(model_cache_dir=tmp_path))
    manifest = Manifest.model_validate(json.loads((folder / "manifest.json").read_text()))
    assert not manifest.files_match(tmp_path)


def test_public_api_is_exported() -> None:
    import detectors.encoder as package

    assert set(package.__all__) == {"Encoder", "Manifest", "ProviderUnavailableError", "build_encoder",
                                    "encoder_info", "ensure_encoder"}
    assert all(hasattr(package, name) for name in package.__all__)
