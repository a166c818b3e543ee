"""The stream worker: poll, cut a batch, validate, score, make both sinks durable, then commit.

Ordering is the whole design (as in a checkpoint): the lake and the topics (scores, dead letters)
are flushed first and offsets committed last (`last offset + 1`). A crash anywhere before the
commit means the batch is read again; the lake overwrites by offset range, so a replay never
duplicates. Nothing here can block the production path: the worker only reads the input topic.

Two stages overlap: while one sink thread makes batch N durable (fsync, acks), the consumer thread
polls and scores batch N+1; it then waits for N, commits N and hands N+1 to the sink. So at most
two batches are in memory, commits stay in order and on the consumer's own thread (kafka-python's
consumer is not thread-safe), and a sink that fails stops the stream after one more batch.

Rebalances (a replica added or removed, a deploy) must not leave two writers on one partition: the
lake's replay-overwrite is safe for one writer at a time. So when partitions are revoked the worker
first lets the batch in the sink stage finish, then drops the records it holds of partitions it
no longer owns; the new owner re-reads them from the last commit.
"""

from __future__ import annotations

import gc
import logging
import resource
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kafka import ConsumerRebalanceListener
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition

from detectors.pipeline import ScoreOutcome, Scorer
from sidecar.batch import SplitBatch, split_batch
from sidecar.errors import SinkError
from sidecar.extensions import Addition, BatchExtension
from sidecar.kafka_clients import broker_connected
from sidecar.metrics import Metrics
from sidecar.settings import Settings
from sidecar.sinks import LakeSink, TopicSink

log = logging.getLogger(__name__)


@dataclass
class WorkerState:
    """What the HTTP probes read. Written by the worker thread only."""

    models_loaded: bool = False
    assigned: bool = False
    connected: bool = True  # False while no broker connection is up (an outage): not ready, still alive
    stopping: bool = False
    last_loop: float = field(default_factory=time.monotonic)
    batches: int = 0
    idle_polls: int = 0  # consecutive polls that returned nothing
    committed_messages: int = 0

    @property
    def ready(self) -> bool:
        return self.models_loaded and self.assigned and self.connected and not self.stopping

    def alive(self, stall_s: float) -> bool:
        return time.monotonic() - self.last_loop < stall_s


@dataclass
class ScoredBatch:
    """A scored batch with everything its durable step needs, as values (handed to the sink thread)."""

    batch: SplitBatch
    outcome: ScoreOutcome
    additions: list[Addition]
    started: float

    @property
    def extra_messages(self) -> list[Any]:
        return [m for a in self.additions for m in a.messages]


class _HandOverOnRevoke(ConsumerRebalanceListener):
    """Runs inside `poll` (kafka-python's IO loop): wait for the sink stage, never commit from here."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.worker._drain_before_revoke(set(revoked))

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.worker.lake_sink.on_assignment()


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Worker:
    """One consumer-group member. `run` returns when `stop` is set (after finishing its batch)."""

    def __init__(
        self,
        settings: Settings,
        scorer: Scorer,
        consumer: Any,
        lake_sink: LakeSink,
        topic_sink: TopicSink,
        metrics: Metrics,
        state: WorkerState | None = None,
        extensions: list[BatchExtension] | None = None,
    ) -> None:
        self.settings = settings
        self.scorer = scorer
        self.consumer = consumer
        self.lake_sink = lake_sink
        self.topic_sink = topic_sink
        self.metrics = metrics
        self.state = state or WorkerState()
        self.extensions = extensions or []
        self._batch_limit = settings.batch_max_size
        self._poll_failures = 0
        self._sink: ThreadPoolExecutor | None = None
        self._in_flight: tuple[ScoredBatch, Future[bool]] | None = None
        self._revoked: set[Any] = set()

    def run(self, stop: threading.Event, until: Callable[[WorkerState], bool] | None = None) -> None:
        self.scorer.warm_up()
        self.metrics.set_provider(self.scorer.provider)
        self.state.models_loaded = True
        topics = sorted(self.consumer.subscription() or [])
        if topics:
            self.consumer.subscribe(topics, listener=_HandOverOnRevoke(self))
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sahaja-sink") as sink:
            self._sink = sink
            self._loop(stop, until)

    def _drain_before_revoke(self, revoked: set[Any]) -> None:
        """Let the batch in the sink stage land before another member may write the same partitions."""
        self._revoked |= revoked
        if self._in_flight is not None:
            _, durable = self._in_flight
            try:
                durable.result(timeout=self.settings.rebalance_drain_s)
            except Exception:  # noqa: BLE001 - a timeout or a sink error: the commit path reports it
                log.warning("partitions revoked while a batch was still being written (%d s)",
                            self.settings.rebalance_drain_s)

    def _loop(self, stop: threading.Event, until: Callable[[WorkerState], bool] | None) -> None:
        pending: list[Any] = []
        first_at = 0.0
        wait_s = self.settings.batch_max_wait_ms / 1000
        while not stop.is_set():
            self.state.last_loop = time.monotonic()
            timeout_s = wait_s if not pending else max(0.0, first_at + wait_s - time.monotonic())
            polled = self._poll(timeout_s, self._batch_limit - len(pending), stop)
            if self._revoked:
                pending = self._without_revoked(pending)
            self.state.assigned = bool(self.consumer.assignment())
            self.metrics.ready.set(1.0 if self.state.ready else 0.0)
            self.state.idle_polls = 0 if any(polled.values()) else self.state.idle_polls + 1
            for records in polled.values():
                if records and not pending:
                    first_at = time.monotonic()
                pending.extend(records)
            if self._in_flight is not None and self._in_flight[1].done():
                self._finish_in_flight()
            full = len(pending) >= self._batch_limit
            if pending and (full or time.monotonic() - first_at >= wait_s):
                self.process(pending, stop)
                pending = []
            if until is not None and not pending and self._in_flight is None and until(self.state):
                break
        if pending:
            self.process(pending, stop)
        self._finish_in_flight()
        self.state.stopping = True

    def _without_revoked(self, pending: list[Any]) -> list[Any]:
        """Records of partitions this member lost in a rebalance: the new owner reads them again."""
        owned = self.consumer.assignment()
        lost = {tp for tp in self._revoked if tp not in owned}
        self._revoked = set()
        kept = [r for r in pending if TopicPartition(r.topic, r.partition) not in lost]
        if len(kept) < len(pending):
            log.info("dropped %d buffered records of %d revoked partitions", len(pending) - len(kept), len(lost))
        return kept

    def _poll(self, timeout_s: float, max_records: int, stop: threading.Event) -> dict[Any, list[Any]]:
        """A poll that survives the broker going away. kafka-python can raise a connection error out
        of `poll` (a reset during the handshake); crashing would only restart into the same outage."""
        try:
            polled = self.consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        except KafkaError as exc:
            self.state.connected = False
            self._poll_failures += 1
            delay = min(0.1 * 2 ** min(self._poll_failures, 10), self.settings.reconnect_backoff_max_ms / 1000)
            log.warning("poll failed (%s); polling again in %.1fs", type(exc).__name__, delay)
            stop.wait(delay)
            return {}
        self._poll_failures = 0
        self.state.connected = broker_connected(self.consumer)
        return polled

    def process(self, records: list[Any], stop: threading.Event) -> None:
        """Score one batch, then hand it to the sink stage once the batch before it is committed."""
        assert self._sink is not None, "process() runs inside run()"
        scored = self._score(records)
        self._finish_in_flight()
        self._in_flight = (scored, self._sink.submit(self._make_durable, scored, stop))

    def _score(self, records: list[Any]) -> ScoredBatch:
        started = time.monotonic()
        self.metrics.consumed.inc(len(records))
        batch = split_batch(
            records,
            labels_topic=self.settings.labels_topic,
            max_bytes=self.settings.max_message_bytes,
            max_messages=self.settings.max_messages,
        )
        hits, misses = self.scorer.memo_stats
        outcome = self.scorer.score(batch.conversations)
        additions = [ext.on_batch(batch, outcome) for ext in self.extensions]  # re-scoring may use the memo
        hits_after, misses_after = self.scorer.memo_stats
        self.metrics.memo_lookups.labels(result="hit").inc(hits_after - hits)
        self.metrics.memo_lookups.labels(result="miss").inc(misses_after - misses)
        for failure in outcome.failures:
            self.metrics.detector_errors.labels(detector=failure.detector).inc()
        # The scorer may have moved from a failed GPU to the CPU during this batch: say so.
        self.metrics.set_provider(self.scorer.provider)
        return ScoredBatch(batch, outcome, additions, started)

    def _finish_in_flight(self) -> None:
        """Wait for the batch in the sink stage and commit it (on this, the consumer's, thread)."""
        if self._in_flight is None:
            return
        scored, durable = self._in_flight
        self._in_flight = None
        if durable.result():
            self._commit(scored)

    def _commit(self, scored: ScoredBatch) -> None:
        """On a failed commit the batch is simply read again."""
        batch = scored.batch
        try:
            self.consumer.commit(
                {TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in batch.commit.items()}
            )
        except (CommitFailedError, KafkaError) as exc:
            # The group moved on (rebalance): the new owner re-reads this batch and overwrites its files.
            log.warning("commit failed, batch will be re-read: %s", type(exc).__name__)
            return
        self._count(batch, scored.outcome.records, scored.started)

    def _make_durable(self, scored: ScoredBatch, stop: threading.Event) -> bool:
        """Both sinks, retried with backoff until they succeed or the worker stops (sink thread)."""
        backoff = self.settings.sink_retry_backoff_ms / 1000
        batch, outcome = scored.batch, scored.outcome
        while True:
            try:
                self.lake_sink.write(batch, outcome.records, outcome.failures)
                for addition in scored.additions:
                    if addition.write_lake is not None:
                        addition.write_lake()
                self.topic_sink.write(outcome.records, batch.dead, scored.extra_messages)
                self.state.connected = True
                self.metrics.paused.set(0)
                return True
            except SinkError as exc:
                sink = "lake" if "Lake" in type(exc).__name__ else "topics"
                self.metrics.sink_failures.labels(sink=sink).inc()
                self.metrics.paused.set(1)
                log.error("sink %s failed, not committing; retrying in %.1fs: %s", sink, backoff, exc)
                # The consumer thread waits for this batch before it polls again, so memory stays
                # bounded to two batches. On shutdown the batch stays uncommitted and is read again
                # by whoever owns the partition next.
                if stop.wait(backoff):
                    return False
                self.state.last_loop = time.monotonic()
                # A topic write that failed is itself news of the broker: not ready until one succeeds.
                self.state.connected = sink != "topics" and broker_connected(self.consumer)
                self.metrics.ready.set(1.0 if self.state.ready else 0.0)
                backoff = min(backoff * 2, self.settings.sink_retry_backoff_max_ms / 1000)

    def _count(self, batch: SplitBatch, records: list[Any], started: float) -> None:
        m = self.metrics
        m.batch_latency.observe(time.monotonic() - started)
        m.batch_size.observe(sum(len(r) for r in batch.ranges.values()))
        m.scored_messages.inc(len(batch.conversations))
        m.label_events.inc(len(batch.labels))
        for dead in batch.dead:
            m.dead_lettered.labels(reason=dead.reason).inc()
        for rec in records:
            m.records.labels(detector=rec.detector).inc()
            if rec.flagged:
                m.flags.labels(detector=rec.detector).inc()
        self.state.batches += 1
        self.state.committed_messages += sum(1 for _ in batch.conversations) + len(batch.dead) + len(batch.labels)
        self._observe_lag()
        self._guard_memory()

    def _observe_lag(self) -> None:
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is not None:
                self.metrics.lag.labels(topic=tp.topic, partition=str(tp.partition)).set(
                    max(0, high - self.consumer.position(tp))
                )

    def _guard_memory(self) -> None:
        rss = rss_bytes()
        self.metrics.rss.set(rss)
        limit = self.settings.rss_limit_mb << 20
        if rss > limit:
            gc.collect()
            self._batch_limit = max(1, self._batch_limit // 2)
            log.warning(
                "resident memory %d MiB over the limit %d MiB: batch size now %d",
                rss >> 20,
                limit >> 20,
                self._batch_limit,
            )
        elif self._batch_limit < self.settings.batch_max_size and rss < limit * 0.8:
            self._batch_limit = min(self.settings.batch_max_size, self._batch_limit * 2)
