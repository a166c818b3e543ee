"""`sahaja score` on a file with bad lines: each is reported by number and skipped, the rest scored."""

import json
import subprocess
import sys
from pathlib import Path

import polars as pl

from tests.conftest import conversation


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("SAHAJA_")}
    env.update({"SAHAJA_DETECTORS": '["wrapper_lexicon"]', "SAHAJA_LOG_FORMAT": "text"})
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "sidecar.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_score_file_skips_bad_lines_with_their_numbers(tmp_path: Path) -> None:
    lines = [json.dumps(conversation(1, wrapper=True)), "{oops", "", json.dumps({"conversation_id": "x"}),
             json.dumps(conversation(2))]
    source = tmp_path / "in.jsonl"
    source.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe\n")
    out = tmp_path / "out.parquet"
    result = run_cli("score", str(source), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"{source}:2: skipped (bad_json)" in result.stderr
    assert f"{source}:4: skipped (schema)" in result.stderr
    assert f"{source}:6: skipped (bad_utf8)" in result.stderr
    frame = pl.read_parquet(out)
    assert frame["conversation_id"].to_list() == ["conv-000001", "conv-000002"]
    assert frame["flagged"].to_list() == [True, False]
    assert frame["source_offset"].to_list() == [1, 5]  # line numbers as offsets
    assert "2 score records (1 flagged)" in result.stdout


def test_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("score", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.parquet"))
    assert result.returncode == 2 and "no such file" in result.stderr


def test_invalid_settings_are_reported_not_raised() -> None:
    result = run_cli("doctor", env_extra={"SAHAJA_BATCH_MAX_SIZE": "-3"})
    assert result.returncode == 2 and "batch_max_size" in result.stderr


def test_schema_command_prints_the_conversation_schema() -> None:
    result = run_cli("schema", "conversation")
    schema = json.loads(result.stdout)
    assert schema["required"] == ["conversation_id", "messages"]


def test_run_without_bootstrap_servers_says_how_to_fix() -> None:
    result = run_cli("run")
    assert result.returncode == 2 and "SAHAJA_KAFKA_BOOTSTRAP_SERVERS" in result.stderr
