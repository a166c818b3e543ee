"""The lake as a drift source: `sahaja drift reference --from LAKE` and `drift test --window LAKE`.

`detectors.drift` never opens the lake; this reader does, through `feedback.lakefs` (a folder or an
object-store URL, with the store's timeouts), and hands the conversations and scores tables to the
pure sampling functions as lazy frames. Anything that is not a lake is read as a JSONL file.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from detectors.drift.errors import DriftInputError
from detectors.drift.sources import JsonlReader, Source, TimeRange, sample_snapshots, stored_records
from feedback.lakefs import LakeFS, StoreTimeouts, parse_location
from feedback.store import scan_table


class LakeOrJsonlReader:
    """A lake (a folder holding `conversations/`, or any object-store URL) or a JSONL file."""

    def __init__(self, timeouts: StoreTimeouts | None = None) -> None:
        self._jsonl = JsonlReader()
        self._timeouts = timeouts  # an object store's connect / stall limits (the settings'), else its defaults

    def is_lake(self, location: str) -> bool:
        try:
            parsed = parse_location(location)
        except ValueError as exc:  # an unsupported URL scheme, a URL with credentials in it
            raise DriftInputError(str(exc)) from exc
        return not isinstance(parsed, Path) or (parsed / "conversations").is_dir()

    def read(self, location: str, limit: int | None, seed: int, window: TimeRange) -> Source:
        if not self.is_lake(location):
            return self._jsonl.read(location, limit, seed, window)
        try:
            lake = LakeFS.from_location(location, self._timeouts)
            snapshots = scan_table(lake, "conversations")
            if snapshots is None:
                raise DriftInputError(f"no Parquet files under {location}/conversations: is it the worker's lake?")
            conversations, seen = sample_snapshots(snapshots, limit, seed, window, where=str(location))
            records = stored_records(scan_table(lake, "scores"), [c.conversation_id for c in conversations])
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise DriftInputError(f"cannot read the lake {location}: {exc}") from exc
        return Source(conversations, records, seen)
