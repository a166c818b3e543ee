"""From `sahaja demo` to a reviewed candidate and an exported, verified, reproducible batch: the CLI path."""

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from feedback import FeedbackLake, verify_batch


def sahaja(*args: str, lake: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAHAJA_")}
    env.update({"SAHAJA_DETECTORS": '["wrapper_lexicon"]', "SAHAJA_LOG_FORMAT": "text", "SAHAJA_REVIEWER": "ci",
                "SAHAJA_SESSION_TIMEOUT_MS": "6000", "SAHAJA_HEARTBEAT_INTERVAL_MS": "500",
                "SAHAJA_MAX_POLL_INTERVAL_MS": "10000"})
    return subprocess.run([sys.executable, "-m", "sidecar.cli", "--lake", str(lake), *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("demo") / "lake"
    result = sahaja("demo", "--limit", "400", lake=lake)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "produced 400 conversations" in result.stdout
    assert "wrapper_lexicon" in result.stdout
    return lake


def test_demo_fills_the_lake_and_the_candidate_table(demo_lake: Path) -> None:
    scores = pl.scan_parquet(str(demo_lake / "scores" / "**" / "*.parquet")).collect()
    conversations = pl.scan_parquet(str(demo_lake / "conversations" / "**" / "*.parquet")).collect()
    assert conversations["conversation_id"].n_unique() == 400
    assert scores.filter(pl.col("flagged")).height > 0
    candidates = FeedbackLake(demo_lake).list_candidates()
    assert candidates.height > 0
    assert set(candidates["status"]) == {"pending"}


def test_review_then_export_a_verified_reproducible_batch(demo_lake: Path, tmp_path: Path) -> None:
    pairs = FeedbackLake(demo_lake).list_candidates().filter(pl.col("kind") == "pair")
    first, second = pairs["candidate_id"][0], pairs["candidate_id"][1]
    accepted = sahaja("review", "accept", first, "--reason", "wrapper removed cleanly", lake=demo_lake)
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout)["status"] == "accepted"
    again = sahaja("review", "accept", first, lake=demo_lake)
    assert again.returncode == 1 and "error" in again.stderr  # a second accept is a conflict, not a silent no-op
    edited = sahaja("review", "edit", second, "--chosen", "Here is the answer, without the preamble.", lake=demo_lake)
    assert edited.returncode == 0, edited.stderr
    assert sahaja("review", "reject", "no-such-candidate", lake=demo_lake).returncode == 1

    out_a, out_b = tmp_path / "a", tmp_path / "b"
    assert sahaja("export", "--out", str(out_a), lake=demo_lake).returncode == 0
    assert sahaja("export", "--out", str(out_b), lake=demo_lake).returncode == 0
    verify_batch(out_a)
    rows = [json.loads(line) for line in (out_a / "train.jsonl").read_text().splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert row["prompt"][-1]["role"] == "user"
        assert [m["role"] for m in row["chosen"]] == ["assistant"] == [m["role"] for m in row["rejected"]]
    for name in ("train.jsonl", "manifest.json"):
        assert (out_a / name).read_bytes() == (out_b / name).read_bytes()
