"""Learned heads. Importing this package registers every head with `detectors.base.register`.

One import line per head module; each module registers its detectors at import.
"""
from detectors.heads import hedging as hedging  # noqa: F401
from detectors.heads import miscalibration as miscalibration  # noqa: F401
from detectors.heads import refusal as refusal  # noqa: F401
from detectors.heads import sycophancy as sycophancy  # noqa: F401
