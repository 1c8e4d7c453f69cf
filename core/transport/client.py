"""HttpClient: one requests.Session per provider client, and the retry loop every call goes through."""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from core._version import __version__
from core.errors import DocRelayError, InputError, NetworkError, RateLimitError
from core.hints import setting
from core.redact import RedactingFilter
from core.transport.auth import AuthStrategy
from core.transport.deadline import remaining as remaining_in_operation
from core.transport.failures import (
    describe_target,
    error_for_response,
    failure_for_exception,
    request_id_of,
    safe_url,
)
from core.transport.guard import check_secure_target, has_credential_header, redirect_guard
from core.transport.ratelimit import Limiter
from core.transport.retry import (
    UNPROCESSED_STATUSES,
    Classifier,
    RetryDecision,
    RetryPolicy,
    is_idempotent,
    parse_retry_after,
)
from core.transport.tls import TLS_HINT, ssl_context_adapter, system_ssl_context, validate_ca_bundle

if TYPE_CHECKING:
    import requests

log = logging.getLogger("docrelay.http")
# A logger-level filter redacts records before any handler (ours, the CLI's or a test's) sees them.
if not any(isinstance(f, RedactingFilter) for f in log.filters):
    log.addFilter(RedactingFilter())

USER_AGENT = f"docrelay/{__version__}"
# Longest wait before retrying a call that reached nothing (DNS, refused connection, proxy): such blips
# pass quickly or not at all, and a batch against an unreachable service must stop within 30 s.
UNREACHABLE_BACKOFF_MAX = 1.0

# A body factory returns the bytes, or a fresh stream from the start, for one attempt.
BodyFactory = Callable[[], bytes | IO[bytes]]
# A files factory returns the `files` mapping of requests (fresh streams each time) for one attempt.
FilesFactory = Callable[[], Mapping[str, Any]]


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for a connection and, once connected, between bytes of the answer."""

    connect: float = 10.0
    read: float = 60.0

    @classmethod
    def of(cls, value: Timeouts | float | tuple[float, float] | None) -> Timeouts:
        """From a Timeouts, a (connect, read) pair, or one number: the read timeout (DOCRELAY_TIMEOUT)."""
        if value is None:
            return cls()
        if isinstance(value, Timeouts):
            return value
        if isinstance(value, tuple):
            return cls(connect=float(value[0]), read=float(value[1]))
        seconds = float(value)
        return cls(connect=min(cls.connect, seconds), read=seconds)


def scaled_read_timeout(size_bytes: int, *, base: float = 60.0, bytes_per_second: float = 100_000.0) -> float:
    """A read timeout for an upload of `size_bytes`: `base` plus the time to send it at a slow rate."""
    return base + size_bytes / bytes_per_second


def install_log_redaction(logger_name: str = "docrelay") -> None:
    """Add core.redact.RedactingFilter to every handler of the `docrelay` logger that lacks one."""
    for handler in logging.getLogger(logger_name).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


class HttpClient:
    """The transport for one provider: timeouts, retries, auth, TLS, proxies, pacing, error mapping.

    Thread-safe: several workers may share one client (and its connection pool of `pool_size`).
    """

    def __init__(
        self,
        base_url: str,
        *,
        provider: str,
        auth: AuthStrategy | None = None,
        timeout: Timeouts | float | tuple[float, float] | None = None,
        retry: RetryPolicy | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        use_truststore: bool = False,
        proxies: Mapping[str, str] | None = None,
        limiter: Limiter | None = None,
        classify: Classifier | None = None,
        headers: Mapping[str, str] | None = None,
        pool_size: int = 10,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        self.base_url = base_url.rstrip("/")
        self.provider = provider
        self.auth = auth
        self.timeouts = Timeouts.of(timeout)
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.classify = classify
        self.ca_bundle = validate_ca_bundle(ca_bundle) if ca_bundle else None
        self.use_truststore = use_truststore
        self.proxies = dict(proxies) if proxies else None
        self.pool_size = pool_size
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._origin = _origin(self.base_url)
        # A custom bundle is passed per request: a session-level `verify` loses to REQUESTS_CA_BUNDLE.
        self._verify: bool | str = self.ca_bundle or True

        session = requests.Session()
        session.trust_env = True  # HTTPS_PROXY / NO_PROXY / REQUESTS_CA_BUNDLE, as users expect
        session.headers["User-Agent"] = USER_AGENT
        self._extra_headers = dict(headers or {})
        session.headers.update(self._extra_headers)
        if use_truststore:
            context = system_ssl_context(self.ca_bundle)
            adapter: HTTPAdapter = ssl_context_adapter(context, pool_size=pool_size)
            self._verify = True
        else:
            adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
        session.mount("https://", adapter)
        session.mount("http://", HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size))
        self.session = session
        install_log_redaction()

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def sibling(
        self,
        base_url: str,
        *,
        auth: AuthStrategy | None = None,
        limiter: Limiter | None = None,
        classify: Classifier | None = None,
        provider: str | None = None,
    ) -> HttpClient:
        """A client for another endpoint (such as a token URL) with the same TLS, proxy, timeout and
        retry settings."""
        return HttpClient(
            base_url,
            provider=provider or self.provider,
            auth=auth,
            timeout=self.timeouts,
            retry=self.retry,
            ca_bundle=self.ca_bundle,
            use_truststore=self.use_truststore,
            proxies=self.proxies,
            limiter=limiter,
            classify=classify,
            headers=self._extra_headers,
            pool_size=self.pool_size,
            sleep=self._sleep,
            clock=self._clock,
            rng=self._rng,
        )

    def url_for(self, path_or_url: str) -> str:
        if path_or_url.startswith(("https://", "http://")):
            return path_or_url
        if not path_or_url:  # the base URL itself, e.g. a token endpoint
            return self.base_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    # -- calls -------------------------------------------------------------------------------
    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("HEAD", url, **kwargs)

    def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """`request()`, then the decoded JSON body; None for an empty body (e.g. 204)."""
        from core.errors import ServiceError

        response = self.request(method, url, **kwargs)
        if not response.content or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ServiceError(
                f"{self.provider} answered with something that is not JSON "
                f"(HTTP {response.status_code}, {describe_target(method, response.url or url)})",
                hint="Check the service URL in the settings; a proxy or login page may be answering instead",
                provider=self.provider,
                status=response.status_code,
                request_id=request_id_of(response),
            ) from exc

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: bytes | str | Mapping[str, Any] | None = None,
        body: BodyFactory | None = None,
        files: FilesFactory | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        read_timeout: float | None = None,
        deadline: float | None = None,
        send_auth: bool | None = None,
        credentials: bool = False,
        stream: bool = False,
        ok_statuses: Collection[int] = (),
    ) -> requests.Response:
        """Send one call, retrying what is safe to retry; return a 2xx/3xx (or `ok_statuses`) response or
        raise a core.errors class.

        `url` is a path under base_url or an absolute URL. `body` / `files` are factories called once per
        attempt, so every attempt sends the same bytes (streams are closed after each attempt).
        `idempotent` defaults by method (POST/PATCH are not); pass True for a PUT-like POST or one with an
        idempotency key. `send_auth` defaults to True only for URLs on base_url's host; pass True to send
        the credentials elsewhere (e.g. a file URL of the same service). `credentials=True` marks a call
        whose body carries a secret (a login): like any call with auth headers it goes only over https
        (or to this machine) and never follows a redirect to another origin.
        """
        import requests

        method = method.upper()
        full_url = self.url_for(url)
        if idempotent is None:
            idempotent = is_idempotent(method)
        if send_auth is None:
            send_auth = _origin(full_url) == self._origin
        connect, read = self.timeouts.connect, read_timeout or self.timeouts.read
        policy = self.retry
        deadline_at = self._clock() + (deadline if deadline is not None else policy.deadline)
        operation_left = remaining_in_operation()
        if operation_left is not None:  # the whole operation's deadline (an extract, a Robot keyword)
            deadline_at = min(deadline_at, self._clock() + operation_left)
        max_attempts = policy.max_attempts
        attempt = 0
        refreshed = False

        while True:
            attempt += 1
            sent_headers: dict[str, str] = dict(headers or {})
            if send_auth and self.auth is not None:
                self.auth.apply(sent_headers)
            carries = (
                credentials or has_credential_header(sent_headers) or set(sent_headers) != set(headers or {})
            )
            if carries:
                check_secure_target(full_url, provider=self.provider)
            hooks = {"response": [redirect_guard(full_url, provider=self.provider)]} if carries else None
            left = deadline_at - self._clock()
            if left <= 0:
                raise self._out_of_time(method, full_url, attempt)
            self._pace(deadline_at, method, full_url)  # from here on, the finally releases the slot
            left = deadline_at - self._clock()
            opened: list[IO[bytes]] = []
            started = self._clock()
            try:
                payload, multipart = self._build_body(data, body, files, opened)
                response = self.session.request(
                    method,
                    full_url,
                    params=params,
                    json=json,
                    data=payload,
                    files=multipart,
                    headers=sent_headers,
                    timeout=(min(connect, left), min(read, left)),  # no attempt outlives the deadline
                    verify=self._verify,
                    proxies=self.proxies,
                    stream=stream,
                    hooks=hooks,
                )
            except requests.RequestException as exc:
                failure = failure_for_exception(
                    exc,
                    provider=self.provider,
                    method=method,
                    url=full_url,
                    connect_timeout=connect,
                    read_timeout=read,
                    attempts=attempt,
                )
                sent_url = getattr(exc.request, "url", None) or full_url
                self._log(method, sent_url, type(exc).__name__, started, attempt)
                can_retry = failure.retryable and (idempotent or not failure.sent) and attempt < max_attempts
                wait = policy.backoff(attempt, self._rng)
                if not failure.sent:  # nothing reached the service: retry soon, give up soon (a batch
                    wait = min(wait, UNREACHABLE_BACKOFF_MAX)  # stops once nothing gets through)
                if can_retry and self._clock() + wait <= deadline_at:
                    log.info(
                        "%s: attempt %d failed (%s); retrying in %.2f s",
                        self.provider,
                        attempt,
                        type(exc).__name__,
                        wait,
                    )
                    self._sleep(wait)
                    continue
                raise failure.error from None
            except OSError as exc:  # not wrapped by requests, e.g. a CA bundle missing from a frozen exe
                self._log(method, full_url, type(exc).__name__, started, attempt)
                raise NetworkError(
                    f"Could not set up the connection for {describe_target(method, full_url)}: "
                    f"{exc.strerror or exc}",
                    hint=TLS_HINT,
                    provider=self.provider,
                ) from None
            finally:
                for stream_handle in opened:
                    stream_handle.close()
                self._release()

            status = response.status_code
            self._log(method, response.url or full_url, status, started, attempt, request_id_of(response))
            verdict = self.classify(response) if self.classify else None
            if isinstance(verdict, DocRelayError):
                response.close()
                raise self._complete(verdict, response)
            if verdict is None and (status < 400 or status in ok_statuses):
                return response
            if status == 401 and verdict is None and send_auth and self.auth and not refreshed:
                refreshed = True
                if self.auth.refresh(sent_headers):
                    max_attempts += 1  # the re-authenticated attempt does not use up the retry budget
                    response.close()
                    continue

            retry_after = parse_retry_after(response.headers)
            if isinstance(verdict, RetryDecision):
                retryable = safe = verdict.retry
                if verdict.after is not None:
                    retry_after = verdict.after
            else:
                retryable = status in policy.retry_statuses
                safe = idempotent or status in UNPROCESSED_STATUSES or retry_after is not None
            if retry_after is not None and self.limiter is not None and retryable:
                self.limiter.penalize(retry_after)
            gave_up_early = False
            if retryable and safe and attempt < max_attempts:
                wait = retry_after if retry_after is not None else policy.backoff(attempt, self._rng)
                if self._clock() + wait <= deadline_at:
                    log.info("%s: HTTP %s; retrying in %.2f s", self.provider, status, wait)
                    response.close()
                    self._sleep(wait)
                    continue
                gave_up_early = True
            error = error_for_response(
                response,
                provider=self.provider,
                method=method,
                attempts=attempt,
                retry_after=retry_after,
                gave_up_early=gave_up_early,
            )
            response.close()
            raise error

    # -- helpers -----------------------------------------------------------------------------
    def _out_of_time(self, method: str, url: str, attempts: int) -> NetworkError:
        tried = f" after {attempts - 1} attempts" if attempts > 2 else ""
        return NetworkError(
            f"{self.provider} did not answer in the time this call had "
            f"({describe_target(method, url)}){tried}",
            hint=f"The service may be busy or unreachable: try again later, or raise {setting('timeout')} "
            "(DOCRELAY_TIMEOUT)",
            provider=self.provider,
        )

    def _release(self) -> None:
        """Tell the limiter this attempt is answered (its slow start counts calls in flight)."""
        release = getattr(self.limiter, "release", None)
        if release is not None:
            release()

    def _pace(self, deadline_at: float, method: str, url: str) -> None:
        if self.limiter is None:
            return
        if not self.limiter.acquire(timeout=max(0.0, deadline_at - self._clock())):
            raise RateLimitError(
                f"The client-side rate limit for {self.provider} leaves no slot before this call's time runs "
                f"out ({describe_target(method, url)})",
                hint="The service asked us to slow down; lower the concurrency or try again later",
                provider=self.provider,
            )

    @staticmethod
    def _build_body(
        data: bytes | str | Mapping[str, Any] | None,
        body: BodyFactory | None,
        files: FilesFactory | None,
        opened: list[IO[bytes]],
    ) -> tuple[Any, Any]:
        payload: Any = data
        multipart: Any = None
        try:
            if body is not None:
                produced = body()
                if not isinstance(produced, (bytes, bytearray)):
                    opened.append(produced)
                payload = produced
            if files is not None:
                multipart = files()
                for value in multipart.values():
                    handle = value[1] if isinstance(value, tuple) and len(value) > 1 else value
                    if hasattr(handle, "read") and hasattr(handle, "close"):
                        opened.append(handle)
        except OSError as exc:
            raise InputError(
                f"Cannot read the document to send: {exc.strerror or exc}",
                hint="Check that the file still exists and is readable",
            ) from exc
        return payload, multipart

    def _complete(self, error: DocRelayError, response: requests.Response) -> DocRelayError:
        error.provider = error.provider or self.provider
        error.status = error.status if error.status is not None else response.status_code
        error.request_id = error.request_id or request_id_of(response)
        return error

    def _log(
        self,
        method: str,
        url: str,
        outcome: object,
        started: float,
        attempt: int,
        request_id: str | None = None,
    ) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s %s -> %s in %.3f s (attempt %d)%s",
                self.provider,
                method,
                safe_url(url),
                outcome,
                self._clock() - started,
                attempt,
                f" request-id {request_id}" if request_id else "",
            )
