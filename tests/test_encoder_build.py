"""The model build: provenance, fusion, idempotence, reproducibility, and refusing a wrong wheel."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import onnxruntime as ort
import pytest

from detectors.config import DetectorConfig
from detectors.encoder import Encoder, Manifest, build_encoder
from detectors.encoder.manifest import encoder_dir, wheels_dir
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
