"""Where reference and window conversations come from: a JSONL file, or a lake folder.

The only module of the package that reads the lake. A lake holds one row per conversation
snapshot (a conversation grows turn by turn), so it keeps the latest snapshot per conversation
before sampling: the reference weighs conversations, not turns.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from detectors.drift.build import Reservoir
from detectors.drift.errors import DriftInputError
from detectors.schema import SCORE_COLUMNS, Conversation, ScoreRecord


def read_jsonl(path: Path, limit: int | None = None, seed: int = 0) -> tuple[list[Conversation], int]:
    """Conversations of a JSONL file (one object per line); a uniform sample of `limit` when given."""
    if not path.is_file():
        raise DriftInputError(f"{path} is not a file: give a JSONL file of conversations or a lake folder")
    reservoir: Reservoir[Conversation] = Reservoir(limit or 2**62, seed)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                reservoir.add([Conversation.model_validate_json(line)])
            except ValueError as exc:
                raise DriftInputError(f"{path}:{number} is not a valid conversation: {exc}") from exc
    return reservoir.items, reservoir.seen


def is_lake(path: Path) -> bool:
    return path.is_dir() and (path / "conversations").is_dir()


def sample_lake(lake: Path, limit: int, seed: int = 0) -> tuple[list[Conversation], int]:
    """A uniform sample of `limit` conversations (latest snapshot each) from `{lake}/conversations/`."""
    import polars as pl

    files = sorted((lake / "conversations").glob("**/*.parquet"))
    if not files:
        raise DriftInputError(f"no Parquet files under {lake}/conversations: is {lake} the worker's lake_path?")
    scan = pl.scan_parquet(files, hive_partitioning=False)
    ids = scan.select(pl.col("conversation_id").unique()).collect()["conversation_id"].sort().to_list()
    rng = np.random.default_rng(seed)
    chosen = ids if len(ids) <= limit else [ids[i] for i in sorted(rng.choice(len(ids), limit, replace=False))]
    rows = (
        scan.filter(pl.col("conversation_id").is_in(chosen))
        .select("conversation_id", "model", "model_version", "event_time", "messages")
        .sort("event_time")
        .unique(subset="conversation_id", keep="last", maintain_order=True)
        .collect()
    )
    conversations = []
    for row in rows.iter_rows(named=True):
        try:
            conversations.append(
                Conversation(
                    conversation_id=row["conversation_id"],
                    model=row["model"],
                    model_version=row["model_version"],
                    timestamp=row["event_time"],
                    messages=json.loads(row["messages"]),
                )
            )
        except ValueError as exc:
            raise DriftInputError(f"conversation {row['conversation_id']} in {lake} is unreadable: {exc}") from exc
    return conversations, len(ids)


def lake_records(lake: Path, conversation_ids: list[str]) -> list[ScoreRecord]:
    """Score records of the given conversations from `{lake}/scores/` (empty when there is none)."""
    import polars as pl

    files = sorted((lake / "scores").glob("**/*.parquet"))
    if not files:
        return []
    frame = (
        pl.scan_parquet(files, hive_partitioning=False)
        .filter(pl.col("conversation_id").is_in(conversation_ids))
        .select(SCORE_COLUMNS)
        .unique(subset=["conversation_id", "turn", "detector"], keep="last")
        .collect()
    )
    return [ScoreRecord.model_validate(row) for row in frame.iter_rows(named=True)]


def load_source(path: Path, limit: int, seed: int = 0) -> tuple[list[Conversation], list[ScoreRecord] | None, int]:
    """Conversations, their stored score records (lake only; None for JSONL) and how many were seen."""
    if is_lake(path):
        conversations, seen = sample_lake(path, limit, seed)
        return conversations, lake_records(path, [c.conversation_id for c in conversations]), seen
    if path.is_dir():
        raise DriftInputError(f"{path} is a folder without conversations/: give a lake folder or a JSONL file")
    conversations, seen = read_jsonl(path, limit, seed)
    return conversations, None, seen
