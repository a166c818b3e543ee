"""Where reference and window conversations come from: a JSONL file, or a lake folder, optionally
cut to an event-time range (`TimeRange`) so any stretch of traffic can be re-tested offline.

The only module of the package that reads the lake. A lake holds one row per conversation
snapshot (a conversation grows turn by turn), so it keeps the latest snapshot per conversation
before sampling: the reference weighs conversations, not turns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from detectors.drift.build import Reservoir
from detectors.drift.errors import DriftInputError
from detectors.schema import SCORE_COLUMNS, Conversation, ScoreRecord


@dataclass(frozen=True)
class TimeRange:
    """[since, until) on event time (UTC); either end may be open. A conversation without a
    timestamp is outside every range that has an end."""

    since: datetime | None = None
    until: datetime | None = None

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    def contains(self, when: datetime | None) -> bool:
        if not self.bounded:
            return True
        if when is None:
            return False
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        return (self.since is None or when >= self.since) and (self.until is None or when < self.until)

    def describe(self) -> str:
        def show(t: datetime | None) -> str:
            return "" if t is None else t.isoformat()

        return f"{show(self.since)}..{show(self.until)}"


ALL_TIME = TimeRange()


def read_jsonl(
    path: Path, limit: int | None = None, seed: int = 0, window: TimeRange = ALL_TIME
) -> tuple[list[Conversation], int]:
    """Conversations of a JSONL file (one object per line) inside `window`; a uniform sample of
    `limit` when given. The count is of the conversations inside `window`."""
    if not path.is_file():
        raise DriftInputError(f"{path} is not a file: give a JSONL file of conversations or a lake folder")
    reservoir: Reservoir[Conversation] = Reservoir(limit or 2**62, seed)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                conversation = Conversation.model_validate_json(line)
            except ValueError as exc:
                raise DriftInputError(f"{path}:{number} is not a valid conversation: {exc}") from exc
            if window.contains(conversation.timestamp):
                reservoir.add([conversation])
    return reservoir.items, reservoir.seen


def is_lake(path: Path) -> bool:
    return path.is_dir() and (path / "conversations").is_dir()


def sample_lake(lake: Path, limit: int, seed: int = 0, window: TimeRange = ALL_TIME) -> tuple[list[Conversation], int]:
    """A uniform sample of `limit` conversations (latest snapshot each) from `{lake}/conversations/`
    whose snapshots fall inside `window` (event time), and how many there were."""
    import polars as pl

    files = sorted((lake / "conversations").glob("**/*.parquet"))
    if not files:
        raise DriftInputError(f"no Parquet files under {lake}/conversations: is {lake} the worker's lake_path?")
    scan = pl.scan_parquet(files, hive_partitioning=False)
    if window.since is not None:
        scan = scan.filter(pl.col("event_time") >= window.since)
    if window.until is not None:
        scan = scan.filter(pl.col("event_time") < window.until)
    ids = scan.select(pl.col("conversation_id").unique()).collect()["conversation_id"].sort().to_list()
    if not ids and window.bounded:
        raise DriftInputError(f"no conversations in {lake} with event time in {window.describe()}")
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


def load_source(
    path: Path, limit: int | None, seed: int = 0, window: TimeRange = ALL_TIME
) -> tuple[list[Conversation], list[ScoreRecord] | None, int]:
    """Conversations inside `window`, their stored score records (lake only; None for JSONL) and how
    many were seen."""
    if is_lake(path):
        conversations, seen = sample_lake(path, limit or 2**62, seed, window)
        return conversations, lake_records(path, [c.conversation_id for c in conversations]), seen
    if path.is_dir():
        raise DriftInputError(f"{path} is a folder without conversations/: give a lake folder or a JSONL file")
    conversations, seen = read_jsonl(path, limit, seed, window)
    if not conversations and window.bounded:
        raise DriftInputError(f"no conversations in {path} with a timestamp in {window.describe()}")
    return conversations, None, seen
