"""Waiting for something a service is still doing: polling options and the one polling loop.

Below services and batch alike: `Client.wait` / `review_wait` run `poll_until`, and the batch's
steps draw their poll intervals from the same `PollingOptions`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from core.errors import JobTimeoutError, NetworkError
from core.hints import setting
from core.transport.deadline import operation_deadline
from core.transport.deadline import remaining as remaining_in_operation

T = TypeVar("T")

# One look at the thing waited for: its value once there (else None), and the service's own
# "ask again after" in seconds, if it gave one.
Check = Callable[[], tuple[T | None, float | None]]


@dataclass(frozen=True)
class PollingOptions:
    """How to wait for a job: a first delay, then intervals growing by `factor` up to `max_interval`."""

    initial_delay: float = 1.0
    factor: float = 1.5
    max_interval: float = 15.0

    def delays(self) -> Iterable[float]:
        delay = self.initial_delay
        while True:
            yield delay
            delay = min(self.max_interval, delay * self.factor)


def poll_until(
    check: Check[T],
    *,
    timeout: float,
    polling: PollingOptions,
    provider: str,
    handle: str,
    what: str,
    resume: str,
) -> T:
    """Call `check` with growing pauses until it gives a value; JobTimeoutError (carrying `handle`, and
    `resume`, the way to fetch it later) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    left = remaining_in_operation()
    if left is not None:  # part of a longer operation (an extract): its deadline holds for the polling
        deadline = min(deadline, time.monotonic() + left)
    delays = iter(polling.delays())
    timed_out = JobTimeoutError(
        f"{what} did not finish within {timeout:g} s",
        hint=f"Fetch it later with {resume}, or raise {setting('timeout')}.",
        provider=provider,
        job=handle,
    )
    with operation_deadline(timeout):  # a poll that hangs is cut short too
        while True:
            try:
                value, retry_after = check()
            except NetworkError:
                if time.monotonic() >= deadline - 0.5:  # cut short by the deadline: resumable
                    raise timed_out from None
                raise
            if value is not None:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise timed_out
            time.sleep(min(max(next(delays), retry_after or 0.0), remaining))
