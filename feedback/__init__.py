"""The feedback loop: flagged turns become candidate preference pairs, reviewers' verdicts are
event-sourced, and accepted candidates leave as versioned, verifiable TRL batches.

Flow (the worker and the CLI wire it; nothing here talks to Kafka):

    records, conversations            # a scored batch: list[ScoreRecord], {conversation_id: Conversation}
    rescorer = scorer_rescorer(scorer)                       # optional: re-score proposed chosen answers
    candidates = build_candidates(records, conversations, rescorer)
    FeedbackLake(lake).add_candidates(candidates)            # {lake}/candidates/date=.../*.parquet
    for c in candidates: producer.send(CANDIDATES_TOPIC, *candidate_message(c))

The dashboard's three calls:

    lake = FeedbackLake(lake_path)
    lake.list_candidates(status=None | "pending" | "accepted" | "rejected", detector=None) -> pl.DataFrame
        one row per candidate with its folded state (columns: `lake.CANDIDATE_FRAME_SCHEMA`)
    lake.review(candidate_id, "accept" | "edit" | "reject", reviewer, chosen=None, reason="")
        -> (ReviewEvent, CandidateState); raises UnknownCandidateError, ReviewConflictError,
        EmptyChosenError (all ReviewError) and writes nothing when the event cannot apply
    lake.export(out_dir, since=None, until=None, split_eval=None, seed=0) -> Manifest
        raises NothingToExportError / OutputExistsError and leaves nothing behind

Also: `lake.get(candidate_id) -> (Candidate, CandidateState)`, `lake.sync_from_scores(rescorer)`
(candidates from the lake's score tables: a backfill), `verify_batch(folder) -> Manifest`.

The fold's rules are in `feedback.reviews`; the batch layout in `feedback.export`; the error tree
in `feedback.errors`.
"""

from feedback.candidates import Candidate, ChatTurn
from feedback.cli import export_main, review_main
from feedback.dedupe import dedupe
from feedback.errors import (
    BatchCorruptError,
    EmptyChosenError,
    ExportError,
    FeedbackError,
    NothingToExportError,
    OutputExistsError,
    ReviewConflictError,
    ReviewError,
    StoreError,
    UnknownCandidateError,
)
from feedback.export import export_batch, write_batch
from feedback.factory import CANDIDATE_DETECTORS, build_candidates
from feedback.lake import CANDIDATE_FRAME_SCHEMA, FeedbackLake
from feedback.lake_source import candidates_from_lake
from feedback.manifest import Manifest, Publisher, announcement, verify_batch
from feedback.messages import (
    BATCHES_TOPIC,
    CANDIDATES_TOPIC,
    REVIEWS_TOPIC,
    candidate_from_value,
    candidate_message,
    review_from_value,
    review_message,
)
from feedback.pii import ChainScrubber, Scrubber, default_scrubber, register_scrubber
from feedback.rescore import Rescorer, RescoreRequest, scorer_rescorer
from feedback.reviews import CandidateState, ReviewEvent, fold, new_review
from feedback.store import CandidateStore, ReviewStore

__all__ = [
    "BATCHES_TOPIC",
    "CANDIDATES_TOPIC",
    "CANDIDATE_DETECTORS",
    "CANDIDATE_FRAME_SCHEMA",
    "REVIEWS_TOPIC",
    "BatchCorruptError",
    "Candidate",
    "CandidateState",
    "CandidateStore",
    "ChainScrubber",
    "ChatTurn",
    "EmptyChosenError",
    "ExportError",
    "FeedbackError",
    "FeedbackLake",
    "Manifest",
    "NothingToExportError",
    "OutputExistsError",
    "Publisher",
    "RescoreRequest",
    "Rescorer",
    "ReviewConflictError",
    "ReviewError",
    "ReviewEvent",
    "ReviewStore",
    "Scrubber",
    "StoreError",
    "UnknownCandidateError",
    "announcement",
    "build_candidates",
    "candidate_from_value",
    "candidates_from_lake",
    "candidate_message",
    "dedupe",
    "default_scrubber",
    "export_batch",
    "export_main",
    "fold",
    "new_review",
    "register_scrubber",
    "review_from_value",
    "review_message",
    "review_main",
    "scorer_rescorer",
    "verify_batch",
    "write_batch",
]
