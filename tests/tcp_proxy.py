"""A small TCP proxy for fault tests: it stands between a client and a server and can
break the link at chosen moments, as a flaky network or a crashed router would.

    with TcpProxy('127.0.0.1', 5432) as proxy:
        db = PostgresqlDatabase('app', host='127.0.0.1', port=proxy.port)
        ...
        proxy.drop_next_reply()      # the next request reaches the server, but the
        db.execute_sql('INSERT ...') # link is cut before any of the answer comes back

Every accepted client gets its own connection to the server and two pump threads
(client -> server, server -> client). The faults:

* :meth:`drop_next_reply` -- the next bytes a client sends are passed on; the first
  bytes the server sends after them are thrown away and the link is cut, both ways.
  The server has therefore read the request and started answering: an autocommitted
  statement has run, and the client cannot know.
* :meth:`cut_all` -- close every open link now (the client sees the server hang up).

Nothing here is PostgreSQL-specific: the proxy moves bytes and looks at none of them.
"""
from __future__ import annotations

import socket
import threading
from typing import List, Optional, Tuple

__all__ = ['TcpProxy']

_CHUNK = 65536


class _Link:
    """One client connection and its own connection to the server."""

    def __init__(self, proxy: 'TcpProxy', client: socket.socket,
                 server: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.server = server
        self.closed = False
        self.request_sent = False        # armed: the client's request went through
        self._lock = threading.Lock()

    def start(self) -> None:
        for target in (self._client_to_server, self._server_to_client):
            threading.Thread(target=target, daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
        for sock in (self.client, self.server):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _client_to_server(self) -> None:
        while True:
            data = _recv(self.client)
            if not data:
                break
            if self.proxy._take_arm():
                self.request_sent = True
            try:
                self.server.sendall(data)
            except OSError:
                break
        self.cut()

    def _server_to_client(self) -> None:
        while True:
            data = _recv(self.server)
            if not data:
                break
            if self.request_sent:
                # the server answers a request it has read: swallow it and hang up
                self.cut()
                self.proxy._cut_done.set()
                return
            try:
                self.client.sendall(data)
            except OSError:
                break
        self.cut()


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(_CHUNK)
    except OSError:
        return b''


class TcpProxy:
    """Listens on ``127.0.0.1:<port>`` (a free port, see :attr:`port`) and forwards
    every connection to ``(host, port)``."""

    def __init__(self, host: str, port: int) -> None:
        self.target: Tuple[str, int] = (host, port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(('127.0.0.1', 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self.links: List[_Link] = []
        self._armed = False
        self._arm_lock = threading.Lock()
        self._cut_done = threading.Event()
        self._stopped = False
        self._acceptor: Optional[threading.Thread] = None

    def __enter__(self) -> 'TcpProxy':
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def stop(self) -> None:
        self._stopped = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)    # wakes the blocked accept()
        except OSError:
            pass
        self._listener.close()
        self.cut_all()
        if self._acceptor is not None:
            self._acceptor.join(5)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            link = _Link(self, client, server)
            self.links.append(link)
            link.start()

    # -- faults --------------------------------------------------------------------------
    def drop_next_reply(self) -> None:
        """Let the next client request through, then cut its link before the reply."""
        self._cut_done.clear()
        with self._arm_lock:
            self._armed = True

    def _take_arm(self) -> bool:
        with self._arm_lock:
            armed, self._armed = self._armed, False
            return armed

    def wait_cut(self, timeout: float = 10) -> bool:
        """Wait until an armed :meth:`drop_next_reply` has cut its link."""
        return self._cut_done.wait(timeout)

    def cut_all(self) -> None:
        """Close every open link now."""
        for link in list(self.links):
            link.cut()

    def open_links(self) -> int:
        """How many links are still open."""
        return sum(1 for link in self.links if not link.closed)
