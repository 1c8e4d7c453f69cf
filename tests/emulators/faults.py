"""Fault injection: latency, a token-bucket rate limit, random failures, dropped connections, and
scripted one-off faults for deterministic tests.

Faults apply to the service's API and file server. The token endpoint gets only latency unless
`faults_on_token` is set (in reality it is another host with its own limits).
"""

from __future__ import annotations

import dataclasses
import math
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

Action = Literal["status", "drop", "drop_after"]


@dataclass(frozen=True)
class Faults:
    """Every knob an emulator can turn; all default to a healthy service."""

    latency_ms: float = 0.0  # added to every request (control endpoints excepted)
    rate_limit: float | None = None  # requests per second over API + files; excess gets 429
    rate_burst: float | None = None  # token-bucket size; default max(1, rate_limit)
    fail_rate: float = 0.0  # fraction answered 503
    rate_429: float = 0.0  # fraction answered 429 "Too Many Requests" at random
    drop_rate: float = 0.0  # fraction closed before processing, without a response
    drop_after_rate: float = 0.0  # fraction processed, then closed without a response (lost reply)
    retry_after: float = 1.0  # Retry-After seconds sent with random and scripted 429s
    faults_on_token: bool = False  # let rate/fail/drop faults hit the token endpoint too
    token_ttl: float = 3600.0  # lifetime of issued tokens, seconds
    quota: int | None = None  # predictions allowed before "Limit Exceeded"
    async_delay: float = 1.0  # seconds an async job stays pending

    def __post_init__(self) -> None:
        for name in ("fail_rate", "rate_429", "drop_rate", "drop_after_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        for name in ("latency_ms", "retry_after", "token_ttl", "async_delay"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ValueError("rate_limit must be positive (or None for no limit)")
        if self.quota is not None and self.quota < 0:
            raise ValueError("quota must not be negative")

    def replace(self, **changes: Any) -> Faults:
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class ScriptedFault:
    """Answer the next `count` requests to `endpoint` ("POST /predictions", or "*") with a fault."""

    endpoint: str
    action: Action = "status"
    status: int = 503
    message: str | None = None
    retry_after: float | None = None
    count: int = 1


@dataclass(frozen=True)
class FaultDecision:
    action: Action
    kind: str  # counter name: "drop", "drop_after", "rate_limit", "rate_429", "fail", "scripted"
    status: int = 0
    message: str | None = None
    retry_after: float | None = None


class TokenBucket:
    def __init__(self, rate: float, burst: float | None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        """0 if a request may pass, else the seconds until one may."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate


class FaultInjector:
    def __init__(self, faults: Faults, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._scripted: list[ScriptedFault] = []
        self.faults = faults
        self._bucket = self._make_bucket(faults)

    @staticmethod
    def _make_bucket(faults: Faults) -> TokenBucket | None:
        return TokenBucket(faults.rate_limit, faults.rate_burst) if faults.rate_limit else None

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            old = self.faults
            self.faults = faults
            if (old.rate_limit, old.rate_burst) != (faults.rate_limit, faults.rate_burst):
                self._bucket = self._make_bucket(faults)

    def script(self, fault: ScriptedFault) -> None:
        with self._lock:
            self._scripted.append(fault)

    def clear_scripts(self) -> None:
        with self._lock:
            self._scripted.clear()

    def latency(self) -> float:
        return self.faults.latency_ms / 1000.0

    def decide(self, endpoint: str, group: str) -> FaultDecision | None:
        with self._lock:
            scripted = self._take_scripted(endpoint)
            if scripted is not None:
                return scripted
            faults = self.faults
            if group == "auth" and not faults.faults_on_token:
                return None
            draw = self._random.random
            if faults.drop_rate and draw() < faults.drop_rate:
                return FaultDecision("drop", "drop")
            bucket = self._bucket
        if bucket is not None:
            wait = bucket.take()
            if wait > 0:
                return FaultDecision("status", "rate_limit", 429, None, max(1.0, math.ceil(wait)))
        with self._lock:
            if faults.rate_429 and draw() < faults.rate_429:
                return FaultDecision("status", "rate_429", 429, None, faults.retry_after)
            if faults.fail_rate and draw() < faults.fail_rate:
                return FaultDecision("status", "fail", 503)
            if faults.drop_after_rate and draw() < faults.drop_after_rate:
                return FaultDecision("drop_after", "drop_after")
        return None

    def _take_scripted(self, endpoint: str) -> FaultDecision | None:
        for fault in self._scripted:
            if fault.endpoint in (endpoint, "*") and fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self._scripted.remove(fault)
                retry_after = fault.retry_after
                if retry_after is None and fault.status == 429:
                    retry_after = self.faults.retry_after
                return FaultDecision(fault.action, "scripted", fault.status, fault.message, retry_after)
        return None
