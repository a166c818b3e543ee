"""The Parquet lake: one file per (table partition, source partition, offset range), written atomically.

Files are named `{topic}+{partition}+{first:020d}+{last:020d}.parquet` after the source records
they hold. A batch that is re-processed after a crash (its offsets were never committed) may be
cut differently the second time, so before a new file lands, every file of the same source
partition whose range overlaps it is removed: replays overwrite, they never duplicate. The
uncommitted tail that such a removal takes away is re-read and rewritten by the following batches;
rows before the replay's first offset (a compacted file spans committed offsets too) are kept.
Which files a write replaces comes from `SpanIndex` (sidecar/lake_index.py): the folder is listed
once per source partition, not on every batch.

The root is a local folder or an object-store URL (`s3://bucket/prefix`); `feedback.lakefs.LakeFS`
does the file operations (rename into place locally, one atomic PUT per file on a store) and every
`OSError` it raises becomes a `LakeWriteError`, which the worker retries without committing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from detectors.schema import ScoreRecord, SourcedConversation
from feedback.lake_files import file_name, parse_file_name
from feedback.lakefs import LakeFS, parse_location
from sidecar.errors import LakeWriteError
from sidecar.lake_index import Span, SpanIndex, overlapping_names

if TYPE_CHECKING:
    from sidecar.settings import Settings

SCORE_SCHEMA: dict[str, Any] = {
    "conversation_id": pl.String,
    "turn": pl.Int32,
    "detector": pl.String,
    "score": pl.Float64,
    "flagged": pl.Boolean,
    "threshold": pl.Float64,
    "detector_version": pl.String,
    "model": pl.String,
    "model_version": pl.String,
    "event_time": pl.Datetime("us", "UTC"),
    "scored_at": pl.Datetime("us", "UTC"),
    "source_topic": pl.String,
    "source_partition": pl.Int32,
    "source_offset": pl.Int64,
    "details": pl.String,
}

CONVERSATION_SCHEMA: dict[str, Any] = {
    "conversation_id": pl.String,
    "model": pl.String,
    "model_version": pl.String,
    "event_time": pl.Datetime("us", "UTC"),
    "source_topic": pl.String,
    "source_partition": pl.Int32,
    "source_offset": pl.Int64,
    "n_messages": pl.Int32,
    "messages": pl.String,
    "labels": pl.String,
    "metadata": pl.String,
}

LABEL_SCHEMA: dict[str, Any] = {
    "conversation_id": pl.String,
    "labels": pl.String,
    "event_time": pl.Datetime("us", "UTC"),
    "source_partition": pl.Int32,
    "source_offset": pl.Int64,
}

DETECTOR_ERROR_SCHEMA: dict[str, Any] = {
    "detector": pl.String,
    "error": pl.String,
    "n_items": pl.Int32,
    "source_topic": pl.String,
    "source_partition": pl.Int32,
    "first_offset": pl.Int64,
    "last_offset": pl.Int64,
    "failed_at": pl.Datetime("us", "UTC"),
}

OffsetRanges = dict[int, Span]


def write_parquet_atomic(frame: pl.DataFrame, path: Path | str) -> None:
    """Write one Parquet file so that readers never see half of it (temp + fsync + rename locally,
    one PUT on an object store)."""
    location = parse_location(path)
    folder, name = (location.parent, location.name) if isinstance(location, Path) else location.rsplit("/", 1)
    try:
        LakeFS.from_location(folder).write_parquet(frame, name)
    except OSError as exc:
        raise LakeWriteError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _ranged_files(fs: LakeFS, folder: tuple[str, ...], topic: str, partition: int) -> dict[str, Span]:
    parsed = (parse_file_name(name) for name in fs.list_names(*folder))
    return {f.name: (f.first, f.last) for f in parsed if f and (f.topic, f.partition) == (topic, partition)}


class Lake:
    """Writes and locates the lake's tables under one root: a local folder or an object-store URL."""

    def __init__(self, root: Path | str | LakeFS) -> None:
        self.fs = LakeFS.from_location(root)
        self.root = self.fs.location
        self.spans = SpanIndex()

    @classmethod
    def from_settings(cls, settings: Settings) -> Lake:
        """The configured lake, with the object store's timeouts: how the worker and every command open it."""
        return cls(LakeFS.from_location(settings.lake_path, settings.lake_timeouts()))

    def forget_partitions(self) -> None:
        """Call when partitions are (re)assigned: another member may have written them meanwhile."""
        self.spans.forget()

    def table(self, name: str) -> Path | str:
        """Where a table lives, as polars reads it (a local path or a URL)."""
        return self.fs.url(name)

    def glob(self, name: str) -> Path | str:
        return self.fs.url(name, "**", "*.parquet")

    def scan(self, name: str) -> pl.LazyFrame | None:
        """Hive-partitioned lazy scan of one table (None while it has no file), local or remote alike."""
        return self.fs.scan(name)

    def _write(self, frame: pl.DataFrame, *parts: str) -> Path | str:
        try:
            return self.fs.write_parquet(frame, *parts)
        except OSError as exc:
            raise LakeWriteError(f"cannot write {self.fs.url(*parts)}: {exc.strerror or exc}") from exc

    def _write_ranged(
        self, frame: pl.DataFrame, folder: tuple[str, ...], topic: str, partition: int, span: Span
    ) -> Path | str:
        name = file_name(topic, partition, *span)
        written = self._write(frame, *folder, name)
        try:
            stale = self.spans.overlapping(folder, topic, partition, span)
            if stale is None:
                files = _ranged_files(self.fs, folder, topic, partition)
                self.spans.load(folder, topic, partition, files)
                stale = overlapping_names(files, span)
            stale = [n for n in stale if n != name]
            for gone in stale:
                self._keep_before(folder, gone, span[0])
                self.fs.delete(*folder, gone)
        except (OSError, ValueError, pl.exceptions.PolarsError) as exc:  # ValueError: a damaged file (ArrowInvalid)
            raise LakeWriteError(f"cannot replace files in {self.fs.url(*folder)}: {exc}") from exc
        # A trimmed file ends before this write begins: it can never overlap a later write, so the index
        # need not hold it.
        self.spans.written(folder, topic, partition, name, span, stale)
        return written

    def _keep_before(self, folder: tuple[str, ...], name: str, first: int) -> None:
        """A replaced file that starts before the replay (a compacted file holds committed offsets too):
        its rows before `first` are rewritten as their own file, so a replay replaces offsets, not files."""
        replaced = parse_file_name(name)
        if replaced is None or replaced.first >= first:
            return
        frame = self.fs.read_parquet(*folder, name)
        if "source_offset" not in frame.columns:
            return
        before = frame.filter(pl.col("source_offset") < first)
        if not before.is_empty():
            kept = file_name(replaced.topic, replaced.partition, replaced.first, first - 1)
            self.fs.write_parquet(before, *folder, kept)

    def write_scores(self, records: Sequence[ScoreRecord], topic: str, ranges: OffsetRanges) -> list[Path | str]:
        """One file per (date, detector, source partition); `ranges` gives each partition's batch span."""
        groups: dict[tuple[date, str, int], list[dict[str, Any]]] = defaultdict(list)
        for rec in records:
            groups[(rec.event_time.date(), rec.detector, rec.source_partition)].append(rec.model_dump())
        written = []
        for (day, detector, partition), rows in sorted(groups.items()):
            frame = pl.DataFrame(rows, schema=SCORE_SCHEMA)
            folder = ("scores", f"date={day.isoformat()}", f"detector={detector}")
            written.append(self._write_ranged(frame, folder, topic, partition, ranges[partition]))
        return written

    def write_conversations(
        self, items: Sequence[SourcedConversation], topic: str, ranges: OffsetRanges
    ) -> list[Path | str]:
        groups: dict[tuple[date, int], list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            groups[(item.event_time.date(), item.source.partition)].append(conversation_row(item))
        written = []
        for (day, partition), rows in sorted(groups.items()):
            frame = pl.DataFrame(rows, schema=CONVERSATION_SCHEMA)
            folder = ("conversations", f"date={day.isoformat()}")
            written.append(self._write_ranged(frame, folder, topic, partition, ranges[partition]))
        return written

    def write_labels(self, labels: Sequence[tuple[Any, Any]], topic: str, ranges: OffsetRanges) -> list[Path | str]:
        """Late correctness labels (`{conversation_id, labels}` events), partitioned by arrival date."""
        groups: dict[tuple[date, int], list[dict[str, Any]]] = defaultdict(list)
        for source, event in labels:
            row = label_row(source, event)
            groups[(row["event_time"].date(), source.partition)].append(row)
        written = []
        for (day, partition), rows in sorted(groups.items()):
            frame = pl.DataFrame(rows, schema=LABEL_SCHEMA)
            folder = ("labels", f"date={day.isoformat()}")
            written.append(self._write_ranged(frame, folder, topic, partition, ranges[partition]))
        return written

    def write_detector_errors(self, failures: Sequence[Any], topic: str, ranges: OffsetRanges) -> list[Path | str]:
        """Which offsets lack a detector's scores because it failed open (one row per detector and
        source partition). Not date-partitioned, so that a replayed batch overwrites its own file."""
        failed_at = datetime.now(UTC)
        written = []
        for partition, (first, last) in sorted(ranges.items()):
            rows = [
                {"detector": f.detector, "error": f.error, "n_items": f.n_items, "source_topic": topic,
                 "source_partition": partition, "first_offset": first, "last_offset": last, "failed_at": failed_at}
                for f in failures
            ]
            frame = pl.DataFrame(rows, schema=DETECTOR_ERROR_SCHEMA)
            written.append(self._write_ranged(frame, ("detector_errors",), topic, partition, (first, last)))
        return written

    def write_rows(self, table: str, rows: Iterable[dict[str, Any]], day: date, name: str) -> Path | str:
        """Append a file of rows to a small table (drift events, label events, detector errors)."""
        return self._write(pl.DataFrame(list(rows)), table, f"date={day.isoformat()}", f"{name}.parquet")


def conversation_row(item: SourcedConversation) -> dict[str, Any]:
    conv = item.conversation
    return {
        "conversation_id": conv.conversation_id,
        "model": conv.model,
        "model_version": conv.model_version,
        "event_time": item.event_time,
        "source_topic": item.source.topic,
        "source_partition": item.source.partition,
        "source_offset": item.source.offset,
        "n_messages": len(conv.messages),
        "messages": json.dumps([m.model_dump(exclude_none=True) for m in conv.messages], ensure_ascii=False),
        "labels": json.dumps(conv.labels, ensure_ascii=False, default=str),
        "metadata": json.dumps(conv.metadata, ensure_ascii=False, default=str),
    }


def label_row(source: Any, event: Any) -> dict[str, Any]:
    return {
        "conversation_id": event.conversation_id,
        "labels": json.dumps(event.labels, ensure_ascii=False, default=str),
        "event_time": event.timestamp or source.record_time or datetime.now(UTC),
        "source_partition": source.partition,
        "source_offset": source.offset,
    }
