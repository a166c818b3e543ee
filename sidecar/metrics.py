"""Prometheus metrics of one worker. Labels never carry conversation text, ids or secrets."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

KNOWN_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider", "none")


class Metrics:
    """All series in one registry per process (tests build their own)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.consumed = Counter("sahaja_messages_consumed", "Records read from the input topics", registry=r)
        self.scored_messages = Counter("sahaja_messages_scored", "Valid conversations scored and committed", registry=r)
        self.dead_lettered = Counter(
            "sahaja_messages_dead_lettered", "Records sent to the dead-letter topic", ["reason"], registry=r
        )
        self.records = Counter("sahaja_records_scored", "Score records written", ["detector"], registry=r)
        self.flags = Counter("sahaja_flags", "Flagged score records", ["detector"], registry=r)
        self.detector_errors = Counter(
            "sahaja_detector_errors", "Batches a detector failed on (fail-open)", ["detector"], registry=r
        )
        self.sink_failures = Counter("sahaja_sink_failures", "Failed sink writes (retried)", ["sink"], registry=r)
        self.drift_alarms = Counter("sahaja_drift_alarms", "Drift tests that alarmed", ["test"], registry=r)
        self.batch_latency = Histogram(
            "sahaja_batch_latency_seconds",
            "Time from batch cut to commit",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=r,
        )
        self.batch_size = Histogram(
            "sahaja_batch_size", "Records per batch", buckets=(1, 8, 32, 64, 128, 256, 512, 1024), registry=r
        )
        self.lag = Gauge("sahaja_consumer_lag", "Records behind the high watermark", ["topic", "partition"], registry=r)
        self.provider = Gauge("sahaja_onnx_provider_info", "Active ONNX execution provider", ["provider"], registry=r)
        self.ready = Gauge("sahaja_ready", "1 when partitions are assigned and models loaded", registry=r)
        self.paused = Gauge("sahaja_consumer_paused", "1 while consumption is paused (sink or memory)", registry=r)
        self.rss = Gauge("sahaja_resident_memory_bytes", "Resident set size of the worker", registry=r)
        self.label_events = Counter("sahaja_label_events", "Late correctness labels stored", registry=r)
        self.memo_lookups = Counter(
            "sahaja_embedding_memo_lookups", "Texts looked up in the embedding memo", ["result"], registry=r
        )

    def set_provider(self, active: str) -> None:
        for name in {*KNOWN_PROVIDERS, active}:
            self.provider.labels(provider=name).set(1.0 if name == active else 0.0)

    def render(self) -> bytes:
        return generate_latest(self.registry)
