"""Turning HTTP failures into core.errors: a message that says what happened, a hint for what to do.

Messages name the method, host and path but never the query string (pre-signed URLs carry
signatures there) and never a header value; the service's own message is quoted, shortened, and
redacted by core.errors like every message.
"""

from __future__ import annotations

import html
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from core.errors import (
    AuthError,
    ConfigError,
    DocRelayError,
    InputError,
    NetworkError,
    NotFoundError,
    RateLimitError,
    ServiceError,
    UnreachableError,
)
from core.transport.tls import TLS_HINT

if TYPE_CHECKING:
    import requests

REQUEST_ID_HEADERS = (
    "x-request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "request-id",
    "x-correlation-id",
)
MAX_SERVICE_MESSAGE = 300
_SECRET_QUERY_KEY = re.compile(r"(?i)sig|token|key|secret|password|credential|auth|code")


def safe_url(url: str) -> str:
    """The URL for logs: no user info, and secret-looking query values masked."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = urlencode(
        [(k, "***" if _SECRET_QUERY_KEY.search(k) else v) for k, v in parse_qsl(parts.query, True)], safe="*:"
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def describe_target(method: str, url: str) -> str:
    """`POST api.example.com/v1/documents`: for messages; no query string."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{method.upper()} {host}{parts.path}"


def request_id_of(response: requests.Response) -> str | None:
    for name in REQUEST_ID_HEADERS:
        value = response.headers.get(name)
        if value:
            return value[:200]
    return None


def _shorten(text: str, limit: int = MAX_SERVICE_MESSAGE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _message_from_json(payload: Any) -> str | None:
    if isinstance(payload, str):
        return payload or None
    if isinstance(payload, list):
        parts = [m for m in (_message_from_json(item) for item in payload[:5]) if m]
        return "; ".join(parts) or None
    if not isinstance(payload, dict):
        return None
    for key in ("message", "error_description", "error", "detail", "msg", "title", "errors", "description"):
        if key in payload:
            found = _message_from_json(payload[key])
            if found:
                return found
    return None


def service_message(response: requests.Response) -> str:
    """What the service said, in one short line: a JSON message, an HTML page's title, or the text."""
    try:
        raw = response.content
    except Exception:  # a broken body must not hide the status we are reporting
        return "(the response body could not be read)"
    if not raw or not raw.strip():
        return "(empty response)"
    text = raw.decode(response.encoding or "utf-8", errors="replace")
    content_type = response.headers.get("content-type", "").lower()
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            found = _message_from_json(json.loads(text))
        except ValueError:
            found = None
        if found:
            return _shorten(found)
    if "html" in content_type or re.match(r"\s*<(!doctype|html)", text, re.IGNORECASE):
        match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL) or re.search(
            r"<h1[^>]*>(.*?)</h1>", text, re.IGNORECASE | re.DOTALL
        )
        title = html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""
        return f"an HTML page{': ' + _shorten(title, 120) if title else ''}"
    return _shorten(text)


def error_for_response(
    response: requests.Response,
    *,
    provider: str,
    method: str,
    attempts: int,
    retry_after: float | None = None,
    gave_up_early: bool = False,
) -> DocRelayError:
    """The error for a response we will not retry (any more)."""
    status = response.status_code
    said = service_message(response)
    target = describe_target(method, response.url or "")
    common: dict[str, Any] = {
        "provider": provider,
        "status": status,
        "request_id": request_id_of(response),
    }
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    if status in (400, 415, 422):
        return InputError(
            f"{provider} refused the request (HTTP {status}, {target}): {said}",
            hint="The service did not accept the document or the request's values; its message says why",
            **common,
        )
    if status == 413:
        return InputError(
            f"{provider} refused the document as too large (HTTP 413, {target}): {said}",
            hint="Split the document or reduce its size",
            **common,
        )
    if status == 401:
        return AuthError(
            f"{provider} refused the credentials (HTTP 401, {target}): {said}",
            hint="Check the credentials in the settings (`docrelay config show`) and that they are valid",
            **common,
        )
    if status == 403:
        return AuthError(
            f"{provider} refused access (HTTP 403, {target}): {said}",
            hint="The credentials are valid but lack permission for this; check the account's rights",
            **common,
        )
    if status == 404:
        return NotFoundError(
            f"{provider} has no such resource (HTTP 404, {target}): {said}",
            hint="Check the id or name you passed (model, document or job) and the service URL",
            **common,
        )
    if status in (408, 429):
        wait = f"; it asked to wait {retry_after:g} s" if retry_after is not None else ""
        if gave_up_early:
            hint = "The wait it asked for is longer than the time left for this call; try again later"
        else:
            hint = "Lower the concurrency or the request rate, or try again later"
        return RateLimitError(
            f"{provider} is rate limiting requests (HTTP {status}, {target}){tried}{wait}: {said}",
            hint=hint,
            retry_after=retry_after,
            **common,
        )
    if status >= 500:
        return ServiceError(
            f"{provider} failed to handle the request (HTTP {status}, {target}){tried}: {said}",
            hint="The service has a problem; try again later, and tell its support if it persists",
            **common,
        )
    if 200 <= status < 400:
        return ServiceError(
            f"{provider} kept answering HTTP {status} with a result we cannot use ({target}){tried}: {said}",
            hint="Try again later; if it persists, report it with the request id",
            **common,
        )
    return ServiceError(
        f"{provider} answered HTTP {status} ({target}): {said}",
        hint="docrelay does not expect this answer here; check the service URL and report it if it persists",
        **common,
    )


@dataclass(frozen=True)
class ExceptionFailure:
    """A request that got no usable response. `sent` is False when it surely never reached the
    service (so even a POST may be sent again); `retryable` says whether trying again can help."""

    error: DocRelayError
    retryable: bool
    sent: bool
    cause: str = ""  # the exception's class name, for the log


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen or len(seen) > 20:
            continue
        seen.add(id(current))
        yield current
        nested = [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            nested.append(reason)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                nested.append(linked)
        stack.extend(nested)


def _reason(exc: BaseException) -> str:
    """The innermost OS-level reason (e.g. `Connection refused`), without URLs."""
    for cause in _causes(exc):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
    for cause in _causes(exc):
        if type(cause).__name__ in ("RemoteDisconnected", "IncompleteRead", "ConnectionResetError"):
            return "the connection was closed before the answer was complete"
    return type(exc).__name__


def failure_for_exception(
    exc: BaseException,
    *,
    provider: str,
    method: str,
    url: str,
    connect_timeout: float,
    read_timeout: float,
    attempts: int = 1,
) -> ExceptionFailure:
    """Classify an exception raised by requests while sending or receiving."""
    import requests
    import urllib3.exceptions as u3

    target = describe_target(method, url)
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    host = target.split(" ", 1)[1].split("/", 1)[0]
    common: dict[str, Any] = {"provider": provider}
    causes = list(_causes(exc))

    def has(*kinds: type[BaseException]) -> bool:
        return any(isinstance(c, kinds) for c in causes)

    if isinstance(exc, requests.exceptions.SSLError) or has(u3.SSLError):
        detail = " ".join(str(c) for c in causes)
        verify_failed = "CERTIFICATE_VERIFY_FAILED" in detail
        why = "the certificate could not be verified" if verify_failed else "the TLS handshake failed"
        return ExceptionFailure(
            UnreachableError(
                f"Secure connection to {host} failed: {why} ({target}){tried}", hint=TLS_HINT, **common
            ),
            retryable=False,
            sent=False,
        )
    if isinstance(exc, requests.exceptions.ProxyError) or has(u3.ProxyError):
        return ExceptionFailure(
            UnreachableError(
                f"Could not reach {host} through the proxy: {_reason(exc)} ({target}){tried}",
                hint="Check HTTPS_PROXY/HTTP_PROXY and NO_PROXY, and that the proxy is up",
                **common,
            ),
            retryable=True,
            sent=False,
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout) or has(u3.ConnectTimeoutError):
        if has(socket.gaierror):  # DNS (urllib3 1.26 and 2.x both keep the gaierror in the chain)
            message = f"Could not resolve the host name {host} ({target}){tried}"
            hint = "Check the service URL in the settings, the network connection and DNS/proxy settings"
        elif isinstance(exc, requests.exceptions.ConnectTimeout) or not has(u3.NewConnectionError):
            message = f"Could not connect to {host} within {connect_timeout:g} s ({target}){tried}"
            hint = "Check the network connection, firewall and proxy settings (HTTPS_PROXY/NO_PROXY)"
        else:
            message = f"Could not connect to {host}: {_reason(exc)} ({target}){tried}"
            hint = "Check the service URL, the network connection, firewall and proxy settings"
        return ExceptionFailure(UnreachableError(message, hint=hint, **common), retryable=True, sent=False)
    if isinstance(exc, requests.exceptions.ReadTimeout) or has(u3.ReadTimeoutError):
        return ExceptionFailure(
            NetworkError(
                f"{provider} did not answer within {read_timeout:g} s ({target}){tried}",
                hint="The service may be busy: try again later or raise --timeout (DOCRELAY_TIMEOUT)",
                **common,
            ),
            retryable=True,
            sent=True,
        )
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        return ExceptionFailure(
            NetworkError(
                f"The connection to {host} broke: {_reason(exc)} ({target}){tried}",
                hint="Check the network connection and proxy; try again",
                **common,
            ),
            retryable=True,
            sent=True,
        )
    invalid_url = (
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
    )
    if isinstance(exc, invalid_url):
        return ExceptionFailure(
            ConfigError(
                f"The URL for {provider} is not valid ({target}){tried}",
                hint="Check the service URL in the settings: it must start with https://",
                **common,
            ),
            retryable=False,
            sent=False,
        )
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return ExceptionFailure(
            ServiceError(
                f"{provider} redirected in circles ({target}){tried}", hint="Check the service URL", **common
            ),
            retryable=False,
            sent=True,
        )
    return ExceptionFailure(
        NetworkError(
            f"Request to {host} failed: {type(exc).__name__} ({target}){tried}", hint="Try again", **common
        ),
        retryable=False,
        sent=True,
    )
