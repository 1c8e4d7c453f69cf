"""The shared emulator: lifecycle, the request pipeline, fault injection, spec validation, counters
and the control endpoints. A service plugs in by registering routes and, if it needs them,
overriding `authenticate`, `error_response` and `reset_state`.

Pipeline of one request: control endpoints (`/_emulator/...`: no faults, not counted) -> count ->
latency -> fault decision (drop / 429 / 503 / scripted) -> read body -> authenticate -> validate the
request against the spec (violation: 400 and recorded) -> handler -> validate the response (a
violation is recorded; the response is sent unchanged) -> maybe drop the reply (drop_after).
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
import traceback
from typing import Any, ClassVar, TypeVar

from tests.emulators.faults import FaultDecision, FaultInjector, Faults, ScriptedFault
from tests.emulators.server import BodyTooLarge, Drop, EmulatorHTTPServer, HttpRequest, HttpResponse, Router
from tests.emulators.spec import NOT_IN_SPEC, SpecValidator
from tests.emulators.stats import Stats, Violation

log = logging.getLogger("tests.emulators")

E = TypeVar("E", bound="Emulator")
CONTROL_PREFIX = "/_emulator/"
# Statuses every emulator may send although vendor specs rarely list them.
UNDOCUMENTED_STATUSES = frozenset({401, 405, 413, 429, 501, 503})


class ApiError(Exception):
    """Raised by handlers: answered with the service's error body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def format_seconds(seconds: float) -> str:
    """Retry-After value: whole seconds as an integer, otherwise up to millisecond precision."""
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:.3f}".rstrip("0")


class Emulator:
    """Base class. Use as a context manager in tests: `with CradlEmulator(latency_ms=50) as emu:`."""

    name: ClassVar[str] = ""
    api_prefix: ClassVar[str] = ""
    spec_file: ClassVar[str | None] = None  # under tests/specs/

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        seed: int | None = None,
        validate: bool = True,
        validate_responses: bool = True,
        verbose: bool = False,
        tls: ssl.SSLContext | None = None,
        **fault_settings: Any,
    ) -> None:
        self.host = host
        self.tls = tls  # a server-side SSLContext with the certificate loaded: serve HTTPS
        self.requested_port = port
        self.seed = seed
        self.verbose = verbose
        self.validate_responses = validate_responses
        self._faults = (faults or Faults()).replace(**fault_settings)
        self._injector = FaultInjector(self._faults, seed)
        self._stats = Stats()
        self.router = Router()
        self.register_routes(self.router)
        self.spec: SpecValidator | None = (
            SpecValidator.load(self.spec_file, self.api_prefix, type(self).patch_spec)
            if validate and self.spec_file
            else None
        )
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- to override ---------------------------------------------------------------------------
    @staticmethod
    def patch_spec(document: dict[str, Any]) -> None:
        """Adjust the loaded spec (never the file) where it contradicts the real service; say why."""

    def register_routes(self, router: Router) -> None:
        raise NotImplementedError

    def authenticate(self, request: HttpRequest, group: str) -> HttpResponse | None:
        """None to let the request through, else the refusal to send."""
        return None

    def error_response(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> HttpResponse:
        return HttpResponse.json(status, {"message": message}, headers)

    def fault_message(self, decision: FaultDecision) -> str:
        if decision.message:
            return decision.message
        return "Too Many Requests" if decision.status == 429 else "Service Unavailable"

    def human_review(
        self, action: str = "approve", fields: dict[str, Any] | None = None, document: str | None = None
    ) -> dict[str, Any]:
        """A scripted reviewer (POST /_emulator/review): `approve` the oldest waiting review (or the one
        of `document`, a name or id), `correct` it with `fields`, or `reject` it. Emulators with human
        review override this; the answer says which review was finished."""
        raise ValueError(f"the {self.name} emulator has no human reviews")

    def reset_state(self) -> None:
        """Forget documents, jobs and the like (POST /_emulator/reset with {"state": true})."""

    def close(self) -> None:
        """Release resources (temporary files) after the server stopped."""

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self: E) -> E:
        if self._server is not None:
            return self
        self._server = EmulatorHTTPServer(self.host, self.requested_port, self._dispatch, self.tls)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.name}-emulator"
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_all_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.close()

    def __enter__(self: E) -> E:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def scheme(self) -> str:
        return "https" if self.tls is not None else "http"

    @property
    def root_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What a client uses as the service's base URL (printed after READY)."""
        return self.root_url + self.api_prefix

    def docrelay_env(self) -> dict[str, str]:
        """The DOCRELAY_* settings that point `docrelay` at this emulator with valid credentials."""
        return {"DOCRELAY_PROVIDER": self.name}

    # -- observing and steering ----------------------------------------------------------------
    @property
    def stats(self) -> dict[str, Any]:
        snapshot = self._stats.snapshot()
        snapshot.update(self.extra_stats())
        return snapshot

    def extra_stats(self) -> dict[str, Any]:
        return {}

    @property
    def violations(self) -> list[Violation]:
        return self._stats.violations

    def assert_no_violations(self) -> None:
        found = self.violations
        if found:
            lines = "\n".join(f"  {v.kind} {v.endpoint}: {v.message}" for v in found)
            raise AssertionError(f"{len(found)} spec violation(s) at the {self.name} emulator:\n{lines}")

    def request_order(self) -> list[str]:
        """The endpoints requested, in the order the requests came in."""
        return self._stats.order()

    def requests_to(self, endpoint: str) -> int:
        return int(self._stats.snapshot()["requests"].get(endpoint, 0))

    def count(self, counter: str, key: str) -> int:
        return self._stats.count(counter, key)

    @property
    def faults(self) -> Faults:
        return self._faults

    def set_faults(self, **changes: Any) -> Faults:
        self._faults = self._faults.replace(**changes)
        self._injector.set_faults(self._faults)
        return self._faults

    def script_fault(
        self,
        endpoint: str,
        *,
        status: int = 503,
        action: str = "status",
        message: str | None = None,
        retry_after: float | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next `count` requests to `endpoint` (e.g. "POST /predictions", or "*") with a
        fault: `action` "status" (that status), "drop" (no response), "drop_after" (processed, no reply)."""
        if action not in ("status", "drop", "drop_after"):
            raise ValueError(f"unknown action {action!r}")
        self._injector.script(ScriptedFault(endpoint, action, status, message, retry_after, count))  # type: ignore[arg-type]

    def reset(self, *, state: bool = False) -> None:
        self._stats.reset()
        self._injector.clear_scripts()
        if state:
            self.reset_state()

    def record_violation(self, request: HttpRequest, message: str, kind: str = "request") -> None:
        violation = Violation(kind, request.endpoint, request.method, request.path, message)
        self._stats.violation(violation)
        log.warning("%s emulator: %s violation at %s: %s", self.name, kind, request.endpoint, message)

    def count_event(self, counter: str, key: str) -> int:
        return self._stats.add(counter, key)

    # -- the pipeline --------------------------------------------------------------------------
    def _dispatch(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return self._control(request)
        started = time.perf_counter()
        route, params, path_known = self.router.match(request.method, request.path)
        if route is not None:
            request.endpoint = route.endpoint or f"{route.method} {self._spec_template(route.template)}"
            group = route.group
        else:
            request.endpoint = f"{request.method} {request.path}"
            group = "api" if self.api_prefix and request.path.startswith(self.api_prefix + "/") else "other"
        request.path_params = params
        arrived = self._stats.request(request.endpoint)
        delay = self._injector.latency()
        if delay:
            time.sleep(delay)
        decision = self._injector.decide(request.endpoint, group)
        if decision is not None:
            self._stats.fault(decision.kind)
            if decision.action == "drop":
                self._log(request, "dropped", started)
                raise Drop()
            if decision.action == "status":
                response = self._fault_response(decision)
                self._finish(request, response, started, arrived)
                return response
        response = self._process(request, route, group, path_known)
        if decision is not None and decision.action == "drop_after":
            self._log(request, f"{response.status} then dropped", started)
            raise Drop()
        self._finish(request, response, started, arrived)
        return response

    def _fault_response(self, decision: FaultDecision) -> HttpResponse:
        headers = {}
        if decision.retry_after is not None:
            headers["Retry-After"] = format_seconds(decision.retry_after)
        return self.error_response(decision.status, self.fault_message(decision), headers)

    def _finish(self, request: HttpRequest, response: HttpResponse, started: float, arrived: float) -> None:
        self._stats.status(request.endpoint, response.status, arrived)
        self._log(request, str(response.status), started)

    def _log(self, request: HttpRequest, outcome: str, started: float) -> None:
        if self.verbose:
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s -> %s (%.1f ms)", request.method, request.path, outcome, elapsed)

    def _spec_template(self, template: str) -> str:
        if self.api_prefix and template.startswith(self.api_prefix + "/"):
            return template[len(self.api_prefix) :]
        return template

    def _process(self, request: HttpRequest, route: Any, group: str, path_known: bool) -> HttpResponse:
        try:
            if route is None:
                return self._unrouted(request, group, path_known)
            if not route.stream_body:
                request.body()
            denied = self.authenticate(request, group)
            if denied is not None:
                return denied
            template = self._spec_template(route.template)
            if self.spec is not None and group == "api":
                problem = self._timed_check(request, template)
                if problem:
                    return self._violation_response(request, problem)
            response: HttpResponse = route.handler(request)
        except Drop:
            raise
        except ApiError as error:
            response = self.error_response(error.status, error.message, error.headers)
        except BodyTooLarge as error:
            response = self.error_response(413, f"Request body too large: {error}")
        except Exception as error:  # an emulator bug must show up in the test, not hang the client
            detail = "".join(traceback.format_exception(error))
            self._stats.error(f"{request.endpoint}: {detail}")
            log.error("%s emulator: internal error at %s\n%s", self.name, request.endpoint, detail)
            return self.error_response(500, f"emulator internal error: {error}")
        if route is not None and self.spec is not None and group == "api" and self.validate_responses:
            self._check_response(request, self._spec_template(route.template), response)
        return response

    def _unrouted(self, request: HttpRequest, group: str, path_known: bool) -> HttpResponse:
        request.reader.drain()
        if self.spec is not None and group == "api":
            problem = self.spec.check_request(
                request.method, request.path, None, request.query, request.headers, b""
            )
            if problem and problem.startswith(NOT_IN_SPEC):
                return self._violation_response(request, problem)
            return self.error_response(501, f"{request.method} {request.path} is not emulated")
        if path_known:
            return self.error_response(405, "Method Not Allowed")
        return self.error_response(404, "Not Found")

    def _timed_check(self, request: HttpRequest, template: str) -> str | None:
        assert self.spec is not None
        began = time.perf_counter()
        try:
            return self.spec.check_request(
                request.method, request.path, template, request.query, request.headers, request.body()
            )
        finally:
            self._stats.validation_time(time.perf_counter() - began)

    def _violation_response(self, request: HttpRequest, problem: str) -> HttpResponse:
        self.record_violation(request, problem)
        return self.error_response(400, f"spec violation: {problem}")

    def _check_response(self, request: HttpRequest, template: str, response: HttpResponse) -> None:
        assert self.spec is not None
        if not self.spec.documents_status(request.method, template, response.status):
            if response.status not in UNDOCUMENTED_STATUSES:
                self.record_violation(request, f"status {response.status} is not documented", "response")
            return
        began = time.perf_counter()
        problem = self.spec.check_response(
            request.method, template, response.status, response.body, response.content_type or ""
        )
        self._stats.validation_time(time.perf_counter() - began)
        if problem:
            self.record_violation(request, problem, "response")

    # -- control endpoints ---------------------------------------------------------------------
    def _control(self, request: HttpRequest) -> HttpResponse:
        action = request.path[len(CONTROL_PREFIX) :].strip("/")
        try:
            body = request.json() if request.method in ("POST", "PUT", "PATCH") else None
            if action == "health":
                return HttpResponse.json(200, {"ok": True, "emulator": self.name, "base_url": self.base_url})
            if action == "stats" and request.method == "GET":
                return HttpResponse.json(200, self.stats)
            if action == "timeline" and request.method == "GET":
                return HttpResponse.json(200, {"spans": self._stats.spans()})
            if action == "faults":
                if request.method == "POST":
                    self.set_faults(**(body or {}))
                return HttpResponse.json(200, self.faults.to_dict())
            if action == "script":
                if request.method == "DELETE":
                    self._injector.clear_scripts()
                else:
                    self.script_fault(**(body or {}))
                return HttpResponse.json(200, {"ok": True})
            if action == "review" and request.method == "POST":
                return HttpResponse.json(200, self.human_review(**(body or {})))
            if action == "reset" and request.method == "POST":
                self.reset(state=bool((body or {}).get("state")))
                return HttpResponse.json(200, {"ok": True})
        except (TypeError, ValueError) as error:
            return HttpResponse.json(400, {"message": f"bad control request: {error}"})
        return HttpResponse.json(
            404, {"message": f"unknown control endpoint {request.method} {request.path}"}
        )
