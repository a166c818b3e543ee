"""`drift reference` / `drift test` as the CLI runs them: JSONL and lake sources, JSON output, exit codes."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from detectors.drift import ReferenceProfile
from detectors.drift.cli import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    add_reference_arguments,
    add_test_arguments,
    reference_main,
)
from detectors.drift.cli import (
    test_main as drift_test_main,
)
from sidecar.drift_source import LakeOrJsonlReader
from sidecar.lake import Lake
from tests.drift_synthetic import HashingEmbedder, topic_mix
from tests.s3_server import moto_s3, point_aws_at

EMBED = HashingEmbedder(dim=64).embed
LAKES = LakeOrJsonlReader()  # what `sahaja drift` passes: lakes (folders, s3://) and JSONL files


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def parse(adder, argv: list[str]) -> argparse.Namespace:  # noqa: ANN001
    parser = argparse.ArgumentParser()
    adder(parser)
    return parser.parse_args(argv)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("drift")
    source = write_jsonl(tmp / "ref.jsonl", topic_mix(600, np.random.default_rng(0), prefix="r"))
    args = parse(
        add_reference_arguments,
        [
            "--from",
            str(source),
            "--out",
            str(tmp / "ref"),
            "--clusters",
            "6",
            "--window-size",
            "150",
            "--min-window",
            "100",
            "--calibration-splits",
            "10",
        ],
    )
    out = io.StringIO()
    assert reference_main(args, embed=EMBED, out=out) == EXIT_OK
    assert "600 of 600 conversations" in out.getvalue()
    return tmp / "ref"


def run_test(reference: Path, window: Path, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    code = drift_test_main(
        parse(add_test_arguments, ["--reference", str(reference), "--window", str(window), *extra]),
        embed=EMBED,
        out=out,
        reader=LAKES,
    )
    return code, out.getvalue()


def test_reference_manifest_records_calibration(reference: Path) -> None:
    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["n_sample"] == 600 and manifest["calibration"]["n_splits"] == 10
    assert manifest["alpha"] <= manifest["nominal_alpha"] == 0.01


def test_exit_code_does_not_depend_on_the_verdict(reference: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    null = write_jsonl(tmp_path / "null.jsonl", topic_mix(300, rng, prefix="a"))
    shifted = write_jsonl(tmp_path / "shift.jsonl", topic_mix(300, rng, law_share=0.3, prefix="b"))
    code_null, text_null = run_test(reference, null, "--json")
    code_shift, text_shift = run_test(reference, shifted, "--json")
    assert code_null == code_shift == EXIT_OK
    overall = {
        name: next(e for e in json.loads(text) if e["test"] == "overall")
        for name, text in (("null", text_null), ("shift", text_shift))
    }
    assert overall["shift"]["drifted"] and not overall["null"]["drifted"]
    code, table = run_test(reference, shifted)
    assert code == EXIT_OK and "verdict: DRIFT" in table and "embedding_mmd" in table


def test_bad_input_exits_2_with_the_fix(reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    small = write_jsonl(tmp_path / "small.jsonl", topic_mix(20, np.random.default_rng(2)))
    assert run_test(reference, small)[0] == EXIT_BAD_INPUT
    assert "at least 100" in capsys.readouterr().err
    assert run_test(tmp_path / "missing", small)[0] == EXIT_BAD_INPUT
    assert "sahaja drift reference" in capsys.readouterr().err
    wide = drift_test_main(
        parse(add_test_arguments, ["--reference", str(reference), "--window", str(small)]),
        embed=HashingEmbedder(dim=32).embed,
        out=io.StringIO(),
    )
    assert wide == EXIT_BAD_INPUT
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"conversation_id": "x"}\n', encoding="utf-8")
    assert run_test(reference, bad)[0] == EXIT_BAD_INPUT
    assert "bad.jsonl:1" in capsys.readouterr().err


def write_lake_day(
    lake: Path,
    rows: list[dict],
    day: datetime,
    rng: np.random.Generator,
    flag_share: float = 0.2,
    first_offset: int = 0,
) -> None:
    """One day of the worker's lake layout: the conversations and a `hedging` score per conversation."""
    n = len(rows)
    name = f"in+0+{first_offset:020d}+{first_offset + n:020d}.parquet"
    folder = lake / "conversations" / f"date={day:%Y-%m-%d}"
    folder.mkdir(parents=True, exist_ok=True)
    # Two snapshots of the first conversation: only the latest may count.
    snapshots = [rows[0] | {"messages": rows[0]["messages"][:1]}] + rows
    pl.DataFrame(
        {
            "conversation_id": [r["conversation_id"] for r in snapshots],
            "model": ["m"] * len(snapshots),
            "model_version": [r["model_version"] for r in snapshots],
            "event_time": [day] * len(snapshots),
            "messages": [json.dumps(r["messages"]) for r in snapshots],
        }
    ).write_parquet(folder / name)
    scores = lake / "scores" / f"date={day:%Y-%m-%d}" / "detector=hedging"
    scores.mkdir(parents=True, exist_ok=True)
    flagged = rng.random(n) < flag_share
    pl.DataFrame(
        {
            "conversation_id": [r["conversation_id"] for r in rows],
            "turn": [1] * n,
            "detector": ["hedging"] * n,
            "score": np.where(flagged, 0.5 + rng.random(n) / 2, rng.random(n) / 2),
            "flagged": flagged,
            "threshold": [0.5] * n,
            "detector_version": ["1"] * n,
            "model": ["m"] * n,
            "model_version": ["v1"] * n,
            "event_time": [day] * n,
            "scored_at": [day] * n,
            "source_topic": ["in"] * n,
            "source_partition": [0] * n,
            "source_offset": list(range(first_offset, first_offset + n)),
            "details": ["{}"] * n,
        }
    ).write_parquet(scores / name)


def test_reference_from_a_lake(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows = topic_mix(200, rng, prefix="k")
    write_lake_day(tmp_path / "lake", rows, datetime(2026, 1, 1, tzinfo=UTC), rng)
    args = parse(
        add_reference_arguments,
        [
            "--from",
            str(tmp_path / "lake"),
            "--out",
            str(tmp_path / "ref"),
            "--sample",
            "150",
            "--calibration-splits",
            "0",
            "--min-window",
            "50",
        ],
    )
    # The detectors package reads JSONL only: a lake needs the sidecar's reader.
    assert reference_main(args, embed=EMBED, out=io.StringIO()) == EXIT_BAD_INPUT
    assert reference_main(args, embed=EMBED, out=io.StringIO(), reader=LAKES) == EXIT_OK
    profile = ReferenceProfile.load(tmp_path / "ref")
    assert profile.manifest.n_seen == 200 and profile.manifest.n_sample == 150
    assert profile.manifest.detectors["hedging"]["n"] == 150


@pytest.fixture(scope="module")
def two_day_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A lake whose first day looks like its reference and whose second day brings a new topic and
    four times the hedging flags; and a reference (with `hedging` behaviour) built from a first-day-like
    sample."""
    tmp = tmp_path_factory.mktemp("lake_window")
    rng = np.random.default_rng(11)
    write_lake_day(tmp / "ref_lake", topic_mix(400, rng, prefix="r"), datetime(2025, 12, 1, tzinfo=UTC), rng)
    lake = tmp / "lake"
    write_lake_day(lake, topic_mix(200, rng, prefix="a"), datetime(2026, 1, 1, 12, tzinfo=UTC), rng)
    write_lake_day(
        lake, topic_mix(200, rng, law_share=0.4, prefix="b"), datetime(2026, 1, 2, 12, tzinfo=UTC), rng,
        flag_share=0.8, first_offset=200,
    )
    args = parse(
        add_reference_arguments,
        ["--from", str(tmp / "ref_lake"), "--out", str(tmp / "ref"), "--clusters", "6", "--window-size", "150",
         "--min-window", "100", "--calibration-splits", "10"],
    )
    assert reference_main(args, embed=EMBED, out=io.StringIO(), reader=LAKES) == EXIT_OK
    assert "hedging" in ReferenceProfile.load(tmp / "ref").manifest.detectors
    return lake, tmp / "ref"


def _overall(text: str) -> dict:
    return next(e for e in json.loads(text) if e["test"] == "overall")


def test_a_lake_window_is_cut_by_event_time_and_uses_the_stored_scores(two_day_lake: tuple[Path, Path]) -> None:
    lake, reference = two_day_lake
    code, first_day = run_test(reference, lake, "--until", "2026-01-02", "--json")
    assert code == EXIT_OK
    code, second_day = run_test(reference, lake, "--since", "2026-01-02T00:00:00+00:00", "--json")
    assert code == EXIT_OK
    calm, shifted = _overall(first_day), _overall(second_day)
    # 200 conversations a day, sampled down to the window size the reference was calibrated for
    calibrated = ReferenceProfile.load(reference).manifest.calibration["window_size"]
    assert calm["n"] == shifted["n"] == calibrated < 200
    assert not calm["drifted"] and shifted["drifted"]
    assert shifted["window_id"].endswith("@2026-01-02T00:00:00+00:00..")
    assert shifted["window_start"].startswith("2026-01-02")
    # The behaviour tests ran on the records the worker stored (no encoder here to score with).
    tests = {e["test"]: e for e in json.loads(second_day)}
    assert "flag_rate:hedging" in tests and tests["flag_rate:hedging"]["drifted"]
    assert not {e["test"]: e for e in json.loads(first_day)}["flag_rate:hedging"]["drifted"]


def test_a_lake_window_takes_a_limit_and_rejects_empty_or_inverted_ranges(
    two_day_lake: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    lake, reference = two_day_lake
    code, text = run_test(reference, lake, "--since", "2026-01-01", "--limit", "120", "--json")
    assert code == EXIT_OK and _overall(text)["n"] == 120
    assert run_test(reference, lake, "--since", "2027-01-01")[0] == EXIT_BAD_INPUT
    assert "no conversations" in capsys.readouterr().err
    assert run_test(reference, lake, "--since", "2026-01-02", "--until", "2026-01-01")[0] == EXIT_BAD_INPUT
    assert "is not before" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse(add_test_arguments, ["--reference", "r", "--window", "w", "--since", "yesterday"])


def test_a_jsonl_window_is_read_whole_unless_a_range_is_given(reference: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    rows = topic_mix(300, rng, prefix="j")
    for i, row in enumerate(rows):
        row["timestamp"] = f"2026-01-0{1 + i // 150}T12:00:00+00:00"
    window = write_jsonl(tmp_path / "window.jsonl", rows)
    assert _overall(run_test(reference, window, "--json")[1])["n"] == 300
    assert _overall(run_test(reference, window, "--since", "2026-01-02", "--json")[1])["n"] == 150


def test_a_lake_on_s3_is_read_like_a_folder(two_day_lake: tuple[Path, Path]) -> None:
    boto3 = pytest.importorskip("boto3", reason="boto3 (installed with moto) is missing")
    lake, reference = two_day_lake
    with moto_s3() as (host, port), pytest.MonkeyPatch.context() as env:
        endpoint = f"http://{host}:{port}"
        point_aws_at(env, endpoint)
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket="drift-lake")
        for file in lake.rglob("*.parquet"):
            client.upload_file(str(file), "drift-lake", f"prod/{file.relative_to(lake).as_posix()}")
        url = "s3://drift-lake/prod"
        assert LAKES.is_lake(url)
        code, text = run_test(reference, url, "--since", "2026-01-02", "--json")
        assert code == EXIT_OK
        local = run_test(reference, lake, "--since", "2026-01-02", "--json")[1]
        # the same sample, the same stored scores, the same verdict as from the folder
        assert _overall(text)["drifted"] and _overall(text)["n"] == _overall(local)["n"]
        assert {e["test"]: e["statistic"] for e in json.loads(text)} == {
            e["test"]: e["statistic"] for e in json.loads(local)
        }
        code, _ = run_test(reference, "s3://drift-lake/nothing-here", "--since", "2026-01-02")
        assert code == EXIT_BAD_INPUT


# ---- scheduled runs: --previous and --record ------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "seconds", "since", "until"),
    [
        ("2026-01-02T10:59:59+00:00", 3600, "2026-01-02T09:00:00+00:00", "2026-01-02T10:00:00+00:00"),
        ("2026-01-02T10:00:00+00:00", 3600, "2026-01-02T09:00:00+00:00", "2026-01-02T10:00:00+00:00"),
        ("2026-01-02T11:30:00+01:00", 3600, "2026-01-02T09:00:00+00:00", "2026-01-02T10:00:00+00:00"),
        ("2026-01-03T00:05:00+00:00", 86400, "2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"),
    ],
)
def test_previous_is_the_last_whole_epoch_aligned_window(now: str, seconds: int, since: str, until: str) -> None:
    from detectors.drift.sources import TimeRange

    span = TimeRange.last_whole(seconds, datetime.fromisoformat(now))
    assert (span.since, span.until) == (datetime.fromisoformat(since), datetime.fromisoformat(until))


def test_previous_rejects_bad_lengths_and_explicit_ranges(reference: Path, capsys: pytest.CaptureFixture) -> None:
    for bad in ("0", "-5", "1.5", "hour"):
        with pytest.raises(SystemExit):
            parse(add_test_arguments, ["--previous", bad])
    assert "positive whole number" in capsys.readouterr().err
    code, _ = run_test(reference, Path("w.jsonl"), "--previous", "3600", "--since", "2026-01-01")
    assert code == EXIT_BAD_INPUT and "drop --since/--until" in capsys.readouterr().err
    code, _ = run_test(reference, Path("w.jsonl"), "--record")  # no recorder: detectors alone know no lake
    assert code == EXIT_BAD_INPUT and "need a lake or a topic" in capsys.readouterr().err
    code, _ = run_test(reference, Path("w.jsonl"), "--publish")
    assert code == EXIT_BAD_INPUT and "need a lake or a topic" in capsys.readouterr().err


def scheduled(reference: Path, lake: Path, now: str, *extra: str, settings: Any = None) -> tuple[int, str]:
    """`drift test --previous 86400 --record` at `now`, recording into `lake` as `sahaja drift` does."""
    from functools import partial

    from sidecar.commands import record_drift
    from sidecar.settings import Settings

    out = io.StringIO()
    args = parse(add_test_arguments, ["--reference", str(reference), "--window", str(lake), "--previous", "86400",
                                      "--record", *extra])
    code = drift_test_main(
        args, embed=EMBED, out=out, reader=LAKES, now=datetime.fromisoformat(now),
        record=partial(record_drift, settings or Settings(lake_path=lake), lake=args.record, publish=args.publish),
    )
    return code, out.getvalue()


def test_a_scheduled_run_tests_the_last_whole_day_and_records_it_once(
    two_day_lake: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import shutil


    source, reference = two_day_lake
    lake = tmp_path / "lake"
    shutil.copytree(source, lake)
    code, text = scheduled(reference, lake, "2026-01-03T00:05:00+00:00", "--json")
    assert code == EXIT_OK and "recorded" in capsys.readouterr().err
    overall = _overall(text)
    assert overall["drifted"] and overall["window_id"].endswith("@2026-01-02T00:00:00+00:00..2026-01-03T00:00:00+00:00")
    stored = Lake(lake).scan("drift").collect()  # what the dashboard reads
    assert stored.height == len(json.loads(text))
    assert stored.filter(pl.col("test") == "overall")["drifted"].to_list() == [True]
    # The schedule retried for the same day replaces its file; the day before is a file of its own.
    assert scheduled(reference, lake, "2026-01-03T23:59:00+00:00")[0] == EXIT_OK
    assert len(list((lake / "drift").rglob("*.parquet"))) == 1
    assert scheduled(reference, lake, "2026-01-02T08:00:00+00:00")[0] == EXIT_OK
    days = Lake(lake).scan("drift").filter(pl.col("test") == "overall").collect()
    assert sorted(zip(days["window_start"].dt.day(), days["drifted"], strict=True)) == [(1, False), (2, True)]


def test_a_scheduled_run_skips_a_quiet_window_and_records_nothing(
    two_day_lake: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    _, reference = two_day_lake
    lake = two_day_lake[0]
    code, text = scheduled(reference, lake, "2026-01-09T00:05:00+00:00")
    assert code == EXIT_OK and text == ""
    assert "skipped 2026-01-08T00:00:00+00:00..2026-01-09T00:00:00+00:00: no conversations" in capsys.readouterr().err
    assert not (lake / "drift").exists()


def test_sahaja_drift_test_defaults_to_the_configured_reference_and_lake(tmp_path: Path) -> None:
    from sidecar.commands import fill_test_defaults
    from sidecar.settings import Settings

    args = parse(add_test_arguments, ["--previous", "3600", "--record"])
    fill_test_defaults(args, Settings(lake_path=tmp_path / "lake", drift_reference=tmp_path / "ref"))
    assert (args.reference, args.window) == (tmp_path / "ref", str(tmp_path / "lake"))
    args = parse(add_test_arguments, ["--reference", "r", "--window", "w.jsonl"])
    fill_test_defaults(args, Settings(lake_path=tmp_path / "lake", drift_reference=tmp_path / "ref"))
    assert (args.reference, args.window) == (Path("r"), "w.jsonl")


def test_a_scheduled_run_can_also_publish_its_events_like_the_worker(
    two_day_lake: tuple[Path, Path], tmp_path: Path, settings_factory: Any
) -> None:
    import shutil

    from sidecar.broker import create_topics
    from tests.kafka_helpers import read_all

    source, reference = two_day_lake
    lake = tmp_path / "lake"
    shutil.copytree(source, lake)
    settings = settings_factory(lake_path=lake, drift_topic=f"drift-{tmp_path.name}")
    create_topics(settings.kafka_bootstrap_servers, [settings.drift_topic])
    code, text = scheduled(reference, lake, "2026-01-03T00:05:00+00:00", "--json", "--publish", settings=settings)
    assert code == EXIT_OK
    events = json.loads(text)
    messages = read_all(settings.kafka_bootstrap_servers, settings.drift_topic, expected=len(events))
    assert len(messages) == len(events) == Lake(lake).scan("drift").collect().height
    assert {m.key.decode() for m in messages} == {events[0]["window_id"]}
    assert sorted(json.loads(m.value)["test"] for m in messages) == sorted(e["test"] for e in events)
