"""The batch manifest: what a training job reads first to trust a batch, and how it checks it.

`verify_batch` recomputes every file's sha256 and re-checks every row against TRL's documented
schema; `announcement` is the small message a training job subscribes to on the batches topic.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from feedback.candidates import CANDIDATE_SCHEMA_VERSION
from feedback.errors import BatchCorruptError
from feedback.trl_format import schema_problems

EXPORT_SCHEMA_VERSION = "1"


class FileEntry(BaseModel):
    model_config = ConfigDict(frozen=True)
    sha256: str
    bytes: int
    rows: int


class OffsetRange(BaseModel):
    model_config = ConfigDict(frozen=True)
    topic: str
    partition: int
    first_offset: int
    last_offset: int
    rows: int


class Manifest(BaseModel):
    """What a training job needs to trust a batch: what is in it, where it came from, its hashes."""

    model_config = ConfigDict(frozen=True)

    schema_version: str = EXPORT_SCHEMA_VERSION
    candidate_schema_version: str = CANDIDATE_SCHEMA_VERSION
    batch_id: str
    formats: dict[str, str]
    counts: dict[str, Any]
    filters: dict[str, Any]
    decided_range: list[datetime]
    source_offsets: list[OffsetRange]
    pii: dict[str, Any]
    files: dict[str, FileEntry]


class Publisher(Protocol):
    """Where an announcement goes (the caller wraps its Kafka producer)."""

    def send(self, topic: str, key: bytes, value: bytes) -> object: ...


def manifest_bytes(manifest: Manifest) -> bytes:
    return (json.dumps(manifest.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def verify_batch(batch_dir: Path | str) -> Manifest:
    """Check every file against the manifest's sha256 and every row against the TRL schema."""
    batch_dir = Path(batch_dir)
    manifest = Manifest.model_validate_json((batch_dir / "manifest.json").read_bytes())
    present = {p.name for p in batch_dir.iterdir()} - {"manifest.json"}
    if present != set(manifest.files):
        raise BatchCorruptError(f"files {sorted(present)} differ from the manifest's {sorted(manifest.files)}")
    for name, entry in manifest.files.items():
        if hashlib.sha256((batch_dir / name).read_bytes()).hexdigest() != entry.sha256:
            raise BatchCorruptError(f"{name} does not match its sha256 in the manifest")
    for name, kind in (("train.jsonl", "preference"), ("eval.jsonl", "preference"), ("kto.jsonl", "unpaired")):
        if name in manifest.files:
            for i, line in enumerate((batch_dir / name).read_text("utf-8").splitlines()):
                problems = schema_problems(json.loads(line), kind)
                if problems:
                    raise BatchCorruptError(f"{name} row {i}: {problems}")
    return manifest


def announcement(manifest: Manifest, location: str, announced_at: datetime) -> tuple[bytes, bytes]:
    """Key and value for the batches topic: the batch id, where it is, its counts and manifest hash."""
    value = {
        "batch_id": manifest.batch_id,
        "location": location,
        "schema_version": manifest.schema_version,
        "counts": manifest.counts,
        "manifest_sha256": hashlib.sha256(manifest_bytes(manifest)).hexdigest(),
        "announced_at": announced_at.isoformat(),
    }
    return manifest.batch_id.encode(), json.dumps(value, sort_keys=True).encode()
