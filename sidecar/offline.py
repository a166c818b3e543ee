"""`sahaja score`: score a JSONL file through the same validation and scorer as the stream."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import polars as pl

from detectors.pipeline import Scorer
from detectors.schema import ScoreRecord, SourcedConversation, SourceRef
from sidecar.errors import InvalidMessage
from sidecar.lake import SCORE_SCHEMA, write_parquet_atomic
from sidecar.settings import Settings
from sidecar.validate import parse_conversation


def read_jsonl(path: Path, settings: Settings, errors: TextIO) -> Iterator[SourcedConversation]:
    """Valid conversations of a file; each bad line is reported with its number and skipped."""
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield parse_conversation(
                    line.rstrip(b"\r\n"),
                    SourceRef(topic=path.name, partition=0, offset=number),
                    max_bytes=settings.max_message_bytes,
                    max_messages=settings.max_messages,
                )
            except InvalidMessage as exc:
                print(f"{path}:{number}: skipped ({exc.reason}): {exc.detail}", file=errors)


def score_file(path: Path, settings: Settings, scorer: Scorer, errors: TextIO = sys.stderr) -> list[ScoreRecord]:
    records: list[ScoreRecord] = []
    batch: list[SourcedConversation] = []
    for item in read_jsonl(path, settings, errors):
        batch.append(item)
        if len(batch) >= settings.batch_max_size:
            records.extend(_score(scorer, batch, errors))
            batch = []
    records.extend(_score(scorer, batch, errors))
    return records


def _score(scorer: Scorer, batch: list[SourcedConversation], errors: TextIO) -> list[ScoreRecord]:
    outcome = scorer.score(batch)
    for failure in outcome.failures:
        print(f"detector {failure.detector} failed on {failure.n_items} conversations: {failure.error}", file=errors)
    return outcome.records


def records_frame(records: list[ScoreRecord]) -> pl.DataFrame:
    return pl.DataFrame([r.model_dump() for r in records], schema=SCORE_SCHEMA)


def write_records(records: list[ScoreRecord], out: Path) -> None:
    write_parquet_atomic(records_frame(records), out)
