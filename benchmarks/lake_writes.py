"""`python -m benchmarks.lake_writes`: cost of one batch's lake write as a day's folder fills up.

Baseline (the lake before the span index): every ranged write lists its folder to find files it
replaces. Ours: `sidecar.lake_index.SpanIndex` lists a (folder, partition) once and follows its own
writes. Both write the same batches (one score file per batch) into a folder that already holds
`existing` files of other partitions, on a local folder and on a real S3 server (moto's, when
installed); modes alternate batch by batch so that the shared machine's load hits both alike.
Results: benchmarks/results/lake_writes.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from benchmarks.hardware import machine_info
from detectors.schema import ScoreRecord
from sidecar.lake import Lake, file_name

RESULTS = Path(__file__).parent / "results"
DAY = datetime(2026, 11, 1, 12, tzinfo=UTC)
ROWS_PER_BATCH = 50


def _records(first: int) -> list[ScoreRecord]:
    return [
        ScoreRecord(conversation_id=f"c{o}", turn=1, detector="d", score=0.1, flagged=False, threshold=0.5,
                    detector_version="1", event_time=DAY, scored_at=DAY, source_topic="in",
                    source_partition=0, source_offset=o)
        for o in range(first, first + ROWS_PER_BATCH)
    ]


def _fill(lake: Lake, existing: int) -> None:
    """`existing` files of partition 1 in the folder partition 0 writes to (a day's folder, half full)."""
    folder = ("scores", f"date={DAY.date().isoformat()}", "detector=d")
    tiny = pl.DataFrame({"x": [0]})
    for i in range(existing):
        lake.fs.write_parquet(tiny, *folder, file_name("in", 1, i * 10, i * 10 + 9))


def _time_writes(lakes: dict[str, Lake], batches: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {mode: [] for mode in lakes}
    for b in range(batches):
        for mode, lake in lakes.items():
            if mode == "list_every_write":
                lake.forget_partitions()  # exactly the old path: list, filter, delete, every batch
            records = _records(b * ROWS_PER_BATCH)
            started = time.perf_counter()
            lake.write_scores(records, "in", {0: (b * ROWS_PER_BATCH, (b + 1) * ROWS_PER_BATCH - 1)})
            times[mode].append(time.perf_counter() - started)
    return times


@contextmanager
def _local_roots() -> Iterator[Callable[[str], str]]:
    with tempfile.TemporaryDirectory() as tmp:
        yield lambda mode: str(Path(tmp) / mode)


@contextmanager
def _s3_roots() -> Iterator[Callable[[str], str]]:
    import pyarrow.fs as pafs
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://{host}:{port}"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        fs = pafs.S3FileSystem(endpoint_override=f"http://{host}:{port}", scheme="http", region="us-east-1",
                               allow_bucket_creation=True)
        fs.create_dir("bench-lake")
        yield lambda mode: f"s3://bench-lake/{mode}"
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


def measure(store: str, existing: int, batches: int) -> dict[str, Any]:
    roots = _local_roots() if store == "local" else _s3_roots()
    with roots as root_for:
        lakes = {mode: Lake(root_for(f"{mode}-{existing}")) for mode in ("list_every_write", "span_index")}
        for lake in lakes.values():
            _fill(lake, existing)
        times = _time_writes(lakes, batches)
        listings = lakes["span_index"].spans.listings
    row: dict[str, Any] = {"store": store, "existing_files": existing, "batches": batches,
                           "span_index_listings": listings}
    for mode, values in times.items():
        ms = np.array(values) * 1000
        row[mode] = {"p50_ms": round(float(np.median(ms)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2),
                     "mean_ms": round(statistics.fmean(ms), 2)}
    row["speedup_p50"] = round(row["list_every_write"]["p50_ms"] / row["span_index"]["p50_ms"], 2)
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local-sizes", default="0,2000,10000,50000")
    parser.add_argument("--s3-sizes", default="0,1000,5000")
    parser.add_argument("--batches", type=int, default=40)
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    load = [round(x, 2) for x in os.getloadavg()]
    rows = [measure("local", int(n), args.batches) for n in args.local_sizes.split(",") if n]
    try:
        import moto.server  # noqa: F401
        rows += [measure("s3", int(n), args.batches) for n in args.s3_sizes.split(",") if n]
    except ImportError:
        print("moto[server] not installed: object-store rows skipped")
    result = {"started": started.isoformat(timespec="seconds"), "machine": machine_info(cores_used=1),
              "load_average_at_start": load, "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lake_writes.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    lines = [
        "# Lake write per batch as a folder fills: list every write (baseline) vs span index",
        "",
        f"Run {result['started']}; {result['machine']['cpu'].get('model', '?')}; "
        f"load average at start {load}. One score file of {ROWS_PER_BATCH} rows per "
        f"batch into a folder already holding `existing` files of another partition; modes alternate per batch. "
        "S3 = a real moto S3 server on loopback (no network latency: a real store adds ~10-50 ms per LIST page).",
        "",
        "| store | existing files | baseline p50 ms | baseline p99 ms | span index p50 ms | span index p99 ms | "
        "listings (index) | baseline / index (p50) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        b, s = r["list_every_write"], r["span_index"]
        lines.append(f"| {r['store']} | {r['existing_files']:,} | {b['p50_ms']} | {b['p99_ms']} | {s['p50_ms']} | "
                     f"{s['p99_ms']} | {r['span_index_listings']} of {r['batches']} | {r['speedup_p50']} |")
    (RESULTS / "lake_writes.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
