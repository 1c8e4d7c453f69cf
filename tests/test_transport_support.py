"""Loopback servers and helpers for the transport tests (no tests here).

`LoopbackServer` answers each request with the next scripted `Reply` (the last one repeats) and
records what it received, so tests can compare the bytes of different attempts. Replies can also
misbehave: drop the connection, hang, or cut the body short. Servers bind 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from core.transport import HttpClient, RetryPolicy


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    # "respond" | "drop" (close without answering) | "hang" (wait `delay`, then answer) |
    # "truncate" (promise more body than is sent, then close)
    action: str = "respond"
    delay: float = 0.0

    def encoded(self) -> tuple[bytes, str | None]:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode(), "application/json"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return self.body, None


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._read_body()
        received = Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        reply = self.server.owner.next_reply(received)
        if reply.action == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if reply.action == "hang":
            time.sleep(reply.delay)
        payload, content_type = reply.encoded()
        self.send_response(reply.status)
        headers = dict(reply.headers)
        if content_type and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = content_type
        for name, value in headers.items():
            self.send_header(name, value)
        if reply.action == "truncate":
            self.send_header("Content-Length", str(len(payload) + 1000))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:  # failed TLS handshakes etc.
        pass


class LoopbackServer:
    def __init__(
        self,
        replies: Sequence[Reply] | Callable[[Received], Reply] = (),
        *,
        tls: ssl.SSLContext | None = None,
        port: int = 0,
    ) -> None:
        self._replies = replies
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.owner = self
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()

    def next_reply(self, received: Received) -> Reply:
        with self._lock:
            index = len(self.received)
            self.received.append(received)
        if callable(self._replies):
            return self._replies(received)
        if not self._replies:
            return Reply()
        return self._replies[min(index, len(self._replies) - 1)]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _TunnelHandler(BaseHTTPRequestHandler):
    """An HTTPS proxy: answers CONNECT host:port, then copies bytes both ways."""

    server: _TunnelServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_CONNECT(self) -> None:
        host, port = self.path.rsplit(":", 1)
        self.server.targets.append(self.path)
        upstream = socket.create_connection((host, int(port)), timeout=5)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()

        def pump(source: socket.socket, sink: socket.socket) -> None:
            try:
                while chunk := source.recv(65536):
                    sink.sendall(chunk)
            except OSError:
                pass
            finally:
                for sock in (source, sink):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

        back = threading.Thread(target=pump, args=(upstream, self.connection), daemon=True)
        back.start()
        pump(self.connection, upstream)
        back.join(timeout=5)
        upstream.close()
        self.close_connection = True


class _TunnelServer(ThreadingHTTPServer):
    daemon_threads = True
    targets: list[str]


class TunnelProxy:
    def __init__(self) -> None:
        self._server = _TunnelServer(("127.0.0.1", 0), _TunnelHandler)
        self._server.targets = []
        self.targets = self._server.targets
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def __enter__(self) -> TunnelProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeTime:
    """A clock that only moves when the client sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def fast_client(base_url: str, fake: FakeTime | None = None, **kwargs: Any) -> HttpClient:
    """A client whose waits are recorded instead of slept, with maximal (deterministic) jitter."""
    fake = fake or FakeTime()
    kwargs.setdefault("provider", "testsvc")
    kwargs.setdefault("retry", RetryPolicy(max_attempts=4, deadline=120))
    kwargs.setdefault("timeout", (2.0, 5.0))
    return HttpClient(base_url, sleep=fake.sleep, clock=fake.clock, rng=lambda: 1.0, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class TestPki:
    __test__ = False  # not a test class

    ca_pem: Path
    server_context: ssl.SSLContext


def make_pki(folder: Path) -> TestPki:
    """A throwaway CA and a certificate for 127.0.0.1/localhost signed by it (the smoke test's maker)."""
    from tests.packaging_helpers import load

    made = load("smoke_tls").make_test_pki(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(made.server_cert), str(made.server_key))
    return TestPki(ca_pem=made.ca_cert, server_context=context)
