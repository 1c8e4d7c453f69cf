"""HTTP plumbing shared by the emulators: a threaded loopback server, requests with streamed bodies,
responses, and a router of path templates.

The standard library's server is used (not WSGI) because fault injection needs the raw socket: a
"dropped connection" closes it without any response, which a WSGI app cannot express.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

CHUNK = 256 * 1024
# JSON bodies above this are refused; only streaming routes (file uploads) take more.
MAX_JSON_BODY = 16 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


class BodyReader:
    """Reads a request body once, by Content-Length or chunked transfer coding, in pieces."""

    def __init__(self, rfile: Any, length: int | None, chunked: bool) -> None:
        self._rfile = rfile
        self._remaining = length or 0
        self._chunked = chunked
        self._done = not chunked and not length
        self.bytes_read = 0

    @property
    def declared_length(self) -> int | None:
        return None if self._chunked else self._remaining + self.bytes_read

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        while not self._done:
            piece = self._read_chunked(size) if self._chunked else self._read_plain(size)
            if piece:
                self.bytes_read += len(piece)
                yield piece

    def read_all(self, limit: int = MAX_JSON_BODY) -> bytes:
        parts: list[bytes] = []
        total = 0
        for piece in self.chunks():
            total += len(piece)
            if total > limit:
                self.drain()
                raise BodyTooLarge(f"body larger than {limit} bytes")
            parts.append(piece)
        return b"".join(parts)

    def drain(self) -> None:
        for _ in self.chunks():
            pass

    def _read_plain(self, size: int) -> bytes:
        piece = self._rfile.read(min(size, self._remaining)) if self._remaining else b""
        self._remaining -= len(piece)
        if not piece or self._remaining <= 0:
            self._done = True
        return bytes(piece)

    def _read_chunked(self, size: int) -> bytes:
        if self._remaining == 0:
            line = self._rfile.readline(65537)
            if not line:
                self._done = True
                return b""
            self._remaining = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if self._remaining == 0:  # last chunk: skip trailers up to the blank line
                while self._rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                self._done = True
                return b""
        piece = self._rfile.read(min(size, self._remaining))
        self._remaining -= len(piece)
        if not piece:
            self._done = True
        elif self._remaining == 0:
            self._rfile.readline(3)  # the CRLF after each chunk
        return bytes(piece)


@dataclass
class HttpRequest:
    method: str
    path: str  # percent-encoded, without the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # keys lower-case
    reader: BodyReader
    path_params: dict[str, str] = field(default_factory=dict)
    endpoint: str = ""
    cached_body: bytes | None = None  # set once body() has read it

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    def body(self) -> bytes:
        if self.cached_body is None:
            self.cached_body = self.reader.read_all()
        return self.cached_body

    def json(self) -> Any:
        return json.loads(self.body() or b"null")


@dataclass
class HttpResponse:
    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> HttpResponse:
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return cls(status, data, "application/json", dict(headers or {}))

    def json_body(self) -> Any:
        return json.loads(self.body) if self.body and self.content_type == "application/json" else None


class Drop(Exception):
    """Raised by a handler to close the connection without sending any response."""


Handler = Callable[[HttpRequest], HttpResponse]


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # e.g. "/v1/documents/{documentId}"
    handler: Handler
    group: str = "api"  # "api" (spec-validated), "files", "auth": fault injection and validation by group
    endpoint: str = ""  # name used in counters; default "METHOD template-without-prefix"
    stream_body: bool = False  # the handler reads the body itself (uploads)


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], Route]] = []

    def add(self, route: Route) -> None:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route.template))
        self._routes.append((re.compile(f"^{pattern}$"), route))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """The route, its decoded path parameters, and whether the path exists for another method."""
        path_known = False
        for pattern, route in self._routes:
            found = pattern.match(path)
            if found is None:
                continue
            path_known = True
            if route.method == method:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}, True
        return None, {}, path_known


Dispatch = Callable[[HttpRequest], HttpResponse]


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorHTTPServer
    timeout = 120  # idle keep-alive connections end eventually
    wbufsize = 64 * 1024  # handle_one_request() flushes after each response

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in one write; without NODELAY, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def handle(self) -> None:
        if isinstance(self.connection, ssl.SSLSocket):
            # TLS handshake here, in the connection's thread; a client that rejects our certificate
            # just ends the connection (the point of a test of certificate checks).
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError):
                self.close_connection = True
                return
        super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the emulator logs requests itself

    def _handle(self) -> None:
        split = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        length_text = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        try:
            length = int(length_text) if length_text and not chunked else None
        except ValueError:
            self.send_error(400, "bad Content-Length")
            return
        request = HttpRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=headers,
            reader=BodyReader(self.rfile, length, chunked),
        )
        try:
            response = self.server.dispatch(request)
        except Drop:
            self._drop()
            return
        request.reader.drain()  # keep-alive needs the whole body consumed, whatever the handler read
        self._send(response)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)  # buffered (wbufsize): leaves in one write with the headers

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(
        self, host: str, port: int, dispatch: Dispatch, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.dispatch = dispatch
        self.ssl_context = ssl_context  # HTTPS when set (server side, certificate loaded)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((host, port), _RequestHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        if self.ssl_context is not None:  # the handshake waits for the handler thread
            connection = self.ssl_context.wrap_socket(
                connection, server_side=True, do_handshake_on_connect=False
            )
        return connection, address

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_all_connections(self) -> None:
        """Ends keep-alive connections so that clients see the server go away at stop()."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
