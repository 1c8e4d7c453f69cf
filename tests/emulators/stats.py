"""Thread-safe counters and the list of contract violations an emulator saw."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Violation:
    """A request (or one of our responses) that breaks the service's published contract."""

    kind: str  # "request" or "response"
    endpoint: str
    method: str
    path: str
    message: str
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests: Counter[str] = Counter()
            self._statuses: Counter[str] = Counter()
            self._faults: Counter[str] = Counter()
            self._named: dict[str, Counter[str]] = {}
            self._violations: list[Violation] = []
            self._errors: list[str] = []
            self._validation_count = 0
            self._validation_seconds = 0.0
            self._validation_max = 0.0
            # When the first request came in and the last answer went out (epoch seconds): a benchmark
            # reads the span once at the end instead of polling the stats while it runs.
            self._first_request: float | None = None
            self._last_answer: float | None = None
            self._order: list[str] = []  # endpoints in the order the requests came (the first 100,000)
            # (arrived, answered) epoch seconds of the first 100,000 answered requests: a benchmark
            # tells from them how many calls were in flight, and when the first and the last were.
            self._spans: list[tuple[float, float]] = []

    def request(self, endpoint: str) -> float:
        """Count a request; returns when it arrived (epoch seconds), for `status()`."""
        arrived = time.time()
        with self._lock:
            self._requests[endpoint] += 1
            if len(self._order) < 100_000:
                self._order.append(endpoint)
            if self._first_request is None:
                self._first_request = arrived
        return arrived

    def order(self) -> list[str]:
        with self._lock:
            return list(self._order)

    def status(self, endpoint: str, status: int | str, arrived: float) -> None:
        """Count an answer to a request that arrived at `arrived` (what `request()` returned)."""
        answered = time.time()
        with self._lock:
            self._statuses[f"{endpoint} {status}"] += 1
            self._last_answer = answered
            if len(self._spans) < 100_000:
                self._spans.append((arrived, answered))

    def spans(self) -> list[tuple[float, float]]:
        with self._lock:
            return list(self._spans)

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def add(self, counter: str, key: str, amount: int = 1) -> int:
        """Bump a named counter (e.g. predictions per document sha256); returns the new count."""
        with self._lock:
            named = self._named.setdefault(counter, Counter())
            named[key] += amount
            return named[key]

    def violation(self, violation: Violation) -> None:
        with self._lock:
            self._violations.append(violation)

    def error(self, message: str) -> None:
        with self._lock:
            self._errors.append(message)

    def validation_time(self, seconds: float) -> None:
        with self._lock:
            self._validation_count += 1
            self._validation_seconds += seconds
            self._validation_max = max(self._validation_max, seconds)

    def count(self, counter: str, key: str) -> int:
        with self._lock:
            return self._named.get(counter, Counter())[key]

    @property
    def violations(self) -> list[Violation]:
        with self._lock:
            return list(self._violations)

    def snapshot(self) -> dict[str, Any]:
        """Everything as plain JSON data (what GET /_emulator/stats returns)."""
        with self._lock:
            named = {name: dict(counter) for name, counter in self._named.items()}
            duplicates = {
                f"duplicate_{name.split('_by_')[0]}": sum(n - 1 for n in counter.values() if n > 1)
                for name, counter in self._named.items()
                if "_by_" in name
            }
            count = self._validation_count
            return {
                "total_requests": sum(self._requests.values()),
                "first_request": self._first_request,
                "last_answer": self._last_answer,
                "requests": dict(self._requests),
                "statuses": dict(self._statuses),
                "faults": dict(self._faults),
                "counters": named,
                **duplicates,
                "violations": [v.to_dict() for v in self._violations],
                "errors": list(self._errors),
                "validation": {
                    "count": count,
                    "mean_ms": round(self._validation_seconds * 1000 / count, 3) if count else 0.0,
                    "max_ms": round(self._validation_max * 1000, 3),
                },
            }
