"""Where reference and window conversations come from, optionally cut to an event-time range
(`TimeRange`) so any stretch of traffic can be re-tested offline.

This package reads JSONL files itself; it never opens the lake. For a lake the caller hands over
the tables as lazy frames (`sidecar.drift_source` does, for folders and object stores) and the pure
functions here sample them: a lake holds one row per conversation snapshot (a conversation grows
turn by turn), so the latest snapshot per conversation is kept before sampling, and the reference
weighs conversations, not turns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np
import polars as pl

from detectors.drift.build import Reservoir
from detectors.drift.errors import DriftInputError, EmptyWindowError
from detectors.schema import SCORE_COLUMNS, Conversation, ScoreRecord


def epoch_bucket(when: datetime, seconds: float) -> int:
    """Index of the `seconds`-long window, aligned to the epoch, that `when` falls in: the worker's
    time windows and the scheduled `--previous` runs cut traffic by this one rule."""
    return int(when.timestamp() // seconds)


@dataclass(frozen=True)
class TimeRange:
    """[since, until) on event time (UTC); either end may be open. A conversation without a
    timestamp is outside every range that has an end."""

    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise DriftInputError(f"--since {self.since.isoformat()} is not before --until {self.until.isoformat()}")

    @classmethod
    def last_whole(cls, seconds: int, now: datetime) -> TimeRange:
        """The latest whole window of `seconds` that ended at or before `now`, aligned to the epoch as
        the worker's time windows are, so a scheduled run tests each hour (day...) exactly once."""
        if seconds <= 0:
            raise DriftInputError(f"a window must last a positive number of seconds, not {seconds}")
        end = epoch_bucket(now, seconds) * seconds
        return cls(datetime.fromtimestamp(end - seconds, UTC), datetime.fromtimestamp(end, UTC))

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

    def restrict(self, frame: pl.LazyFrame, column: str = "event_time") -> pl.LazyFrame:
        """`frame` cut to the rows whose `column` lies in the range (the frame form of `contains`)."""
        if self.since is not None:
            frame = frame.filter(pl.col(column) >= self.since)
        if self.until is not None:
            frame = frame.filter(pl.col(column) < self.until)
        return frame

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


class Source(NamedTuple):
    """What a reference or a window is built from: the conversations, their stored score records
    (None when the source stores none, so they are scored here) and how many the source held."""

    conversations: list[Conversation]
    records: list[ScoreRecord] | None
    seen: int


class SourceReader(Protocol):
    """Reads a `--from` / `--window` location. The package itself reads JSONL files only
    (`JsonlReader`); the lake reader lives with the code that knows the lake (`sidecar.drift_source`)."""

    def is_lake(self, location: str) -> bool: ...

    def read(self, location: str, limit: int | None, seed: int, window: TimeRange) -> Source: ...


class JsonlReader:
    def is_lake(self, location: str) -> bool:
        return False

    def read(self, location: str, limit: int | None, seed: int, window: TimeRange) -> Source:
        path = Path(location)
        if path.is_dir():
            raise DriftInputError(
                f"{path} is a folder without conversations/: give a JSONL file of conversations or the worker's lake"
            )
        conversations, seen = read_jsonl(path, limit, seed, window)
        if not conversations and window.bounded:
            raise EmptyWindowError(f"no conversations in {path} with a timestamp in {window.describe()}")
        return Source(conversations, None, seen)


def sample_snapshots(
    snapshots: pl.LazyFrame, limit: int | None, seed: int = 0, window: TimeRange = ALL_TIME, where: str = "the lake"
) -> tuple[list[Conversation], int]:
    """A uniform sample of `limit` conversations from a conversations table (one row per snapshot:
    a conversation grows turn by turn, so the latest snapshot of each is kept), restricted to
    snapshots inside `window` (event time); and how many conversations there were."""
    snapshots = window.restrict(snapshots)
    ids = snapshots.select(pl.col("conversation_id").unique()).collect()["conversation_id"].sort().to_list()
    if not ids:
        scope = f" with event time in {window.describe()}" if window.bounded else ""
        raise EmptyWindowError(f"no conversations in {where}{scope}")
    rng = np.random.default_rng(seed)
    chosen = ids
    if limit is not None and len(ids) > limit:
        chosen = [ids[i] for i in sorted(rng.choice(len(ids), limit, replace=False))]
    rows = (
        snapshots.filter(pl.col("conversation_id").is_in(chosen))
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
            raise DriftInputError(f"conversation {row['conversation_id']} in {where} is unreadable: {exc}") from exc
    return conversations, len(ids)


def stored_records(scores: pl.LazyFrame | None, conversation_ids: list[str]) -> list[ScoreRecord]:
    """Score records of the given conversations from a scores table (latest per turn and detector)."""
    if scores is None:
        return []
    frame = (
        scores.filter(pl.col("conversation_id").is_in(conversation_ids))
        .select(SCORE_COLUMNS)
        .unique(subset=["conversation_id", "turn", "detector"], keep="last")
        .collect()
    )
    return [ScoreRecord.model_validate(row) for row in frame.iter_rows(named=True)]
