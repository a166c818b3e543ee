"""`drift reference` / `drift test` as the CLI runs them: JSONL and lake sources, JSON output, exit codes."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime
from pathlib import Path

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
from tests.drift_synthetic import HashingEmbedder, topic_mix

EMBED = HashingEmbedder(dim=64).embed


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


def test_reference_from_a_lake(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows = topic_mix(200, rng, prefix="k")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    day = tmp_path / "lake" / "conversations" / "date=2026-01-01"
    day.mkdir(parents=True)
    # Two snapshots of the first conversation: only the latest may count.
    snapshots = [rows[0] | {"messages": rows[0]["messages"][:1]}] + rows
    pl.DataFrame(
        {
            "conversation_id": [r["conversation_id"] for r in snapshots],
            "model": ["m"] * len(snapshots),
            "model_version": [r["model_version"] for r in snapshots],
            "event_time": [now] * len(snapshots),
            "messages": [json.dumps(r["messages"]) for r in snapshots],
        }
    ).write_parquet(day / "in+0+00000000000000000000+00000000000000000200.parquet")
    scores = tmp_path / "lake" / "scores" / "date=2026-01-01" / "detector=hedging"
    scores.mkdir(parents=True)
    pl.DataFrame(
        {
            "conversation_id": [r["conversation_id"] for r in rows],
            "turn": [1] * 200,
            "detector": ["hedging"] * 200,
            "score": rng.random(200),
            "flagged": rng.random(200) < 0.2,
            "threshold": [0.5] * 200,
            "detector_version": ["1"] * 200,
            "model": ["m"] * 200,
            "model_version": ["v1"] * 200,
            "event_time": [now] * 200,
            "scored_at": [now] * 200,
            "source_topic": ["in"] * 200,
            "source_partition": [0] * 200,
            "source_offset": list(range(200)),
            "details": ["{}"] * 200,
        }
    ).write_parquet(scores / "in+0+00000000000000000000+00000000000000000200.parquet")
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
    assert reference_main(args, embed=EMBED, out=io.StringIO()) == EXIT_OK
    profile = ReferenceProfile.load(tmp_path / "ref")
    assert profile.manifest.n_seen == 200 and profile.manifest.n_sample == 150
    assert profile.manifest.detectors["hedging"]["n"] == 150
