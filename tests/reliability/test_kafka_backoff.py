"""A half-up broker (TCP accepted, Kafka handshake dropped) is retried with backoff, not in a loop.

Unpatched kafka-python 3.0 resets a node's backoff after every such attempt; measured here at 20
to over 1,000 reconnects a second for one consumer and one producer, depending on machine load.
With `sidecar.kafka_backoff` the two clients stay near the configured maximum backoff
(1 attempt per node per `reconnect_backoff_max_ms`) and reconnect once the broker is whole again.
"""

import threading
import time
from collections.abc import Iterator

import pytest

from sidecar import kafka_backoff
from sidecar.broker import create_topics
from sidecar.kafka_clients import build_consumer, build_producer
from sidecar.settings import Settings
from tests.reliability.brokers import ProxiedBroker

MAX_BACKOFF_MS = 1000


@pytest.fixture
def proxied() -> Iterator[ProxiedBroker]:
    with ProxiedBroker() as broker:
        yield broker


def test_install_is_idempotent_and_marks_the_patch() -> None:
    assert kafka_backoff.install() is True
    patched = kafka_backoff._manager_class()._connect
    assert kafka_backoff.install() is True
    assert kafka_backoff._manager_class()._connect is patched
    assert kafka_backoff.installed()


@pytest.mark.timeout(120)
def test_half_up_broker_is_retried_at_the_backoff_rate_and_reconnected(proxied, tmp_path) -> None:
    create_topics(proxied.bootstrap, ["in"])
    settings = Settings(
        kafka_bootstrap_servers=proxied.bootstrap, input_topic="in", group_id="backoff", lake_path=tmp_path,
        session_timeout_ms=6000, heartbeat_interval_ms=500, max_poll_interval_ms=10000, request_timeout_ms=5000,
        reconnect_backoff_max_ms=MAX_BACKOFF_MS,
    )
    consumer = build_consumer(settings, ["in"])
    producer = build_producer(settings)
    received: list[bytes] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            for records in consumer.poll(200).values():
                received.extend(r.value for r in records)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        deadline = time.monotonic() + 30
        while not consumer.assignment():
            assert time.monotonic() < deadline, "consumer never joined the group"
            time.sleep(0.1)
        proxied.proxy.stop()
        time.sleep(2)
        proxied.proxy.refusing = True
        proxied.proxy.start()
        time.sleep(2)  # let the backoff grow to its maximum
        before, window_s = proxied.proxy.refused, 6.0
        time.sleep(window_s)
        rate = (proxied.proxy.refused - before) / window_s
        # Two clients, each retrying its broker node about once per max backoff (jitter +-20%),
        # plus metadata and coordinator lookups that share those nodes' backoff.
        limit = 2 * 3 * 1000 / (MAX_BACKOFF_MS * 0.8)
        assert 0 < rate <= limit, f"{rate:.1f} reconnects/s against a half-up broker (limit {limit:.1f})"

        proxied.proxy.refusing = False
        producer.send("in", b"after-the-outage").get(timeout=30)
        deadline = time.monotonic() + 45
        while b"after-the-outage" not in received:
            assert time.monotonic() < deadline, "consumer did not reconnect after the broker came back"
            time.sleep(0.2)
    finally:
        stop.set()
        poller.join(5)
        consumer.close()
        producer.close()
    print(f"{rate:.1f} reconnect attempts/s during the half-up outage")
