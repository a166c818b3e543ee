"""Dashboard speed: the overview over a lake of 1M score rows, written by the worker's own lake writer.

    python -m benchmarks.dashboard [--rows 1000000] [--lake /tmp/sahaja-bench-lake] [--regenerate]

Times (1) the overview's data functions with a cold cache, (2) an AppTest run of the overview page
with a cold cache and with a warm one, against a baseline measured in the same run: reading the
whole scores table eagerly and then computing the same aggregates (a dashboard without lazy scans).
Results go to benchmarks/results/dashboard.json and .md with the hardware and date. Target: < 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from detectors.schema import ScoreRecord
from sidecar.lake import Lake

RESULTS = Path(__file__).resolve().parent / "results"
APP_PAGE = Path(__file__).resolve().parents[1] / "dashboard" / "pages" / "overview.py"
VERSIONS = ("2026-10-01", "2026-11-01", "3.2")
PER_CONVERSATION = 11  # records per two-turn conversation across the seven detectors
CHUNK = 20_000  # records per writer call (one day, one partition): ~7 files of ~2.9k rows


def _details(rng: random.Random, detector: str) -> dict[str, object]:
    if detector == "sycophancy":
        return {"p_pushback": round(rng.random(), 3), "pushback_turn": 2, "kind": "held"}
    if detector == "miscalibration":
        return {"expressed_confidence": rng.choice((0.3, 0.6, 0.9)), "p_correct": float(rng.random() < 0.6),
                "p_correct_source": "label" if rng.random() < 0.5 else "model"}
    if detector == "drift":
        return {"nearest_cluster": rng.randrange(12), "distance": round(rng.random(), 3)}
    if detector in ("hedging", "wrapper_lexicon"):
        return {"spans": [{"start": 0, "end": 22, "text": "It's important to note"}]} if rng.random() < 0.2 else {
            "spans": []}
    return {"kind": "none", "p_refusal": round(rng.random() * 0.3, 3)}


def conversation_records(rng: random.Random, cid: str, when: datetime, offset: int, part: int) -> list[ScoreRecord]:
    version = VERSIONS[rng.randrange(3)]
    plan = [("wrapper_lexicon", 1), ("wrapper_lexicon", 3), ("hedging", 1), ("hedging", 3), ("refusal", 1),
            ("refusal", 3), ("over_refusal", 1), ("over_refusal", 3), ("sycophancy", 3), ("miscalibration", 1),
            ("drift", -1)]
    out = []
    for detector, turn in plan:
        score = rng.random()
        out.append(ScoreRecord(
            conversation_id=cid, turn=turn, detector=detector, score=score, flagged=score > 0.8, threshold=0.8,
            detector_version="1", model="acme-chat", model_version=version, event_time=when, scored_at=when,
            source_topic="bench", source_partition=part, source_offset=offset,
            details=json.dumps(_details(rng, detector)),
        ))  # fmt: skip
    return out


def generate(lake: Path, rows: int, seed: int = 0) -> int:
    """Write about `rows` score records through `sidecar.lake.Lake.write_scores`; returns files written."""
    rng, writer, files, offset = random.Random(seed), Lake(lake), 0, 0
    start = datetime(2026, 11, 1, tzinfo=UTC)
    n_chunks = max(1, rows // CHUNK)
    for chunk in range(n_chunks):
        day, part = start + timedelta(days=chunk % 14), chunk % 4
        records: list[ScoreRecord] = []
        first = offset
        while len(records) + PER_CONVERSATION <= CHUNK:
            when = day + timedelta(seconds=rng.randrange(86_400))
            records.extend(conversation_records(rng, f"c{offset}", when, offset, part))
            offset += 1
        files += len(writer.write_scores(records, "bench", {part: (first, offset - 1)}))
    return files


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def hardware() -> dict[str, object]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(), "polars": pl.__version__,
            "platform": platform.platform()}


def run(lake: Path, repeat: int) -> dict[str, object]:
    from streamlit.testing.v1 import AppTest

    from dashboard import data, measures

    os.environ["SAHAJA_LAKE_PATH"] = str(lake)
    glob = str(lake / "scores" / "**" / "*.parquet")
    n_rows = pl.scan_parquet(glob, hive_partitioning=True).select(pl.len()).collect().item()
    baseline = timed(lambda: measures.overview(pl.read_parquet(glob, hive_partitioning=True).lazy()), repeat)

    def cold_data() -> None:
        data.clear()
        stamp = data.stamp(lake)
        data.overview(str(lake), stamp)
        data.precision(str(lake), stamp, 0)

    data_cold = timed(cold_data, repeat)

    def page_run(clear: bool) -> None:
        if clear:
            data.clear()
        at = AppTest.from_file(str(APP_PAGE), default_timeout=120).run()
        if at.exception or at.error:
            raise RuntimeError(f"overview failed: {at.exception or [e.value for e in at.error]}")

    page_run(False)  # the first AppTest in a process pays for Streamlit's own imports
    page_cold = timed(lambda: page_run(True), repeat)
    page_warm = timed(lambda: page_run(False), repeat)
    # AppTest's own cost per run (component discovery, thread hand-off), measured on an empty page.
    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "empty.py"
        empty.write_text("import streamlit as st\nst.title('empty')\n")
        apptest = timed(lambda: AppTest.from_file(str(empty), default_timeout=60).run(), repeat)
    med = statistics.median
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "hardware": hardware(), "rows": n_rows,
        "load_average": os.getloadavg(),
        "files": sum(1 for _ in (lake / "scores").glob("**/*.parquet")), "repeat": repeat,
        "baseline_eager_read_s": med(baseline), "overview_data_cold_s": med(data_cold),
        "overview_page_cold_s": med(page_cold), "overview_page_warm_s": med(page_warm),
        "empty_page_apptest_s": med(apptest),
        "data_vs_baseline": med(data_cold) / med(baseline), "page_cold_vs_baseline": med(page_cold) / med(baseline),
        "best_page_cold_s": min(page_cold), "best_data_cold_s": min(data_cold), "best_baseline_s": min(baseline),
        "target_s": 2.0, "meets_target": med(page_cold) < 2.0, "best_meets_target": min(page_cold) < 2.0,
        "raw": {"baseline": baseline, "data_cold": data_cold, "page_cold": page_cold, "page_warm": page_warm,
                "empty_page_apptest": apptest},
    }  # fmt: skip


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def markdown(r: dict) -> str:
    hw = r["hardware"]
    warm_ratio = r["overview_page_warm_s"] / r["baseline_eager_read_s"]
    empty_ratio = r["empty_page_apptest_s"] / r["baseline_eager_read_s"]
    return f"""# Dashboard overview speed

Measured {r['date']} on {hw['cpu']} ({hw['cores']} cores), Python {hw['python']}, polars {hw['polars']}.
Lake: {r['rows']:,} score rows in {r['files']} Parquet files, written by `sidecar.lake.Lake.write_scores`
(seven detectors, 14 days, three model versions). Median of {r['repeat']} runs.

| what | seconds | vs baseline |
|---|---|---|
| baseline: eager read of the whole table, then the same aggregates | {r['baseline_eager_read_s']:.3f} | 1.00 |
| overview data functions, cold cache | {r['overview_data_cold_s']:.3f} | {r['data_vs_baseline']:.2f} |
| overview page (AppTest run), cold cache | {r['overview_page_cold_s']:.3f} | {r['page_cold_vs_baseline']:.2f} |
| overview page (AppTest run), warm cache | {r['overview_page_warm_s']:.3f} | {warm_ratio:.2f} |
| for scale: AppTest run of an empty page | {r['empty_page_apptest_s']:.3f} | {empty_ratio:.2f} |

Best of {r['repeat']} (least disturbed by other jobs): baseline {r['best_baseline_s']:.3f} s, data
{r['best_data_cold_s']:.3f} s, overview page cold {r['best_page_cold_s']:.3f} s.

Target: the overview renders in under {r['target_s']:.0f} s (cold cache): median {verdict(r['meets_target'])},
best run {verdict(r['best_meets_target'])}. Load average during the run: {r['load_average'][0]:.1f}
on {hw['cores']} cores.
Page times are the server side (the script run and the chart specs, plus AppTest's own per-run cost,
shown on the empty page); the browser's drawing is not in them. The machine's 2 cores were shared with
other jobs (load average in the JSON), so absolute times are noisy; the ratios are from the same run.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the dashboard overview over a large lake.")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--lake", type=Path, default=Path(tempfile.gettempdir()) / "sahaja-bench-lake")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the lake even if it exists")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.regenerate or not (args.lake / "scores").is_dir():
        started = time.perf_counter()
        files = generate(args.lake, args.rows)
        print(f"wrote {files} files to {args.lake} in {time.perf_counter() - started:.1f}s")
    result = run(args.lake, args.repeat)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dashboard.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "dashboard.md").write_text(markdown(result))
    print(markdown(result))
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
