"""Errors of the drift package. Each message names the fix.

SahajaDetectorError
└── DriftError
    ├── ReferenceNotConfiguredError  the `drift` detector is enabled without a reference folder
    ├── ReferenceNotFoundError       the reference folder or one of its files is missing
    ├── ReferenceInvalidError        the reference is empty, unreadable or of another format version
    ├── DimensionMismatchError       embeddings of another width than the reference (the model changed)
    ├── WindowTooSmallError          fewer conversations than the tests need
    └── DriftInputError              a JSONL or lake source that cannot be read
        └── EmptyWindowError         no conversations in the asked event-time range
"""

from __future__ import annotations

from detectors.errors import SahajaDetectorError

REBUILD_HINT = "rebuild it with `sahaja drift reference --from LAKE_OR_JSONL --out DIR`"


class DriftError(SahajaDetectorError):
    """Root of the drift errors."""


class ReferenceNotConfiguredError(DriftError):
    pass


class ReferenceNotFoundError(DriftError):
    pass


class ReferenceInvalidError(DriftError):
    pass


class DimensionMismatchError(DriftError):
    pass


class WindowTooSmallError(DriftError):
    pass


class DriftInputError(DriftError):
    pass


class EmptyWindowError(DriftInputError):
    """Nothing to test in the range: bad input when asked by hand, a quiet hour for a schedule."""
