"""Client-side pacing shared by every worker that talks to one provider.

The HTTP client calls `acquire()` before each attempt and `penalize(seconds)` when the service sends
`Retry-After`, so one 429 slows every worker sharing the limiter, not just the one that got it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable


@runtime_checkable
class Limiter(Protocol):
    """What the HTTP client needs from a rate limiter."""

    def acquire(self, timeout: float | None = None) -> bool:
        """Block until the next request may go; False if that would take longer than `timeout`."""
        ...

    def penalize(self, seconds: float) -> None:
        """Hold every request back for `seconds` (the service asked us to wait)."""
        ...


class RateLimiter:
    """A thread-safe token bucket: `rate_per_second` on average, up to `burst` at once.

    Implemented as virtual scheduling: each caller reserves the next free slot under the lock and
    sleeps outside it, so waiting workers are served in order and never spin.
    """

    def __init__(
        self,
        rate_per_second: float,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate_per_second > 0:
            raise ValueError("rate_per_second must be positive")
        self.rate_per_second = float(rate_per_second)
        self.burst = max(1, int(burst if burst is not None else max(1.0, rate_per_second)))
        self._interval = 1.0 / self.rate_per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # The moment at which the bucket is full again if nothing else is taken.
        self._full_at = float("-inf")

    def acquire(self, timeout: float | None = None) -> bool:
        with self._lock:
            now = self._clock()
            full_at = max(self._full_at, now)
            start = max(now, full_at - (self.burst - 1) * self._interval)
            wait = start - now
            if timeout is not None and wait > timeout:
                return False
            self._full_at = full_at + self._interval
        if wait > 0:
            self._sleep(wait)
        return True

    def penalize(self, seconds: float) -> None:
        if not seconds > 0:
            return
        with self._lock:
            until = self._clock() + seconds
            # Nothing before `until`, then one request per interval (no burst right after a penalty).
            self._full_at = max(self._full_at, until + (self.burst - 1) * self._interval)
