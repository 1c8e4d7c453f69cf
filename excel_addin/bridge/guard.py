"""The bridge's front door: every request passes these checks before any route sees it.

- `Host` must be localhost or 127.0.0.1 (with the bridge's port): a DNS-rebinding page reaches the
  bridge under its own name and is refused (421).
- `Origin`, when sent, must be the bridge's own https origin (403): a foreign page cannot post forms
  or fetches to it (CSRF). `Sec-Fetch-Site: cross-site` on the API is refused too.
- `/api/*` needs the install's token in `X-DocRelay-Token` (401); the token is never accepted in a URL.
- A body larger than the route's limit is refused (413) before it is read, or as soon as a chunked
  body passes the limit.
- A path with `..`, a backslash or a NUL is refused (400), whatever its encoding.

No CORS headers are ever sent, so a browser keeps other origins from reading any answer. Security
headers go on every answer.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_HEADER = "x-docrelay-token"
LOOPBACK_NAMES = ("localhost", "127.0.0.1")
UPLOAD_LIMIT = 64 * 1024 * 1024  # the largest document the pane may upload
JSON_LIMIT = 16 * 1024 * 1024  # a workbook snapshot of a very large sheet
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class BodyTooLarge(Exception):
    pass


class Guard:
    """ASGI middleware applying the checks above in front of `app`."""

    def __init__(self, app: ASGIApp, *, port: int, token: str) -> None:
        self.app = app
        self.port = port
        self._token = token.encode("utf-8")
        self.origins = {f"https://{name}:{port}" for name in LOOPBACK_NAMES}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return  # no websockets
        headers = _headers(scope)
        path = scope.get("path", "")
        refusal = self._refusal(scope, headers, path)
        if refusal is not None:
            status, kind, message = refusal
            await _json_error(send, status, kind, message)
            return
        limit = UPLOAD_LIMIT if path.startswith("/api/uploads") else JSON_LIMIT
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                await _json_error(send, 400, "bad_request", "The Content-Length header is not a number.")
                return
            if int(length) > limit:
                await _json_error(send, 413, "too_large", _too_large(limit))
                return
        await self.app(scope, _limited(receive, limit), _with_headers(send))

    def _refusal(self, scope: Scope, headers: dict[str, str], path: str) -> tuple[int, str, str] | None:
        host = headers.get("host", "")
        name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
        if name.lower() not in LOOPBACK_NAMES or (port and port != str(self.port)):
            return (
                421,
                "bad_host",
                "This bridge answers only to https://localhost:"
                f"{self.port} (the Host header named {host or 'nothing'}).",
            )
        origin = headers.get("origin")
        if origin is not None and origin not in self.origins:
            return 403, "foreign_origin", "Requests from other web pages are refused."
        raw = scope.get("raw_path") or path.encode("utf-8")
        decoded = unquote(unquote(raw.decode("latin-1")))
        if "\\" in decoded or "\x00" in decoded or any(part == ".." for part in decoded.split("/")):
            return 400, "bad_path", "The path is not allowed."
        if path.startswith("/api/"):
            if headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
                return 403, "foreign_origin", "Requests from other web pages are refused."
            given = headers.get(TOKEN_HEADER, "").encode("utf-8")
            if not given:
                return 401, "no_token", "The bridge's token is missing: open the docrelay task pane in Excel."
            if not hmac.compare_digest(given, self._token):
                return (
                    401,
                    "bad_token",
                    "The bridge's token is wrong: reload the task pane "
                    "(the bridge may have been installed again).",
                )
        return None


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        out[key.decode("latin-1").lower()] = value.decode("latin-1")
    return out


def _too_large(limit: int) -> str:
    return f"The request is larger than {limit // (1024 * 1024)} MB, the most the bridge accepts."


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(_too_large(limit))
        return message

    return wrapped


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {key.lower() for key, _ in headers}
            headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
            message["headers"] = headers
        await send(message)

    return wrapped


async def _json_error(send: Send, status: int, kind: str, message: str) -> None:
    body = json.dumps({"error": {"type": kind, "message": message}}).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"cache-control", b"no-store"),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
