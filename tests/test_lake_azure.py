"""An `az://` lake on a real Azure Blob emulator (Azurite): the worker's writer, the replay rule,
compaction and the readers (feedback store, dashboard scan) work as they do on a folder and on S3."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import polars as pl
import pyarrow.fs as pafs
import pytest

from dashboard.lake import scan_scores
from feedback.lakefs import LakeFS
from sidecar.compaction import compact_lake
from sidecar.lake import Lake
from tests.azurite_server import ACCOUNT, KEY, azurite, point_azure_at
from tests.lake_records import rec


@pytest.fixture(scope="module")
def azure_endpoint() -> Iterator[str]:
    with azurite() as endpoint, pytest.MonkeyPatch.context() as env:
        point_azure_at(env, endpoint)
        yield endpoint


@pytest.fixture
def container(azure_endpoint: str) -> str:
    """A fresh container, made with pyarrow directly (not through the code under test)."""
    name = f"lake{uuid.uuid4().hex[:12]}"
    authority = azure_endpoint.split("//", 1)[1].split("/", 1)[0]
    fs = pafs.AzureFileSystem(ACCOUNT, account_key=KEY, blob_storage_authority=authority, blob_storage_scheme="http",
                              dfs_storage_authority=authority, dfs_storage_scheme="http")
    fs.create_dir(name)
    return name


def offsets(frame: pl.DataFrame) -> list[int]:
    return sorted(frame["source_offset"].to_list())


def test_an_az_lake_writes_replays_compacts_and_reads_back(container: str) -> None:
    url = f"az://{container}/prod"
    lake = Lake(url)
    for first in range(0, 200, 50):
        lake.write_scores([rec(o) for o in range(first, first + 50)], "in", {0: (first, first + 49)})
    # a replay of 100-149 (the worker restarted before committing) replaces, never duplicates
    Lake(url).write_scores([rec(o) for o in range(100, 150)], "in", {0: (100, 149)})
    assert offsets(lake.scan("scores").collect()) == list(range(200))
    assert LakeFS.from_location(url).root_problem() is None

    compact_lake(lake, datetime.now(UTC).date())
    fs = LakeFS.from_location(url)
    assert [p.rsplit("/", 1)[1] for p in fs.list_paths("scores")] == [
        "in+0+00000000000000000000+00000000000000000199.parquet"
    ]
    frame = scan_scores(url, ["d"]).collect()
    assert offsets(frame) == list(range(200)) and frame.height == 200


def test_a_missing_container_is_named_by_the_doctor_check(azure_endpoint: str) -> None:
    problem = LakeFS.from_location(f"az://nosuch{uuid.uuid4().hex[:8]}/prod").root_problem()
    assert problem is not None and "not found" in problem


def test_the_account_key_is_never_printed() -> None:
    from feedback.lakefs.object_store import AzureAccount

    account = AzureAccount(ACCOUNT, KEY, "http://127.0.0.1:10000/devstoreaccount1")
    assert KEY not in repr(account) and ACCOUNT in repr(account)
