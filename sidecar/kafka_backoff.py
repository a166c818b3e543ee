"""Make kafka-python back off from a broker that accepts TCP but fails the Kafka handshake.

kafka-python 3.0 (through 3.1.0.dev, checked against its source) connects a node in
`KafkaConnectionManager._connect`: open the socket, then `conn.initialize()` (ApiVersions, SASL).
`initialize()` does not raise when the handshake fails: it closes the connection and returns. The
manager then treats the attempt as a success and *resets* the node's reconnect backoff, so the next
attempt starts at once. Against a half-up broker (a load balancer, a proxy or a starting broker
that accepts and then drops connections) the clients reconnect in a loop, measured here at over
1,000 attempts a second per worker: the monitor would hammer the production cluster during the
very incident it should stay quiet in.

`install()` wraps `_connect` so that an attempt whose connection did not come up counts as a
failure: the node's exponential backoff (`reconnect_backoff_ms` .. `reconnect_backoff_max_ms`)
grows instead of being reset. It is idempotent and does nothing on a kafka-python whose
internals differ (older 2.x clients back off correctly on their own).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

log = logging.getLogger(__name__)

_MARKER = "_sahaja_backoff_on_failed_handshake"


def _manager_class() -> Any | None:
    try:
        from kafka.net.manager import KafkaConnectionManager
    except ImportError:  # kafka-python 2.x: BrokerConnection handles its own backoff
        return None
    connect = getattr(KafkaConnectionManager, "_connect", None)
    if connect is None or not callable(getattr(KafkaConnectionManager, "update_backoff", None)):
        return None
    return KafkaConnectionManager


def installed() -> bool:
    cls = _manager_class()
    return cls is not None and getattr(cls._connect, _MARKER, False)


def install() -> bool:
    """Patch once per process; returns whether the fix is active."""
    cls = _manager_class()
    if cls is None:
        log.debug("kafka-python without KafkaConnectionManager._connect: no backoff fix needed")
        return False
    if getattr(cls._connect, _MARKER, False):
        return True
    original = cls._connect

    @functools.wraps(original)
    async def _connect(self: Any, node: Any, conn: Any, reset_backoff_on_connect: bool = True, **kwargs: Any) -> None:
        await original(self, node, conn, reset_backoff_on_connect=False, **kwargs)
        if not reset_backoff_on_connect:  # the bootstrap path keeps its own backoff and sees the failure
            return
        if getattr(conn, "connected", False):
            self.reset_backoff(node.node_id)
        elif not getattr(self, "closed", False) and self.connection_delay(node.node_id) == 0:
            # Down without a fresh backoff: the handshake failed inside initialize(). (A failed TCP
            # connect has already set one; a manager being torn down is not a broker failure.)
            backoff_ms = self.update_backoff(node.node_id)
            log.debug("node %s: handshake failed, reconnect backoff %.0f ms", node.node_id, backoff_ms)

    setattr(_connect, _MARKER, True)
    cls._connect = _connect
    return True
