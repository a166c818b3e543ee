"""Reliability suite: crashes, connection faults, poison, memory, sink failures, fail-open, security."""
