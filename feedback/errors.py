"""Errors of the feedback loop. Every one is a `FeedbackError`, so an edge (CLI, dashboard) can
catch the root and show the message; nothing here is an HTTP or Kafka concern.

    FeedbackError
    ├── ReviewError                 a review event that cannot apply (nothing is written)
    │   ├── UnknownCandidateError   the event names a candidate the lake does not hold
    │   ├── ReviewConflictError     the event would not change the state (a second accept, a second reject)
    │   └── EmptyChosenError        an edit whose chosen text is empty or whitespace
    ├── ExportError                 an export that cannot be written (nothing is left behind)
    │   ├── NothingToExportError    no accepted candidate matches the filters
    │   ├── OutputExistsError       the output folder exists and is not empty
    │   └── BatchCorruptError       a batch whose files do not match its manifest or the TRL schema
    └── StoreError                  the lake tables cannot be read or written
"""

from __future__ import annotations


class FeedbackError(Exception):
    """Root of every error raised by `feedback`."""


class ReviewError(FeedbackError):
    pass


class UnknownCandidateError(ReviewError):
    def __init__(self, candidate_id: str) -> None:
        super().__init__(f"unknown candidate {candidate_id!r}")
        self.candidate_id = candidate_id


class ReviewConflictError(ReviewError):
    pass


class EmptyChosenError(ReviewError):
    pass


class ExportError(FeedbackError):
    pass


class NothingToExportError(ExportError):
    pass


class OutputExistsError(ExportError):
    pass


class StoreError(FeedbackError):
    pass


class BatchCorruptError(ExportError):
    """A written batch whose files do not match its manifest (or do not follow the TRL schema)."""
