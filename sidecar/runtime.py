"""Compose one worker process: settings -> scorer, Kafka clients, sinks, HTTP server, signals.

The HTTP server runs in a background thread; the consume loop owns the main thread so that
SIGTERM can finish the batch in hand, commit it and exit 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from detectors.pipeline import Scorer
from sidecar.broker import create_topics
from sidecar.extensions import build_extensions
from sidecar.http import create_app
from sidecar.kafka_clients import build_consumer, build_producer
from sidecar.lake import Lake
from sidecar.metrics import Metrics
from sidecar.settings import Settings
from sidecar.sinks import LakeSink, TopicSink
from sidecar.worker import Worker, WorkerState

log = logging.getLogger(__name__)


class HttpServer:
    """uvicorn in a daemon thread; `port` is the bound port (useful with port 0)."""

    def __init__(self, app: object, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="sahaja-http", daemon=True)

    def start(self, timeout_s: float = 10.0) -> HttpServer:
        self.thread.start()
        ready = threading.Event()
        for _ in range(int(timeout_s / 0.05)):
            if self.server.started:
                ready.set()
                break
            ready.wait(0.05)
        if not self.server.started:
            raise RuntimeError("HTTP server did not start")
        return self

    @property
    def port(self) -> int:
        sockets = self.server.servers[0].sockets if self.server.servers else []
        return int(sockets[0].getsockname()[1]) if sockets else 0

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT set `stop`: the loop finishes its batch, commits and returns."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handle(signum: int, _frame: object) -> None:
        log.info("signal %d: finishing the current batch, then exiting", signum)
        stop.set()

    for sig in previous:
        signal.signal(sig, handle)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def output_topics(settings: Settings) -> list[str]:
    topics = [settings.scores_topic, settings.dlq_topic, settings.candidates_topic]
    return topics + ([settings.drift_topic] if settings.drift_reference else [])


def ensure_output_topics(settings: Settings) -> None:
    """Create missing output topics; where the cluster forbids it, say so and let the platform do it."""
    if not settings.create_topics:
        return
    try:
        create_topics(settings.kafka_bootstrap_servers or "", output_topics(settings))
    except Exception as exc:  # noqa: BLE001 - a missing permission must not stop an observer
        log.warning("could not create output topics %s: %s", output_topics(settings), type(exc).__name__)


def run_worker(
    settings: Settings,
    stop: threading.Event | None = None,
    until: Callable[[WorkerState], bool] | None = None,
    scorer: Scorer | None = None,
    state: WorkerState | None = None,
) -> WorkerState:
    """Run the worker until a signal (or `until`) says stop. Returns the final state (`state`, if given,
    is the one the worker updates as it runs: the probes' view, readable from another thread)."""
    stop = stop or threading.Event()
    metrics = Metrics()
    state = state or WorkerState()
    scorer = scorer or Scorer.from_config(settings.detector_config())
    lake = Lake.from_settings(settings)
    topics = [settings.input_topic] + ([settings.labels_topic] if settings.labels_topic else [])
    http = HttpServer(create_app(settings, scorer, metrics, state), settings.http_host, settings.http_port).start()
    log.info("HTTP on %s:%d; consuming %s as group %s", settings.http_host, http.port, topics, settings.group_id)
    ensure_output_topics(settings)
    consumer = build_consumer(settings, topics)
    producer = build_producer(settings)
    worker = Worker(
        settings,
        scorer,
        consumer,
        LakeSink(lake, settings),
        TopicSink(producer, settings),
        metrics,
        state,
        build_extensions(settings, lake, scorer, metrics),
    )
    try:
        with stop_on_signals(stop):
            worker.run(stop, until)
    finally:
        state.stopping = True
        consumer.close(autocommit=False)
        producer.close(timeout=10)
        http.stop()
    log.info("worker stopped after %d batches", state.batches)
    return state
