"""Errors of the worker, its sinks and its edges.

SahajaError
├── ConfigError          settings that cannot work together
├── BrokerError          the embedded broker could not start
├── InvalidMessage       one input message failed validation (goes to the dead-letter topic)
└── SinkError            a sink could not make a batch durable (the batch is retried, not committed)
    ├── LakeWriteError
    └── TopicWriteError
"""

from __future__ import annotations


class SahajaError(Exception):
    """Root of every error raised by `sidecar`."""


class ConfigError(SahajaError):
    pass


class BrokerError(SahajaError):
    pass


class InvalidMessage(SahajaError):
    """A message that cannot be scored; `reason` is a short machine-readable code, `detail` says why."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class SinkError(SahajaError):
    pass


class LakeWriteError(SinkError):
    pass


class TopicWriteError(SinkError):
    pass
