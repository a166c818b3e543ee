"""A loopback TCP proxy that can refuse, or cut, every connection on demand: a flaky network on cue.

Threads, not asyncio: the tests drive it from plain synchronous code, and each connection is two
blocking pumps. `stop()` closes the listener and every live connection (clients see a broker that
is gone: connection refused); `drop_connections()` cuts live connections but keeps listening (a
network blip); `refusing = True` accepts and closes at once, counting each retry of the
clients (to see their backoff); `stall()` keeps every connection open but forwards no byte until
`resume()` (a peer that hangs: a stalled disk array or object store); `start()` again listens on the
same port, so advertised addresses stay valid.
"""

from __future__ import annotations

import contextlib
import socket
import threading

BUFFER_BYTES = 1 << 16


class TcpProxy:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`target_port`."""

    def __init__(self, port: int, target_port: int) -> None:
        self.port = port
        self.target_port = target_port
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.accepted = 0  # connections ever forwarded (a reconnecting client raises it)
        self.refusing = False  # accept, then close at once: counts how often clients retry
        self.refused = 0
        self._flowing = threading.Event()
        self._flowing.set()

    @property
    def running(self) -> bool:
        return self._listener is not None

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), name="proxy-accept", daemon=True).start()
        return self

    def stop(self) -> None:
        """Refuse new connections and cut the live ones."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self.drop_connections()

    def stall(self) -> None:
        """Hold every byte, on live and new connections alike, until `resume()`."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def drop_connections(self) -> int:
        """Cut every live connection (both sides see a reset or EOF). Returns how many were cut."""
        with self._lock:
            conns, self._conns = self._conns, set()
        for sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        return len(conns) // 2

    def live_connections(self) -> int:
        with self._lock:
            return len(self._conns) // 2

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed by stop()
            if self.refusing:
                self.refused += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # stopped while we connected
                    client.close()
                    upstream.close()
                    return
                self._conns.update((client, upstream))
                self.accepted += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), name="proxy-pump", daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(BUFFER_BYTES):
                self._flowing.wait()
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
