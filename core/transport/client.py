"""HttpClient: one requests.Session per provider client, and the retry loop every call goes through."""

from __future__ import annotations

import dataclasses
import logging
import os
import random
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from core._version import __version__
from core.errors import DocRelayError, InputError, NetworkError, RateLimitError
from core.hints import setting
from core.redact import RedactingFilter
from core.transport.auth import AuthStrategy
from core.transport.deadline import remaining as remaining_in_operation
from core.transport.failures import (
    ExceptionFailure,
    describe_target,
    error_for_response,
    failure_for_exception,
    request_id_of,
    safe_url,
)
from core.transport.guard import check_secure_target, has_credential_header, origin_of, redirect_guard
from core.transport.ratelimit import Limiter
from core.transport.retry import (
    UNPROCESSED_STATUSES,
    Classification,
    Classifier,
    RetryDecision,
    RetryPolicy,
    is_idempotent,
    parse_retry_after,
    plan_retry,
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


@dataclass
class _Call:
    """One call as the three layers of `HttpClient.request` share it: what to send, and how many
    attempts went out so far (`sends`, re-authenticated ones included)."""

    method: str
    url: str
    params: Mapping[str, Any] | None
    json: Any
    data: bytes | str | Mapping[str, Any] | None
    body: BodyFactory | None
    files: FilesFactory | None
    headers: dict[str, str]
    send_auth: bool
    connect_timeout: float
    read_timeout: float
    stream: bool
    deadline_at: float  # clock time after which no new attempt starts, and none lasts beyond
    credentials: bool = False  # the body carries a secret (a login)
    sends: int = 0
    refresh_tried: bool = False  # a 401 (403) asked the auth strategy to renew the credentials
    reauthenticated: bool = False  # ... and it did: one more attempt was sent


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
        from requests.adapters import HTTPAdapter

        from core.transport.session import ServiceSession

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
        self._origin = origin_of(self.base_url)
        # A custom bundle is passed per request: a session-level `verify` loses to REQUESTS_CA_BUNDLE.
        self._verify: bool | str = self.ca_bundle or True

        session = ServiceSession()
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
        whose body carries a secret (a login): like any call with credential headers it goes only over
        https (or to this machine) and never follows a redirect to another origin (core.transport.guard).
        The call ends by its `deadline`, and by the deadline of the operation it is part of
        (core.transport.deadline), whichever comes first: attempts' socket timeouts are cut to fit.

        Three layers, outermost first (as in httpx and azure-core): this method retries
        (`plan_retry` decides whether and when); `_send_authorized` adds the credentials and
        re-authenticates once after a 401; `_send_once` paces, builds the body, sends and logs one
        attempt.
        """
        method = method.upper()
        full_url = self.url_for(url)
        deadline_at = self._clock() + (deadline if deadline is not None else self.retry.deadline)
        operation_left = remaining_in_operation()
        if operation_left is not None:  # the whole operation's deadline (an extract, a Robot keyword)
            deadline_at = min(deadline_at, self._clock() + operation_left)
        call = _Call(
            method=method,
            url=full_url,
            params=params,
            json=json,
            data=data,
            body=body,
            files=files,
            headers=dict(headers or {}),
            send_auth=origin_of(full_url) == self._origin if send_auth is None else send_auth,
            connect_timeout=self.timeouts.connect,
            read_timeout=read_timeout or self.timeouts.read,
            stream=stream,
            deadline_at=deadline_at,
            credentials=credentials,
        )
        if idempotent is None:
            idempotent = is_idempotent(method)
        policy = self.retry
        while True:
            outcome, verdict = self._send_authorized(call)
            # The re-authenticated attempt does not use up the retry budget.
            budget = policy.max_attempts + (1 if call.reauthenticated else 0)
            time_left = call.deadline_at - self._clock()
            if isinstance(outcome, ExceptionFailure):
                plan = plan_retry(
                    policy,
                    attempt=call.sends,
                    retryable=outcome.retryable,
                    safe=idempotent or not outcome.sent,
                    retry_after=None,
                    time_left=time_left,
                    rng=self._rng,
                    max_attempts=budget,
                )
                if plan.wait is None:
                    raise outcome.error from None
                wait = plan.wait if outcome.sent else min(plan.wait, UNREACHABLE_BACKOFF_MAX)
                log.info(
                    "%s: attempt %d failed (%s); retrying in %.2f s",
                    self.provider,
                    call.sends,
                    outcome.cause,
                    wait,
                )
                self._sleep(wait)
                continue

            response, status = outcome, outcome.status_code
            if isinstance(verdict, DocRelayError):
                response.close()
                raise self._with_response_facts(verdict, response)
            if verdict is None and (status < 400 or status in ok_statuses):
                return response
            retry_after = parse_retry_after(response.headers)
            if isinstance(verdict, RetryDecision):
                retryable = safe = verdict.retry
                if verdict.after is not None:
                    retry_after = verdict.after
            else:
                retryable = status in policy.retry_statuses
                safe = idempotent or status in UNPROCESSED_STATUSES or retry_after is not None
            if retry_after is not None and self.limiter is not None and retryable:
                if status == 429:  # over the service's rate: the limiter learns from it
                    self.limiter.penalize(retry_after)
                else:  # busy (503 and the like): everyone waits, the pace stays
                    getattr(self.limiter, "pause", self.limiter.penalize)(retry_after)
            plan = plan_retry(
                policy,
                attempt=call.sends,
                retryable=retryable,
                safe=safe,
                retry_after=retry_after,
                time_left=time_left,
                rng=self._rng,
                max_attempts=budget,
            )
            if plan.wait is not None:
                log.info("%s: HTTP %s; retrying in %.2f s", self.provider, status, plan.wait)
                response.close()
                self._sleep(plan.wait)
                continue
            error = error_for_response(
                response,
                provider=self.provider,
                method=method,
                attempts=call.sends,
                retry_after=retry_after,
                gave_up_early=plan.out_of_time,
            )
            response.close()
            raise error

    def _send_authorized(self, call: _Call) -> tuple[requests.Response | ExceptionFailure, Classification]:
        """One attempt with the credentials (when `call.send_auth`), and the provider's verdict on its
        answer; after a 401 (or another of the strategy's `refresh_statuses`, e.g. Cradl's 403) the
        auth strategy may renew them, and the attempt is sent once more."""
        authorize = self.auth.apply if call.send_auth and self.auth is not None else None
        sent_headers, outcome = self._send_once(call, authorize)
        if isinstance(outcome, ExceptionFailure):
            return outcome, None
        verdict = self.classify(outcome) if self.classify else None
        if (
            self.auth is not None
            and outcome.status_code in self.auth.refresh_statuses
            and verdict is None
            and authorize is not None
            and not call.refresh_tried
        ):
            call.refresh_tried = True
            if self.auth.refresh(sent_headers):
                call.reauthenticated = True
                outcome.close()
                return self._send_authorized(call)
        return outcome, verdict

    def _send_once(
        self, call: _Call, authorize: Callable[[dict[str, str]], None] | None
    ) -> tuple[dict[str, str], requests.Response | ExceptionFailure]:
        """One request on the wire: wait for the rate limiter, add the credentials, build the body
        afresh, send, log. Returns the headers sent and the response, or why none came."""
        import requests

        call.sends += 1
        sent_headers = dict(call.headers)
        if authorize is not None:
            authorize(sent_headers)
        # Credentials (a login body, a header the caller or the strategy set) go only to this origin.
        carries = (
            call.credentials or has_credential_header(sent_headers) or set(sent_headers) != set(call.headers)
        )
        if carries:
            check_secure_target(call.url, provider=self.provider)
        hooks = {"response": [redirect_guard(call.url, provider=self.provider)]} if carries else None
        if call.deadline_at - self._clock() <= 0:
            raise self._out_of_time(call)
        self._pace(call.deadline_at, call.method, call.url)  # from here on, the finally releases the slot
        left = max(0.001, call.deadline_at - self._clock())  # no attempt outlives the deadline
        connect_timeout, read_timeout = min(call.connect_timeout, left), min(call.read_timeout, left)
        opened: list[IO[bytes]] = []
        started = self._clock()
        try:
            payload, multipart = self._build_body(call.data, call.body, call.files, opened)
            response = self.session.request(
                call.method,
                call.url,
                params=call.params,
                json=call.json,
                data=payload,
                files=multipart,
                headers=sent_headers,
                timeout=(connect_timeout, read_timeout),
                verify=self._verify,
                proxies=self.proxies,
                stream=call.stream,
                hooks=hooks,
            )
        except requests.RequestException as exc:
            failure = failure_for_exception(
                exc,
                provider=self.provider,
                method=call.method,
                url=call.url,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                attempts=call.sends,
            )
            sent_url = getattr(exc.request, "url", None) or call.url
            self._log(call.method, sent_url, type(exc).__name__, started, call.sends)
            return sent_headers, dataclasses.replace(failure, cause=type(exc).__name__)
        except OSError as exc:  # not wrapped by requests, e.g. a CA bundle missing from a frozen exe
            self._log(call.method, call.url, type(exc).__name__, started, call.sends)
            raise NetworkError(
                f"Could not set up the connection for {describe_target(call.method, call.url)}: "
                f"{exc.strerror or exc}",
                hint=TLS_HINT,
                provider=self.provider,
            ) from None
        finally:
            for stream_handle in opened:
                stream_handle.close()
            self._release()
        status, request_id = response.status_code, request_id_of(response)
        self._log(call.method, response.url or call.url, status, started, call.sends, request_id)
        return sent_headers, response

    # -- helpers -----------------------------------------------------------------------------
    def _out_of_time(self, call: _Call) -> NetworkError:
        tried = f" after {call.sends - 1} attempts" if call.sends > 2 else ""
        return NetworkError(
            f"{self.provider} did not answer in the time this call had "
            f"({describe_target(call.method, call.url)}){tried}",
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

    def _with_response_facts(self, error: DocRelayError, response: requests.Response) -> DocRelayError:
        """A provider's error for `response`, completed with the provider, HTTP status and request id."""
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
