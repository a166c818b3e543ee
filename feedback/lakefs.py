"""One lake root, on a local disk or on an object store, with the few file operations the lake needs.

    fs = LakeFS.from_location("s3://bucket/prefix")      # or "./sahaja-lake", Path(...), "file:///data/lake"
    fs.write_parquet(frame, "scores", "date=2026-01-01", "detector=x", "in+0+...parquet")
    fs.list_names("scores", "date=2026-01-01", "detector=x")   # file names in one folder
    fs.scan("scores")                                            # hive-partitioned LazyFrame, or None

Local folders keep the writer's old guarantee: a file is written under a hidden temporary name,
fsynced and renamed into place, so a reader never sees half a file. Object stores have no rename,
but a PUT is atomic (an object is invisible until its upload completes), so each file is one PUT
of Parquet bytes built in memory. Every operation raises `OSError` on failure; the writers map it
to their own typed error (`LakeWriteError`, `StoreError`).

Credentials and endpoint come from the standard environment (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL` for MinIO and other S3-compatible
stores). pyarrow's `S3FileSystem` built directly ignores `AWS_ENDPOINT_URL`, so it is passed as
`endpoint_override`; polars gets the same endpoint in `storage_options`. Secrets are never
copied into options, messages or logs: both clients read them from the environment themselves.
"""

from __future__ import annotations

import functools
import io
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote, urlparse

import polars as pl
import pyarrow.fs as pafs  # type: ignore[import-untyped]
from pydantic import BeforeValidator

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

    def scan(self, table: str) -> pl.LazyFrame | None:
        """Hive-partitioned lazy scan of `table/**/*.parquet`, or None while the table has no file."""
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

    def list_names(self, *parts: str) -> list[str]:
        folder = self.path(*parts)
        if not folder.is_dir():
            return []
        with os.scandir(folder) as entries:
            return [e.name for e in entries if e.is_file(follow_symlinks=False)]

    def list_files(self, *parts: str) -> list[tuple[str, float]]:
        folder = self.path(*parts)
        return [
            (p.relative_to(self.root).as_posix(), p.stat().st_mtime)
            for p in sorted(folder.glob("**/*.parquet"))
            if not p.name.startswith(".")
        ]

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

    def has_files(self, table: str) -> bool:
        root = self.path(table)
        return root.is_dir() and next(root.glob("**/*.parquet"), None) is not None

    def scan(self, table: str) -> pl.LazyFrame | None:
        if not self.has_files(table):
            return None
        return pl.scan_parquet(str(self.path(table) / "**" / "*.parquet"), hive_partitioning=True)

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


class ObjectStoreLakeFS(LakeFS):
    """A prefix in a bucket (S3 and S3-compatible stores; GCS and Azure through pyarrow's own clients).

    One PUT per file. A listing is one LIST request per 1,000 keys; a delete is a HEAD and a DELETE
    (pyarrow also PUTs a zero-byte folder marker so the folder keeps existing, which readers skip).
    """

    is_local = False

    def __init__(self, url: str, timeouts: StoreTimeouts) -> None:
        self.location = url
        self.scheme, rest = url.split("://", 1)
        self.fs, self.base, self.storage_options = _object_store(self.scheme, rest, timeouts)

    def key(self, *parts: str) -> str:
        return "/".join((self.base, *parts))

    def url(self, *parts: str) -> str:
        return "/".join((str(self.location), *parts))

    def write_bytes(self, data: bytes, *parts: str) -> str:
        with self.fs.open_output_stream(self.key(*parts)) as out:
            out.write(data)
        return self.url(*parts)

    def read_bytes(self, *parts: str) -> bytes:
        with self.fs.open_input_stream(self.key(*parts)) as source:
            data: bytes = source.read()
        return data

    def _infos(self, *parts: str, recursive: bool, kind: Any = pafs.FileType.File) -> list[pafs.FileInfo]:
        selector = pafs.FileSelector(self.key(*parts), recursive=recursive, allow_not_found=True)
        return [i for i in self.fs.get_file_info(selector) if i.type == kind]

    def list_names(self, *parts: str) -> list[str]:
        return [i.base_name for i in self._infos(*parts, recursive=False)]

    def list_folders(self, *parts: str) -> list[str]:
        return sorted(i.base_name for i in self._infos(*parts, recursive=False, kind=pafs.FileType.Directory))

    def list_files(self, *parts: str) -> list[tuple[str, float]]:
        cut = len(self.base) + 1
        files = self._infos(*parts, recursive=True)
        return sorted(
            (i.path[cut:], i.mtime.timestamp() if i.mtime else 0.0)
            for i in files
            if i.base_name.endswith(".parquet") and not i.base_name.startswith(".")
        )

    def delete(self, *parts: str) -> None:
        try:
            self.fs.delete_file(self.key(*parts))
        except FileNotFoundError:
            pass

    def exists(self, *parts: str) -> bool:
        return bool(self.fs.get_file_info(self.key(*parts)).type != pafs.FileType.NotFound)

    def root_problem(self) -> str | None:
        bucket = self.base.split("/", 1)[0]
        if self.fs.get_file_info(bucket).type == pafs.FileType.NotFound:
            return f"bucket {bucket} not found (or not visible with these credentials)"
        return None

    def scan(self, table: str) -> pl.LazyFrame | None:
        # One listing serves both "is there anything" and the file list, so polars does not list again.
        files = self.list_files(table)
        if not files:
            return None
        return pl.scan_parquet(
            [self.url(path) for path, _ in files], hive_partitioning=True, storage_options=self.storage_options
        )

    def stamp(self, tables: Iterable[str]) -> float:
        """Whole seconds of the newest object's mtime, plus the file count (mod 1000) as a fraction.

        An object store has no folder mtimes, so this lists the tables; the count part tells two
        writes within the same second apart (store mtimes have one-second resolution)."""
        newest, count = 0.0, 0
        for table in tables:
            files = self.list_files(table)
            count += len(files)
            newest = max([newest, *(mtime for _, mtime in files)])
        return 0.0 if count == 0 else float(int(newest)) + (count % 1000) / 1000


def _object_store(
    scheme: str, rest: str, timeouts: StoreTimeouts
) -> tuple[pafs.FileSystem, str, dict[str, Any] | None]:
    """The pyarrow filesystem, the root in its own path terms, and polars' storage options.

    Clients are cached per location and endpoint, so the dashboard's many short reads reuse one
    connection pool instead of opening a new one each time."""
    env = os.environ
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None
    account = env.get("AZURE_STORAGE_ACCOUNT_NAME", "")
    fs, base, options = _client(scheme, rest, timeouts, endpoint, region, account)
    return fs, base, None if options is None else dict(options)


@functools.lru_cache(maxsize=16)
def _client(
    scheme: str, rest: str, timeouts: StoreTimeouts, endpoint: str | None, region: str | None, account: str
) -> tuple[pafs.FileSystem, str, dict[str, Any] | None]:
    if scheme == "s3":
        fs = pafs.S3FileSystem(
            region=region,
            endpoint_override=endpoint,
            connect_timeout=timeouts.connect_s,
            request_timeout=timeouts.request_s,
            retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=timeouts.attempts),
            allow_delayed_open=True,  # a small object then goes up as one PutObject, not a multipart upload
        )
        options: dict[str, Any] = {
            "max_retries": max(timeouts.attempts - 1, 0),
            "connect_timeout": f"{max(int(timeouts.connect_s), 1)}s",
        }
        if region:
            options["aws_region"] = region
        if endpoint:
            options["aws_endpoint_url"] = endpoint
            if endpoint.startswith("http://"):
                options["aws_allow_http"] = "true"
        return fs, rest, options
    if scheme == "az":  # polars' az://container/path; pyarrow takes the account separately
        return pafs.AzureFileSystem(account_name=account), rest, None
    fs, path = pafs.FileSystem.from_uri(f"{scheme}://{rest}")
    return fs, path.rstrip("/"), None
