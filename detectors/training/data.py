"""Read the staged datasets. Training and evaluation only: the product never needs ../shared."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from detectors.errors import SahajaDetectorError


class DataNotFoundError(SahajaDetectorError):
    """The training data folder is absent (it lives beside the repo, not in it)."""


def shared_data_dir() -> Path:
    """`SAHAJA_SHARED_DATA` or ../shared/data beside the repository root."""
    env = os.environ.get("SAHAJA_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def dataset_path(name: str, split: str) -> Path:
    path = shared_data_dir() / name / f"{split}.jsonl"
    if not path.exists():
        raise DataNotFoundError(f"{path} not found: set SAHAJA_SHARED_DATA to the shared/data folder")
    return path


def read_rows(name: str, split: str) -> list[dict[str, Any]]:
    with dataset_path(name, split).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def iter_rows(name: str, split: str) -> Iterator[dict[str, Any]]:
    with dataset_path(name, split).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def file_sha256(name: str, split: str) -> str:
    """Recorded in model cards so a trained head names the exact data it saw."""
    return hashlib.sha256(dataset_path(name, split).read_bytes()).hexdigest()
