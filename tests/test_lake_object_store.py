"""The lake on an object store: the real worker, writer, dashboard reads and feedback store against a
real S3-compatible server (moto's, on a free loopback port), and a store that cannot be reached."""

from __future__ import annotations

import io
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

import dashboard
from dashboard.lake import lake_stamp, scan, scan_scores
from feedback import FeedbackLake, OutputExistsError, verify_batch
from feedback.lakefs import LakeFS, StoreTimeouts
from sidecar.errors import LakeWriteError
from sidecar.lake import Lake, file_name
from sidecar.runtime import run_worker
from sidecar.settings import Settings
from tests.conftest import conversation
from tests.kafka_helpers import produce_json
from tests.lake_records import T, rec
from tests.s3_server import moto_s3, point_aws_at
from tests.test_feedback_export import reviewed_lake

boto3 = pytest.importorskip("boto3", reason="boto3 (installed with moto) is missing")

PAGES = Path(dashboard.__file__).parent / "pages"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on loopback; the standard AWS variables point every client at it."""
    with moto_s3() as (host, port), pytest.MonkeyPatch.context() as env:
        endpoint = f"http://{host}:{port}"
        point_aws_at(env, endpoint)
        yield endpoint


@pytest.fixture
def bucket(s3_endpoint: str) -> tuple[str, object]:
    """A fresh bucket and a boto3 client to look at it independently of the code under test."""
    name = f"lake-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    return name, client


def keys(client: object, bucket: str, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)  # type: ignore[attr-defined]
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def test_worker_writes_to_s3_and_dashboard_and_feedback_read_it_back(settings_factory, bucket, monkeypatch) -> None:
    name, client = bucket
    url = f"s3://{name}/lake"
    settings = settings_factory(lake_path=url)
    assert settings.lake_path == url
    good = [conversation(i, wrapper=i % 4 == 0) for i in range(80)]
    produce_json(settings.kafka_bootstrap_servers, settings.input_topic, good)

    state = run_worker(settings, until=lambda s: s.committed_messages >= len(good))
    assert state.committed_messages == len(good)

    stored = keys(client, name, "lake/")
    assert not [k for k in stored if k.endswith(".tmp") or "/." in k], stored
    score_keys = [k for k in stored if k.startswith("lake/scores/")]
    assert score_keys and all("/detector=wrapper_lexicon/" in k for k in score_keys)
    assert all(Path(k).name.startswith(f"{settings.input_topic}+0+") for k in score_keys)

    scores = scan_scores(url).collect()
    assert sorted(scores["conversation_id"].to_list()) == sorted(c["conversation_id"] for c in good)
    assert scores.filter(pl.col("flagged"))["conversation_id"].n_unique() == 20
    convs = scan(url, "conversations").collect()
    assert convs["conversation_id"].n_unique() == len(good)

    feedback = FeedbackLake(url)
    pending = feedback.list_candidates(status="pending")
    assert pending.height == 20, "the worker's feedback extension wrote candidates to the store"
    backfill = feedback.sync_from_scores()  # scores joined to conversations, read back from the store
    assert sorted(c.candidate_id for c in backfill) == sorted(pending["candidate_id"].to_list())
    assert FeedbackLake(url).list_candidates().height == 20, "a backfill merges by candidate id"
    before = lake_stamp(url, ("candidates", "reviews"))
    target = pending["candidate_id"][0]
    feedback.review(target, "reject", "ann", reason="fine as it is")
    assert FeedbackLake(url).get(target)[1].status == "rejected"
    assert [e.reviewer for e in FeedbackLake(url).reviews.events(target)] == ["ann"]
    assert lake_stamp(url, ("candidates", "reviews")) != before  # even within the same second of S3 mtimes
    assert len(keys(client, name, "lake/reviews/")) == 1

    monkeypatch.setenv("SAHAJA_LAKE_PATH", url)
    monkeypatch.delenv("SAHAJA_DASHBOARD_PASSWORD", raising=False)
    overview = AppTest.from_file(str(PAGES / "overview.py"), default_timeout=60).run()
    assert not overview.exception and not overview.error
    table = overview.dataframe[0].value
    row = table[table["detector"] == "wrapper_lexicon"].iloc[0]
    assert row["scored"] == scores.height and row["flagged"] == 20
    review = AppTest.from_file(str(PAGES / "review.py"), default_timeout=60).run()
    assert not review.exception and not review.error


def test_replays_overwrite_overlapping_files_on_s3(bucket) -> None:
    name, client = bucket
    lake = Lake(f"s3://{name}/lake")
    lake.write_scores([rec(o) for o in range(100, 200)], "in", {0: (100, 199)})
    lake.write_scores([rec(o, "e") for o in range(100, 200)], "in", {0: (100, 199)})  # another detector's folder
    # A crash before the commit: the batch is read again, cut differently.
    lake.write_scores([rec(o) for o in range(100, 150)], "in", {0: (100, 149)})
    assert sorted(lake.scan("scores").filter(pl.col("detector") == "d").collect()["source_offset"]) == list(
        range(100, 150)
    )
    lake.write_scores([rec(o) for o in range(150, 200)], "in", {0: (150, 199)})
    frame = scan_scores(f"s3://{name}/lake", ["d"]).collect()
    assert sorted(frame["source_offset"].to_list()) == list(range(100, 200))
    lake.write_rows("drift", [{"window_id": "w1", "drifted": False}], T.date(), "window-w1")
    assert scan(lake.fs, "drift").collect()["window_id"].to_list() == ["w1"]
    parquet = [k for k in keys(client, name, "lake/scores/") if k.endswith(".parquet")]
    assert parquet == [
        f"lake/scores/date=2026-11-01/detector=d/{file_name('in', 0, 100, 149)}",
        f"lake/scores/date=2026-11-01/detector=d/{file_name('in', 0, 150, 199)}",
        f"lake/scores/date=2026-11-01/detector=e/{file_name('in', 0, 100, 199)}",
    ]


def test_compaction_on_s3_merges_a_closed_day_and_keeps_every_row(bucket) -> None:
    from sidecar.compaction import compact_lake

    name, client = bucket
    lake = Lake(f"s3://{name}/lake")
    for first in range(0, 200, 20):
        lake.write_scores([rec(o) for o in range(first, first + 20)], "in", {0: (first, first + 19)})
    before = sorted(lake.scan("scores").collect()["source_offset"].to_list())
    results = compact_lake(lake, datetime.now(UTC).date())
    assert [(r.files_before, r.files_after, r.rows) for r in results] == [(10, 1, 200)]
    assert [k for k in keys(client, name, "lake/scores/") if k.endswith(".parquet")] == [
        f"lake/scores/date=2026-11-01/detector=d/{file_name('in', 0, 0, 199)}"
    ]
    assert sorted(lake.scan("scores").collect()["source_offset"].to_list()) == before == list(range(200))


def test_object_store_writes_are_single_objects_readable_by_polars_and_pyarrow(bucket) -> None:
    name, client = bucket
    fs = LakeFS.from_location(f"s3://{name}/root/")
    assert fs.location == f"s3://{name}/root" and not fs.is_local
    fs.write_parquet(pl.DataFrame({"x": [1, 2, 3]}), "t", "date=2026-01-01", "a.parquet")
    fs.write_bytes(b"not parquet", "t", "notes.txt")
    assert fs.exists("t", "date=2026-01-01", "a.parquet") and not fs.exists("t", "missing.parquet")
    assert fs.list_names("t") == ["notes.txt"] and fs.list_folders("t") == ["date=2026-01-01"]
    assert [p for p, _ in fs.list_files("t")] == ["t/date=2026-01-01/a.parquet"]
    assert fs.read_parquet("t", "date=2026-01-01", "a.parquet")["x"].to_list() == [1, 2, 3]
    body = client.get_object(Bucket=name, Key="root/t/date=2026-01-01/a.parquet")["Body"].read()
    assert pl.read_parquet(io.BytesIO(body))["x"].to_list() == [1, 2, 3]
    assert scan(fs, "t").collect()["x"].to_list() == [1, 2, 3]
    fs.delete("t", "date=2026-01-01", "a.parquet")
    fs.delete("t", "date=2026-01-01", "a.parquet")  # already gone: fine
    assert fs.scan("t") is None and fs.list_files("t") == []


def test_a_local_folder_offers_the_same_operations_with_rename_semantics(tmp_path) -> None:
    fs = LakeFS.from_location(f"file://{tmp_path}/root")
    assert fs.is_local and fs.location == tmp_path / "root"
    written = fs.write_parquet(pl.DataFrame({"x": [1, 2, 3]}), "t", "date=2026-01-01", "a.parquet")
    assert written == tmp_path / "root" / "t" / "date=2026-01-01" / "a.parquet"
    fs.write_bytes(b"not parquet", "t", "notes.txt")
    assert sorted(p.name for p in (tmp_path / "root" / "t").rglob("*")) == ["a.parquet", "date=2026-01-01", "notes.txt"]
    assert fs.list_names("t") == ["notes.txt"] and fs.list_folders("t") == ["date=2026-01-01"]
    assert [p for p, _ in fs.list_files("t")] == ["t/date=2026-01-01/a.parquet"]
    assert scan(fs, "t").collect()["x"].to_list() == [1, 2, 3]
    fs.delete("t", "date=2026-01-01", "a.parquet")
    fs.delete("t", "date=2026-01-01", "a.parquet")
    assert fs.scan("t") is None and not fs.exists("t", "date=2026-01-01", "a.parquet")


def test_feedback_on_s3_exports_the_same_bytes_as_on_a_folder(bucket, tmp_path) -> None:
    name, client = bucket
    on_s3 = reviewed_lake(f"s3://{name}/lake")  # type: ignore[arg-type]
    on_disk = reviewed_lake(tmp_path / "lake")
    assert on_s3.list_candidates().equals(on_disk.list_candidates())

    local = on_disk.export(tmp_path / "batch")
    remote = on_s3.export(f"s3://{name}/batches/b1")
    assert remote == local, "same candidates and verdicts: same manifest, hashes and batch id"
    stored = keys(client, name, "batches/b1/")
    assert [Path(k).name for k in stored] == sorted(p.name for p in (tmp_path / "batch").iterdir())
    for key in stored:
        body = client.get_object(Bucket=name, Key=key)["Body"].read()
        assert body == (tmp_path / "batch" / Path(key).name).read_bytes(), key
    with pytest.raises(OutputExistsError):
        on_s3.export(f"s3://{name}/batches/b1")
    store = LakeFS.from_location(f"s3://{name}")
    assert store.list_folders("batches") == ["b1"]
    assert verify_batch(store.download(tmp_path / "fetched", "batches", "b1")) == local


def test_unreachable_store_is_a_lake_write_error_not_a_hang(s3_endpoint, monkeypatch) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    refused_port = closed.getsockname()[1]
    closed.close()  # nothing listens there: connections are refused
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections complete, but no byte ever comes back
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{refused_port}")
        started = time.monotonic()
        with pytest.raises(LakeWriteError, match="cannot write s3://"):
            Lake("s3://nowhere/lake").write_scores([rec(1)], "in", {0: (1, 1)})  # production timeouts
        assert time.monotonic() - started < 20

        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        quick = LakeFS.from_location("s3://nowhere/lake", StoreTimeouts(connect_s=1, request_s=1, attempts=1))
        started = time.monotonic()
        with pytest.raises(LakeWriteError):
            Lake(quick).write_scores([rec(1)], "in", {0: (1, 1)})
        assert time.monotonic() - started < 30
    finally:
        silent.close()


def test_settings_keep_urls_and_folders_apart() -> None:
    assert Settings(lake_path="s3://bucket/prefix/").lake_path == "s3://bucket/prefix"
    assert Settings(lake_path=Path("s3://bucket/prefix")).lake_path == "s3://bucket/prefix"  # pathlib's "s3:/"
    assert Settings(lake_path="file:///var/lake").lake_path == Path("/var/lake")
    assert Settings(lake_path="./lake").lake_path == Path("lake")
    with pytest.raises(ValueError, match="unsupported lake URL scheme"):
        Settings(lake_path="ftp://host/lake")
    with pytest.raises(ValueError, match="must not carry credentials"):
        LakeFS.from_location("s3://AKIDEXAMPLE:not-a-real-secret@bucket/lake")


def test_dashboard_export_page_builds_lists_and_verifies_a_batch_on_s3(bucket, tmp_path, monkeypatch) -> None:
    name, client = bucket
    url = f"s3://{name}/lake"
    lake = reviewed_lake(url)  # type: ignore[arg-type]
    assert lake.list_candidates(status="accepted").height > 0
    monkeypatch.setenv("SAHAJA_LAKE_PATH", url)
    monkeypatch.delenv("SAHAJA_DASHBOARD_PASSWORD", raising=False)
    at = AppTest.from_file(str(PAGES / "export.py"), default_timeout=60).run()
    assert not at.exception and at.info[0].value == "No batch built yet."
    next(b for b in at.button if b.label == "Build batch").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    stored = keys(client, name, "lake/batches/")
    assert any(k.endswith("/manifest.json") for k in stored), stored
    batch_name = stored[0].split("/")[2]
    manifest = verify_batch(LakeFS.from_location(url).download(tmp_path / "got", "batches", batch_name))
    assert manifest.batch_id in at.success[0].value and manifest.batch_id in at.subheader[0].value
    assert at.get("download_button")


def test_doctor_reports_the_object_store_and_its_tables(bucket) -> None:
    from sidecar.doctor import lake_report

    name, _ = bucket
    Lake(f"s3://{name}/lake").write_scores([rec(0)], "in", {0: (0, 0)})
    report = lake_report(Settings(lake_path=f"s3://{name}/lake"))
    assert report == {"location": f"s3://{name}/lake", "kind": "object store", "tables": "scores"}
    missing = lake_report(Settings(lake_path="s3://no-such-bucket-here/lake", lake_connect_timeout_s=1,
                                   lake_request_timeout_s=1, lake_attempts=1))
    assert missing["kind"] == "object store" and "no-such-bucket-here not found" in missing["status"], missing
    assert lake_report(Settings(lake_path="/proc/version/lake"))["status"] == "/proc/version is not a folder"
