"""`FeedbackLake`: the three calls the CLI and the dashboard make, over the lake's feedback tables.

    lake = FeedbackLake(settings.lake_path)
    frame = lake.list_candidates(status="pending")        # polars frame, one row per candidate
    state = lake.review(candidate_id, "accept", "alice")   # append an event, get the new state
    manifest = lake.export(Path("out/batch-1"), since=datetime(...))

Reads fold every candidate's events non-strictly, so one bad event in the log (two reviewers who
accepted at the same moment) shows up in `ignored` instead of breaking the page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import polars as pl

from feedback.candidates import Candidate
from feedback.export import Manifest, export_batch
from feedback.lake_source import candidates_from_lake
from feedback.lakefs import LakeFS
from feedback.pii import Scrubber
from feedback.rescore import Rescorer
from feedback.reviews import Action, CandidateState, ReviewEvent, fold, new_review
from feedback.store import CandidateStore, ReviewStore, load_states

_UTC = pl.Datetime("us", "UTC")
CANDIDATE_FRAME_SCHEMA: dict[str, pl.DataType] = {
    "candidate_id": pl.String(),
    "status": pl.String(),
    "kind": pl.String(),
    "detector": pl.String(),
    "detector_version": pl.String(),
    "score": pl.Float64(),
    "threshold": pl.Float64(),
    "duplicate_count": pl.Int64(),
    "conversation_id": pl.String(),
    "turn": pl.Int64(),
    "model": pl.String(),
    "model_version": pl.String(),
    "created_at": _UTC,
    "decided_at": _UTC,
    "reviewer": pl.String(),
    "reason": pl.String(),
    "n_events": pl.Int64(),
    "chosen_status": pl.String(),
    "chosen_source": pl.String(),
    "last_user": pl.String(),
    "rejected": pl.String(),
    "chosen": pl.String(),
    "source_topic": pl.String(),
    "source_partition": pl.Int64(),
    "source_offset": pl.Int64(),
    "details": pl.String(),
}


class FeedbackLake:
    """Candidates, reviews and exports under one lake path."""

    def __init__(self, lake: Path | str | LakeFS) -> None:
        self.fs = LakeFS.from_location(lake)
        self.path = self.fs.location  # a Path for a local folder, the URL for an object store
        self.candidates = CandidateStore(self.fs)
        self.reviews = ReviewStore(self.fs, self.candidates)

    def add_candidates(self, candidates: Iterable[Candidate]) -> list[Path | str]:
        return self.candidates.write(candidates)

    def sync_from_scores(
        self, rescorer: Rescorer | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> list[Candidate]:
        """Build candidates from the lake's own score and conversation tables and write them (idempotent)."""
        candidates = candidates_from_lake(self.fs, rescorer, since, until)
        if candidates:
            self.add_candidates(candidates)
        return candidates

    def states(self) -> list[tuple[Candidate, CandidateState]]:
        """Every candidate with its folded state, oldest first."""
        return load_states(self.candidates, self.reviews)

    def get(self, candidate_id: str) -> tuple[Candidate, CandidateState]:
        """One candidate with its folded state (raises `UnknownCandidateError`)."""
        candidate = self.candidates.get(candidate_id)
        return candidate, fold(candidate, self.reviews.events(candidate_id), strict=False)

    def list_candidates(self, status: str | None = None, detector: str | None = None) -> pl.DataFrame:
        """One row per candidate (schema `CANDIDATE_FRAME_SCHEMA`); texts as plain strings."""
        rows = [
            _row(c, s)
            for c, s in self.states()
            if (status is None or s.status == status) and (detector is None or c.detector == detector)
        ]
        return pl.DataFrame(rows, schema=CANDIDATE_FRAME_SCHEMA)

    def review(
        self,
        candidate_id: str,
        action: Action,
        reviewer: str,
        *,
        chosen: str | None = None,
        reason: str = "",
        at: datetime | None = None,
    ) -> tuple[ReviewEvent, CandidateState]:
        """Append one verdict (raises a `ReviewError` and writes nothing when it cannot apply)."""
        event = new_review(candidate_id, action, reviewer, chosen=chosen, reason=reason, at=at)
        return event, self.reviews.append(event)

    def export(
        self,
        out_dir: Path | str,
        since: datetime | None = None,
        until: datetime | None = None,
        split_eval: float | None = None,
        seed: int = 0,
        detectors: Sequence[str] | None = None,
        scrubber: Scrubber | None = None,
    ) -> Manifest:
        return export_batch(self.fs, out_dir, since, until, split_eval, seed, detectors=detectors, scrubber=scrubber)


def _row(c: Candidate, s: CandidateState) -> dict[str, object]:
    users = [m.content for m in c.prompt if m.role == "user"]
    return {
        "candidate_id": c.candidate_id, "status": s.status, "kind": s.kind, "detector": c.detector,
        "detector_version": c.detector_version, "score": c.score, "threshold": c.threshold,
        "duplicate_count": c.duplicate_count, "conversation_id": c.conversation_id, "turn": c.turn,
        "model": c.model, "model_version": c.model_version, "created_at": c.created_at,
        "decided_at": s.decided_at, "reviewer": s.reviewer, "reason": s.reason, "n_events": s.n_events,
        "chosen_status": c.chosen_status, "chosen_source": s.chosen_source,
        "last_user": users[-1] if users else "", "rejected": c.rejected[0].content,
        "chosen": s.chosen[0].content if s.chosen else None, "source_topic": c.source_topic,
        "source_partition": c.source_partition, "source_offset": c.source_offset,
        "details": json.dumps(c.details, ensure_ascii=False, sort_keys=True),
    }  # fmt: skip
