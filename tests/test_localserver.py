"""The counting server's ``open`` count does not wait for its handler threads to run (on a busy
machine they see a client's close late): a connection is open until the client closes it."""

from __future__ import annotations

import socket
import threading

from codemods import localserver
from codemods.localserver import CountingServer, fetch_stats


def test_a_closed_connection_is_not_open_even_before_its_handler_sees_the_close(monkeypatch):
    release = threading.Event()
    finished = threading.Event()
    original = localserver.Handler.finish

    def late_finish(self):  # the handler thread, not yet scheduled after the client's close
        if not self._counted:  # the stats request's own connection
            return original(self)
        release.wait(60)
        original(self)
        finished.set()

    monkeypatch.setattr(localserver.Handler, "finish", late_finish)
    server = CountingServer().start()
    try:
        port = server.server_address[1]
        with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
            client.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = b""
            while not reply.endswith(b"ok"):
                reply += client.recv(4096)
            assert server.counters.snapshot()["open"] == 1  # keep-alive: still open
            assert fetch_stats(server.url)["open"] == 1
        # Closed by the client: not open (once the kernel has delivered the close, which
        # wait_idle allows for), while its handler thread is still held before finish().
        assert server.wait_idle(timeout=60) == 0
        assert fetch_stats(server.url)["open"] == 0
        assert not finished.is_set()
        assert server.counters.snapshot()["connections"] == 1
    finally:
        release.set()
        server.stop()
