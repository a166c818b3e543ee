"""The feedback tables of the lake: candidates and review events, append-only Parquet.

    {lake}/candidates/date=YYYY-MM-DD/cand-{content digest}.parquet   (date of created_at, UTC)
    {lake}/reviews/date=YYYY-MM-DD/{at:%Y%m%dT%H%M%S%fZ}-{event_id}.parquet   (date of the event)

Every file lands atomically through `feedback.lakefs.LakeFS`: on a local folder it is written to a
hidden temporary name and renamed into place (a crash leaves at most a `.tmp` file that readers
ignore); on an object store (`s3://...`) it is one PUT, invisible until complete.
Files are never rewritten: candidate file names are derived from their content (a replayed batch
lands on the same name), and a review is one small file per event, named by time and id. Readers
use polars lazy scans over the hive-partitioned folders.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC
from pathlib import Path

import polars as pl

from feedback.candidates import Candidate
from feedback.dedupe import dedupe
from feedback.errors import StoreError, UnknownCandidateError
from feedback.lakefs import LakeFS
from feedback.reviews import CandidateState, ReviewEvent, fold

_UTC = pl.Datetime("us", "UTC")
CANDIDATE_SCHEMA: dict[str, pl.DataType] = {
    "candidate_id": pl.String(),
    "content_hash": pl.String(),
    "kind": pl.String(),
    "chosen_status": pl.String(),
    "detector": pl.String(),
    "detector_version": pl.String(),
    "score": pl.Float64(),
    "threshold": pl.Float64(),
    "conversation_id": pl.String(),
    "turn": pl.Int64(),
    "source_topic": pl.String(),
    "source_partition": pl.Int64(),
    "source_offset": pl.Int64(),
    "model": pl.String(),
    "model_version": pl.String(),
    "created_at": _UTC,
    "duplicate_count": pl.Int64(),
    "prompt": pl.String(),  # JSON: list of {role, content}
    "rejected": pl.String(),
    "chosen": pl.String(),  # JSON or null
    "occurrences": pl.String(),
    "details": pl.String(),
}
REVIEW_SCHEMA: dict[str, pl.DataType] = {
    "event_id": pl.String(),
    "candidate_id": pl.String(),
    "action": pl.String(),
    "chosen": pl.String(),
    "reviewer": pl.String(),
    "reason": pl.String(),
    "at": _UTC,
}
_JSON_COLUMNS = ("prompt", "rejected", "chosen", "occurrences", "details")


def write_atomic(frame: pl.DataFrame, lake: LakeFS, *parts: str) -> Path | str:
    """Write `frame` at `parts` under the lake so that no reader sees half a file."""
    try:
        return lake.write_parquet(frame, *parts)
    except OSError as exc:
        raise StoreError(f"cannot write {lake.url(*parts)}: {exc}") from exc


def scan_table(lake: LakeFS, table: str) -> pl.LazyFrame | None:
    """Lazy scan of a hive-partitioned table (the `date` column dropped), or None while it has no file."""
    scan = lake.scan(table)
    return None if scan is None else scan.drop("date", strict=False)


class CandidateStore:
    """The `{lake}/candidates` table."""

    def __init__(self, lake: Path | str | LakeFS) -> None:
        self.lake = LakeFS.from_location(lake)

    def write(self, candidates: Iterable[Candidate]) -> list[Path | str]:
        """Append candidates (one file per created_at date); the same batch twice lands on the same file."""
        by_date: dict[str, list[Candidate]] = {}
        for c in candidates:
            by_date.setdefault(c.created_at.astimezone(UTC).strftime("%Y-%m-%d"), []).append(c)
        paths = []
        for date, group in sorted(by_date.items()):
            digest = hashlib.sha256("\n".join(c.model_dump_json() for c in group).encode()).hexdigest()[:24]
            name = f"cand-{digest}.parquet"
            paths.append(write_atomic(candidates_to_frame(group), self.lake, "candidates", f"date={date}", name))
        return paths

    def scan(self) -> pl.LazyFrame | None:
        return scan_table(self.lake, "candidates")

    def all(self) -> list[Candidate]:
        """Every candidate once: rows of one id from several files merged (occurrences unioned)."""
        scan = self.scan()
        return [] if scan is None else dedupe(frame_to_candidates(scan.collect()))

    def get(self, candidate_id: str) -> Candidate:
        scan = self.scan()
        rows = (
            [] if scan is None else frame_to_candidates(scan.filter(pl.col("candidate_id") == candidate_id).collect())
        )
        if not rows:
            raise UnknownCandidateError(candidate_id)
        return dedupe(rows)[0]


class ReviewStore:
    """The `{lake}/reviews` table: one file per event, validated against the candidates before writing."""

    def __init__(self, lake: Path | str | LakeFS, candidates: CandidateStore | None = None) -> None:
        self.lake = LakeFS.from_location(lake)
        self.candidates = candidates or CandidateStore(self.lake)

    def append(self, event: ReviewEvent) -> CandidateState:
        """Write `event` if it applies to the candidate's current state; return the new state.

        Raises `UnknownCandidateError`, `ReviewConflictError` or `EmptyChosenError` and writes
        nothing when it does not apply. Re-appending an event with the same id is a no-op.
        """
        candidate = self.candidates.get(event.candidate_id)
        history = self.events(event.candidate_id)
        if any(e.event_id == event.event_id for e in history):
            return fold(candidate, history, strict=False)
        state = fold(candidate, [*history, event], strict=True)
        at = event.at.astimezone(UTC)
        name = f"{at.strftime('%Y%m%dT%H%M%S%fZ')}-{event.event_id}.parquet"
        write_atomic(events_to_frame([event]), self.lake, "reviews", f"date={at.strftime('%Y-%m-%d')}", name)
        return state

    def scan(self) -> pl.LazyFrame | None:
        return scan_table(self.lake, "reviews")

    def events(self, candidate_id: str | None = None) -> list[ReviewEvent]:
        scan = self.scan()
        if scan is None:
            return []
        if candidate_id is not None:
            scan = scan.filter(pl.col("candidate_id") == candidate_id)
        rows = scan.sort("at", "event_id").collect().to_dicts()
        return [ReviewEvent.model_validate(r) for r in rows]


def candidates_to_frame(candidates: Iterable[Candidate]) -> pl.DataFrame:
    rows = []
    for c in candidates:
        row = c.model_dump(mode="python")
        for key in _JSON_COLUMNS:
            value = row[key]
            row[key] = None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
        rows.append(row)
    return pl.DataFrame(rows, schema=CANDIDATE_SCHEMA)


def frame_to_candidates(frame: pl.DataFrame) -> list[Candidate]:
    out = []
    for row in frame.to_dicts():
        for key in _JSON_COLUMNS:
            if key in row and row[key] is not None:
                row[key] = json.loads(row[key])
        out.append(Candidate.model_validate(row))
    return out


def events_to_frame(events: Iterable[ReviewEvent]) -> pl.DataFrame:
    return pl.DataFrame([e.model_dump(mode="python") for e in events], schema=REVIEW_SCHEMA)


def load_states(
    candidates: CandidateStore, reviews: ReviewStore | None = None
) -> list[tuple[Candidate, CandidateState]]:
    """Every candidate with the non-strict fold of its events, oldest first."""
    reviews = reviews or ReviewStore(candidates.lake, candidates)
    by_id: dict[str, list[ReviewEvent]] = {}
    for event in reviews.events():
        by_id.setdefault(event.candidate_id, []).append(event)
    return [(c, fold(c, by_id.get(c.candidate_id, []), strict=False)) for c in candidates.all()]
