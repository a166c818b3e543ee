"""A second Tansu broker reachable only through a `TcpProxy`, for connection-fault tests.

Kafka clients connect to the address a broker advertises in its metadata, not to the bootstrap
address they were given. So the broker listens on a private port and advertises the proxy's
port: every client connection, first or later, goes through the proxy and can be cut.
"""

from __future__ import annotations

from types import TracebackType

from sidecar.broker import EmbeddedBroker, free_port
from tests.reliability.proxy import TcpProxy


class ProxiedBroker:
    """Tansu on `broker_port`, advertised as (and proxied from) `port`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.broker = EmbeddedBroker(advertised_port=self.port)
        self.broker_port = self.broker.port
        self.proxy = TcpProxy(self.port, self.broker_port)

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    def start(self, timeout_s: float = 20.0) -> ProxiedBroker:
        self.broker.start(timeout_s)
        self.proxy.start()
        return self

    def stop(self) -> None:
        self.proxy.stop()
        self.broker.stop()

    def __enter__(self) -> ProxiedBroker:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
