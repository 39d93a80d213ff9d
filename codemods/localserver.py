"""A keep-alive HTTP/1.1 server on 127.0.0.1 that counts what clients do to it.

Used by the behaviour tests and the demo: programs run before and after a rewrite against it,
and we compare requests sent, TCP connections accepted and connections still open.

Endpoints (GET unless said):
- ``/json`` (any method): ``{"method", "path", "query", "body"}``
- ``/bytes?size=N``: N bytes, with Content-Length
- ``/stream?chunks=N``: N lines, chunked transfer encoding
- ``/health``: ``ok``; ``/status/CODE``: an empty response with that status
- ``/set-cookie``: sets ``session=abc``; ``/cookies``: echoes the Cookie header as JSON
- ``/slow?seconds=S``: answers after S seconds (at most 5)
- ``/__stats``: the counters as JSON; this request and its connection are not counted
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Set
from urllib.parse import parse_qs, urlsplit

STATS_PATH = "/__stats"


def _closed_by_peer(sock: socket.socket) -> bool:
    """The client closed (or reset) this connection, whether or not its handler thread has
    seen it yet: a non-blocking peek reads end-of-file. On loopback the client's close has
    reached the socket by the time it returns, so this needs no waiting."""
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False  # open, nothing to read
    except OSError:
        return True  # reset, or already closed here


class Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: the counted connections whose handler has not finished
        self.sockets: Set[socket.socket] = set()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests = 0
            self.connections = 0
            self.paths: Dict[str, int] = {}

    @property
    def open(self) -> int:
        """Connections the client has not closed. Not a count kept by the handler threads,
        which see a close only when next scheduled (late on a busy machine)."""
        with self.lock:
            sockets = list(self.sockets)
        if not hasattr(socket, "MSG_DONTWAIT"):  # pragma: no cover - Windows
            return len(sockets)
        return sum(1 for sock in sockets if not _closed_by_peer(sock))

    def snapshot(self) -> Dict[str, Any]:
        open_now = self.open
        with self.lock:
            return {
                "requests": self.requests,
                "connections": self.connections,
                "open": open_now,
                "paths": dict(self.paths),
            }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per keep-alive request
    server: "CountingServer"

    def setup(self) -> None:
        super().setup()
        self._counted = False

    def _count_connection(self) -> None:
        if not self._counted:
            self._counted = True
            with self.server.counters.lock:
                self.server.counters.connections += 1
                self.server.counters.sockets.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self._counted:
                with self.server.counters.lock:
                    self.server.counters.sockets.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json", headers=()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path == STATS_PATH:
            stats = self.server.counters.snapshot()
            self.close_connection = True
            self._send(200, json.dumps(stats).encode(), headers=[("Connection", "close")])
            return
        self._count_connection()
        with self.server.counters.lock:
            self.server.counters.requests += 1
            self.server.counters.paths[url.path] = self.server.counters.paths.get(url.path, 0) + 1
        if url.path == "/bytes":
            size = min(int(query.get("size", "1024")), 50_000_000)
            self._send(200, b"x" * size, "application/octet-stream")
        elif url.path == "/stream":
            chunks = min(int(query.get("chunks", "10")), 100_000)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(chunks):
                data = f"line {i}\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.write(b"0\r\n\r\n")
        elif url.path == "/health":
            self._send(200, b"ok", "text/plain")
        elif url.path.startswith("/status/"):
            self._send(int(url.path.rsplit("/", 1)[1]), b"", "text/plain")
        elif url.path == "/set-cookie":
            self._send(200, b"{}", headers=[("Set-Cookie", "session=abc; Path=/")])
        elif url.path == "/cookies":
            self._send(200, json.dumps({"cookie": self.headers.get("Cookie")}).encode())
        elif url.path == "/slow":
            time.sleep(min(float(query.get("seconds", "1")), 5.0))
            self._send(200, b"slow", "text/plain")
        else:
            payload = {
                "method": self.command,
                "path": url.path,
                "query": query,
                "body": body.decode("utf-8", "replace"),
            }
            self._send(200, json.dumps(payload, sort_keys=True).encode())

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class CountingServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.counters = Counters()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> "CountingServer":
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the serving thread to end (no thread outlives the server)."""
        self.shutdown()
        self.server_close()
        self._thread.join()

    def wait_idle(self, timeout: float = 2.0) -> int:
        """Wait until no connection is open (or timeout); return how many still are."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.counters.snapshot()["open"] == 0:
                return 0
            time.sleep(0.02)
        return self.counters.snapshot()["open"]


def fetch_stats(base_url: str) -> Dict[str, Any]:
    """Read the counters over a raw socket that the server does not count."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(f"GET {STATS_PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


if __name__ == "__main__":  # pragma: no cover
    server = CountingServer().start()
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
