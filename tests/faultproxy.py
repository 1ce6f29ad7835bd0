"""A small threaded TCP proxy that a test can cut and restore, to play a dependency going down.

The application under test is pointed at the proxy (``127.0.0.1:<proxy.port>``) instead of
PostgreSQL or Redis. ``cut()`` closes every connection going through it and stops listening, so
new connections are refused as if the server were down; ``restore()`` listens again on the same
port. The machine's own servers stay up all along, so other tests keep using them.

Loopback only: the proxy listens on 127.0.0.1 and forwards to the address it is given.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

BUFFER_BYTES = 65536


class FaultProxy:
    """Forward ``127.0.0.1:port`` to ``target_host:target_port`` until cut."""

    def __init__(self, target_host: str, target_port: int, *, port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.port = port
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self.connections_made = 0

    # --- the switch ----------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._listen()
        return self

    def cut(self) -> None:
        """Drop every open connection and refuse new ones."""
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, set()
        if listener is not None:
            _close(listener)
        for sock in connections:
            _close(sock)
        if self._accepting is not None:
            self._accepting.join(timeout=5)
            self._accepting = None

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        if self._listener is None:
            self._listen()

    @property
    def is_cut(self) -> bool:
        return self._listener is None

    def stop(self) -> None:
        self.cut()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- the plumbing --------------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # The port is taken again right after a cut, while closed connections linger.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        self._accepting = threading.Thread(
            target=self._accept, args=(listener,), name=f"faultproxy-{self.port}", daemon=True
        )
        self._accepting.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed: cut or stopped
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    _close(client)
                    _close(upstream)
                    return
                self._connections.update((client, upstream))
                self.connections_made += 1
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump, args=(source, sink), name="faultproxy-pump", daemon=True
                ).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(BUFFER_BYTES)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._connections.discard(source)
                self._connections.discard(sink)
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    # shutdown() wakes a thread blocked in recv()/accept() on the socket; close() alone may not.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
