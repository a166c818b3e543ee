"""Lake locations (a folder or an object-store URL), store timeouts, and the `LakeFS` interface."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlparse

import polars as pl
from pydantic import BeforeValidator

from feedback.lake_files import covered_paths

OBJECT_STORE_SCHEMES = ("s3", "gs", "gcs", "az", "abfs", "abfss")
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$")
# pathlib turns "s3://b/p" into "s3:/b/p"; a location that went through Path is restored rather
# than silently written to a local folder named "s3:".
_COLLAPSED = re.compile(r"^(?P<scheme>s3|gs|gcs|az|abfs|abfss|file):/(?!/)(?P<rest>.*)$")


def parse_location(value: str | Path) -> Path | str:
    """A local folder as a `Path`, an object-store root as a normalised URL (`file://` becomes a Path)."""
    text = str(value)
    collapsed = _COLLAPSED.match(text)
    if collapsed:
        text = f"{collapsed['scheme']}://{collapsed['rest']}"
    url = _URL.match(text)
    if url is None:
        return Path(value)
    scheme = url["scheme"].lower()
    if scheme == "file":
        return Path(unquote(urlparse(text).path))
    if scheme not in OBJECT_STORE_SCHEMES:
        raise ValueError(f"unsupported lake URL scheme {scheme!r}: use a folder or one of {OBJECT_STORE_SCHEMES}")
    rest = url["rest"].strip("/")
    if not rest:
        raise ValueError(f"lake URL {text!r} names no bucket")
    if scheme in ("s3", "gs", "gcs") and "@" in rest.split("/", 1)[0]:
        # The location is printed and logged everywhere: secrets belong in the environment.
        raise ValueError(f"a {scheme}:// lake URL must not carry credentials: set them in the environment")
    return f"{scheme}://{rest}"


LakeLocation = Annotated[Path | str, BeforeValidator(parse_location)]
"""A settings field type: a local folder (as a Path) or an object-store URL (as a str)."""


@dataclass(frozen=True)
class StoreTimeouts:
    """How long an object-store call may take before it fails (so an unreachable store is an error, not
    a hang). `request_s` is a stall limit (no byte for that long), not a cap on a large transfer. With
    these defaults a write to an endpoint that accepts connections and never answers fails after about
    a minute (53 s measured), one to a refused port in under a second."""

    connect_s: float = 5.0
    request_s: float = 10.0
    attempts: int = 3


class LakeFS:
    """A lake root and the operations the lake needs; `from_location` picks the local or object-store kind.

    Paths are given as parts relative to the root (`"scores", "date=...", "file.parquet"`).
    """

    location: Path | str
    is_local: bool

    @staticmethod
    def from_location(location: str | Path | LakeFS, timeouts: StoreTimeouts | None = None) -> LakeFS:
        if isinstance(location, LakeFS):
            return location
        from feedback.lakefs.local import LocalLakeFS
        from feedback.lakefs.object_store import ObjectStoreLakeFS

        parsed = parse_location(location)
        if isinstance(parsed, Path):
            return LocalLakeFS(parsed)
        return ObjectStoreLakeFS(parsed, timeouts or StoreTimeouts())

    def url(self, *parts: str) -> str:
        """What polars (or a person) reads: a local path or a full URL."""
        raise NotImplementedError

    def write_bytes(self, data: bytes, *parts: str) -> Path | str:
        """Put `data` at `parts` atomically (readers see the old file, or none, or all of the new one).

        Returns where it landed: a `Path` on a local folder, the URL on an object store."""
        raise NotImplementedError

    def read_bytes(self, *parts: str) -> bytes:
        raise NotImplementedError

    def parquet_rows(self, *parts: str) -> int:
        """Rows of a Parquet file, from its footer only (no data read)."""
        raise NotImplementedError

    def list_names(self, *parts: str) -> list[str]:
        """Names of the files directly in a folder ([] when it does not exist)."""
        raise NotImplementedError

    def list_files(self, *parts: str) -> list[tuple[str, float]]:
        """Every visible `.parquet` file under a folder, recursively: (path relative to the root, mtime)."""
        raise NotImplementedError

    def list_folders(self, *parts: str) -> list[str]:
        """Names of the folders directly in a folder ([] when it does not exist)."""
        raise NotImplementedError

    def delete(self, *parts: str) -> None:
        """Remove a file; one that is already gone is fine (a replay may race another writer)."""
        raise NotImplementedError

    def exists(self, *parts: str) -> bool:
        raise NotImplementedError

    def root_problem(self) -> str | None:
        """Why writes under the root cannot work (for `sahaja doctor`), or None; reads only, writes nothing."""
        raise NotImplementedError

    def list_paths(self, *parts: str) -> list[str]:
        """Root-relative paths of the Parquet files below `parts` (no metadata: what a scan needs)."""
        return [path for path, _ in self.list_files(*parts)]

    def scan(self, table: str) -> pl.LazyFrame | None:
        """Hive-partitioned lazy scan of a table, or None while it has no file. A ranged file inside
        another file's offset range (a compaction's input not yet deleted) is skipped, so no row is read
        twice; files not named by offsets are never skipped."""
        paths = self.list_paths(table)
        if not paths:
            return None
        skip = covered_paths(paths)
        return self.scan_files([p for p in paths if p not in skip])

    def scan_files(self, paths: list[str]) -> pl.LazyFrame:
        """Hive-partitioned lazy scan of the given root-relative files."""
        raise NotImplementedError

    def stamp(self, tables: Iterable[str]) -> float:
        """A number that changes when a file lands in (or leaves) one of `tables`; 0.0 for none."""
        raise NotImplementedError

    def write_parquet(self, frame: pl.DataFrame, *parts: str) -> Path | str:
        buffer = io.BytesIO()
        frame.write_parquet(buffer, compression="zstd", statistics=True)
        return self.write_bytes(buffer.getvalue(), *parts)

    def read_parquet(self, *parts: str) -> pl.DataFrame:
        return pl.read_parquet(io.BytesIO(self.read_bytes(*parts)))

    def download(self, dest: Path, *parts: str) -> Path:
        """Copy the files directly in a folder to the local folder `dest` (to verify or zip a batch)."""
        dest.mkdir(parents=True, exist_ok=True)
        for name in self.list_names(*parts):
            (dest / name).write_bytes(self.read_bytes(*parts, name))
        return dest

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.location)!r})"
