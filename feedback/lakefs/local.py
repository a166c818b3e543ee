"""A lake on a local (or mounted) folder: temp file, fsync, rename, fsync the folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

from feedback.lakefs.base import LakeFS


class LocalLakeFS(LakeFS):
    """A folder on a local (or mounted) filesystem: temp file, fsync, rename, fsync the folder."""

    is_local = True

    def __init__(self, root: Path) -> None:
        self.location = root
        self.root = root

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def url(self, *parts: str) -> str:
        return str(self.path(*parts))

    def write_bytes(self, data: bytes, *parts: str) -> Path:
        path = self.path(*parts)
        self._atomic(path, lambda fh: fh.write(data))
        return path

    def write_parquet(self, frame: pl.DataFrame, *parts: str) -> Path:
        # Straight to the temporary file: no in-memory copy of a large batch.
        path = self.path(*parts)
        self._atomic(path, lambda fh: frame.write_parquet(fh, compression="zstd", statistics=True))
        return path

    @staticmethod
    def _atomic(path: Path, write: Any) -> None:
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as fh:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())  # the rename must not land before the bytes do
            os.replace(tmp, path)
            fsync_dir(path.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def read_bytes(self, *parts: str) -> bytes:
        return self.path(*parts).read_bytes()

    def parquet_rows(self, *parts: str) -> int:
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(self.path(*parts)).metadata.num_rows)

    def list_names(self, *parts: str) -> list[str]:
        folder = self.path(*parts)
        if not folder.is_dir():
            return []
        with os.scandir(folder) as entries:
            return [e.name for e in entries if e.is_file(follow_symlinks=False)]

    def list_files(self, *parts: str) -> list[tuple[str, float]]:
        return [(p, self.path(p).stat().st_mtime) for p in self.list_paths(*parts)]

    def list_folders(self, *parts: str) -> list[str]:
        folder = self.path(*parts)
        if not folder.is_dir():
            return []
        with os.scandir(folder) as entries:
            return sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))

    def delete(self, *parts: str) -> None:
        self.path(*parts).unlink(missing_ok=True)

    def exists(self, *parts: str) -> bool:
        return self.path(*parts).exists()

    def root_problem(self) -> str | None:
        existing = next((p for p in (self.root, *self.root.parents) if p.exists()), None)
        if existing is None or not existing.is_dir():
            return f"{existing or self.root} is not a folder"
        return None if os.access(existing, os.W_OK) else f"{existing} is not writable"

    def list_paths(self, *parts: str) -> list[str]:
        # os.walk, not Path.glob: a scan lists the table each time, and glob is 3x slower here.
        root = str(self.root)
        found = []
        for folder, _, names in os.walk(self.path(*parts)):
            rel = os.path.relpath(folder, root).replace(os.sep, "/")
            found += [f"{rel}/{n}" for n in names if n.endswith(".parquet") and not n.startswith(".")]
        return sorted(found)

    def scan_files(self, paths: list[str]) -> pl.LazyFrame:
        root = str(self.root)
        return pl.scan_parquet([f"{root}/{p}" for p in paths], hive_partitioning=True)

    def stamp(self, tables: Iterable[str]) -> float:
        """Newest mtime among the tables' folders. Every file is renamed into its folder, which updates
        that folder's mtime, so stat-ing folders (a few hundred) notices new data without listing files."""
        newest = 0.0
        stack = [self.path(t) for t in tables]
        while stack:
            folder = stack.pop()
            try:
                newest = max(newest, folder.stat().st_mtime)
                with os.scandir(folder) as entries:
                    stack.extend(Path(e.path) for e in entries if e.is_dir(follow_symlinks=False))
            except OSError:
                continue
        return newest


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (the folder entry, not only the file's bytes)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
