"""A lake under a prefix of an object-store bucket, through pyarrow's filesystem clients."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import polars as pl
import pyarrow.fs as pafs  # type: ignore[import-untyped]

from feedback.lakefs.base import LakeFS, StoreTimeouts


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

    def parquet_rows(self, *parts: str) -> int:
        import pyarrow.parquet as pq

        with self.fs.open_input_file(self.key(*parts)) as source:  # ranged reads of the footer
            return int(pq.ParquetFile(source).metadata.num_rows)

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

    def scan_files(self, paths: list[str]) -> pl.LazyFrame:
        # The caller's one listing serves as the file list, so polars does not list again.
        return pl.scan_parquet(
            [self.url(path) for path in paths], hive_partitioning=True, storage_options=self.storage_options
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
    if scheme == "az":
        azure = AzureAccount(
            env.get("AZURE_STORAGE_ACCOUNT_NAME", ""),
            env.get("AZURE_STORAGE_ACCOUNT_KEY") or None,
            env.get("AZURE_STORAGE_ENDPOINT") or None,
        )
        fs, base, options = _azure_client(rest, azure)
    else:
        endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None
        fs, base, options = _client(scheme, rest, timeouts, endpoint, region)
    return fs, base, None if options is None else dict(options)


@dataclass(frozen=True)
class AzureAccount:
    """`AZURE_STORAGE_ACCOUNT_NAME`, and optionally `AZURE_STORAGE_ACCOUNT_KEY` (else pyarrow's and
    polars' default credential chains: managed identity, workload identity, CLI login) and
    `AZURE_STORAGE_ENDPOINT` (an emulator such as Azurite, `http://127.0.0.1:10000/devstoreaccount1`)."""

    name: str
    key: str | None = field(default=None, repr=False)  # never printed
    endpoint: str | None = None


@functools.lru_cache(maxsize=16)
def _azure_client(rest: str, account: AzureAccount) -> tuple[pafs.FileSystem, str, dict[str, Any] | None]:
    """polars reads az://container/path; pyarrow takes the account separately and, for an emulator,
    the blob and data-lake authorities (it probes the latter for hierarchical namespaces)."""
    fs_args: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if account.key:
        fs_args["account_key"] = options["account_key"] = account.key
    if account.endpoint:
        url = urlparse(account.endpoint)
        for service in ("blob", "dfs"):
            fs_args[f"{service}_storage_authority"] = url.netloc
            fs_args[f"{service}_storage_scheme"] = url.scheme
        options["azure_storage_endpoint"] = account.endpoint.rstrip("/")
        if url.scheme == "http":
            options["allow_http"] = "true"
    if options:
        options["account_name"] = account.name
    return pafs.AzureFileSystem(account_name=account.name, **fs_args), rest, options or None


@functools.lru_cache(maxsize=16)
def _client(
    scheme: str, rest: str, timeouts: StoreTimeouts, endpoint: str | None, region: str | None
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
    fs, path = pafs.FileSystem.from_uri(f"{scheme}://{rest}")
    return fs, path.rstrip("/"), None
