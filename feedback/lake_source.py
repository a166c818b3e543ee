"""Flagged score records and their conversations, read back from the worker's lake tables.

The worker builds candidates from each batch as it scores; this is the other way in, for a
backfill (a lake written before the feedback loop was on) or a rebuild after a detector update:
`{lake}/scores` joined to `{lake}/conversations` on the exact source record, so each flagged turn
is cut from the snapshot that was scored, not from a later one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import polars as pl

from detectors.schema import Conversation, ScoreRecord
from feedback.candidates import Candidate
from feedback.factory import CANDIDATE_DETECTORS, build_candidates
from feedback.lakefs import LakeFS
from feedback.rescore import Rescorer
from feedback.store import scan_table

SourceKey = tuple[str, str, int, int]  # conversation_id, topic, partition, offset


def flagged_from_lake(
    lake: Path | str | LakeFS,
    since: datetime | None = None,
    until: datetime | None = None,
    detectors: Sequence[str] = tuple(CANDIDATE_DETECTORS),
) -> tuple[list[ScoreRecord], dict[SourceKey, Conversation]]:
    """Flagged records of `detectors` scored in [since, until), and the snapshots they were scored on."""
    fs = LakeFS.from_location(lake)
    scores, convs = scan_table(fs, "scores"), scan_table(fs, "conversations")
    if scores is None or convs is None:
        return [], {}
    query = scores.filter(pl.col("flagged") & pl.col("detector").is_in(list(detectors)))
    if since is not None:
        query = query.filter(pl.col("scored_at") >= since)
    if until is not None:
        query = query.filter(pl.col("scored_at") < until)
    rows = query.sort("scored_at", "source_topic", "source_partition", "source_offset", "turn", "detector").collect()
    records = [ScoreRecord.model_validate(r) for r in rows.to_dicts()]
    wanted = rows.select("conversation_id", "source_topic", "source_partition", "source_offset").unique()
    snapshots = convs.join(
        wanted.lazy().with_columns(pl.col("source_partition").cast(pl.Int64), pl.col("source_offset").cast(pl.Int64)),
        on=["conversation_id", "source_topic", "source_partition", "source_offset"],
    )
    conversations: dict[SourceKey, Conversation] = {}
    for row in snapshots.with_columns(pl.col("source_partition").cast(pl.Int64)).collect().to_dicts():
        key = (row["conversation_id"], row["source_topic"], row["source_partition"], row["source_offset"])
        conversations[key] = Conversation(
            conversation_id=row["conversation_id"],
            messages=json.loads(row["messages"]),
            model=row.get("model"),
            model_version=row.get("model_version"),
        )
    return records, conversations


def candidates_from_lake(
    lake: Path | str | LakeFS,
    rescorer: Rescorer | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Candidate]:
    """Candidates for every flagged turn in the lake's score table (not yet written anywhere)."""
    records, snapshots = flagged_from_lake(lake, since, until)

    def lookup(record: ScoreRecord) -> Conversation | None:
        key = (record.conversation_id, record.source_topic, record.source_partition, record.source_offset)
        return snapshots.get(key)

    return build_candidates(records, lookup, rescorer)
