"""Errors of the scoring core.

    SahajaDetectorError
    ├── ModelNotFoundError      model files missing: run `sahaja model build`
    ├── ModelBuildError         the encoder could not be built from the source wheel
    ├── UnknownDetectorError    a name in settings that no detector registers
    ├── ThresholdsError         the thresholds file is unreadable or incomplete
    └── HeadInputError          features that do not fit a head (another n-gram layout, a dense
                                matrix for a head that reads n-grams sparsely)
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


class HeadInputError(SahajaDetectorError, ValueError):
    pass
