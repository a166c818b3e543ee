"""Errors of the scoring core.

    SahajaDetectorError
    ├── ModelNotFoundError      model files missing: run `sahaja model build`
    ├── ModelBuildError         the encoder could not be built from the source wheel
    ├── UnknownDetectorError    a name in settings that no detector registers
    └── ThresholdsError         the thresholds file is unreadable or incomplete
"""


class SahajaDetectorError(Exception):
    """Root of every error raised by `detectors`."""


class ModelNotFoundError(SahajaDetectorError):
    pass


class ModelBuildError(SahajaDetectorError):
    pass


class UnknownDetectorError(SahajaDetectorError):
    pass


class ThresholdsError(SahajaDetectorError):
    pass
