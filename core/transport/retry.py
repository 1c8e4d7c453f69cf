"""When to retry, how long to wait, and the provider hook that can override both.

No `requests` import here: the policy works on status codes, header values and plain numbers, so it can
be unit-tested and imported cheaply.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.errors import DocRelayError

if TYPE_CHECKING:
    import requests

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Statuses that say the request was not processed, so even a POST may be sent again.
UNPROCESSED_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """How one call is retried: at most `max_attempts` attempts, all within `deadline` seconds.

    Waits grow as `backoff_base * 2**(retry - 1)` capped at `backoff_max`, with full jitter (a random
    wait between 0 and that value). A `Retry-After` from the service replaces the computed wait; when
    it would end past the deadline the call gives up at once instead of sleeping.
    The deadline decides whether another attempt starts; it does not cut an attempt short (a slow
    upload that is still progressing is bounded by its own timeouts).
    """

    max_attempts: int = 5
    deadline: float = 180.0
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    retry_statuses: frozenset[int] = RETRY_STATUSES

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.deadline <= 0 or self.backoff_base < 0 or self.backoff_max < 0:
            raise ValueError("deadline must be positive and backoff values not negative")

    def backoff(self, retry_number: int, rng: Callable[[], float]) -> float:
        """The wait before retry number `retry_number` (1 for the first retry), with full jitter."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** max(0, retry_number - 1))
        return float(rng() * ceiling)


@dataclass(frozen=True)
class RetryPlan:
    """The answer to "retry? after how long?" for one failed attempt.

    `wait` is the pause before the next attempt, or None to give up; `out_of_time` says the call
    gives up only because that pause would end past its deadline (the error message says so)."""

    wait: float | None
    out_of_time: bool = False


GIVE_UP = RetryPlan(None)


def plan_retry(
    policy: RetryPolicy,
    *,
    attempt: int,
    retryable: bool,
    safe: bool,
    retry_after: float | None,
    time_left: float,
    rng: Callable[[], float],
    max_attempts: int | None = None,
) -> RetryPlan:
    """Whether a failed attempt is tried again, and after how long. Pure: no clock, no socket.

    `attempt` is the number of the attempt that failed (1 for the first); `retryable` says trying
    again may help; `safe` says sending again cannot do anything twice; `retry_after` is the service's
    own wait, which replaces the backoff; `time_left` is what remains of the deadline;
    `max_attempts` overrides the policy's (a re-authenticated attempt does not use up the budget)."""
    limit = policy.max_attempts if max_attempts is None else max_attempts
    if not (retryable and safe and attempt < limit):
        return GIVE_UP
    wait = retry_after if retry_after is not None else policy.backoff(attempt, rng)
    if wait > time_left:
        return RetryPlan(None, out_of_time=True)
    return RetryPlan(wait)


@dataclass(frozen=True)
class RetryDecision:
    """A provider's verdict on one response, returned by a `classify` hook.

    `retry=True`: retry it (counts as safe even for a POST), after `after` seconds if given.
    `retry=False`: do not retry it; the standard error for its status is raised at once.
    """

    retry: bool
    after: float | None = None


RETRY = RetryDecision(retry=True)
DO_NOT_RETRY = RetryDecision(retry=False)

# What a classify hook returns: None for the standard handling, a decision, or the error to raise
# (raised at once and never retried, e.g. QuotaExceededError for a quota 429).
Classification = RetryDecision | DocRelayError | None
Classifier = Callable[["requests.Response"], Classification]


def is_idempotent(method: str) -> bool:
    return method.upper() in IDEMPOTENT_METHODS


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms`, `x-ms-retry-after-ms` or `Retry-After` (seconds or an
    HTTP date), or None when absent or unreadable. `headers` must be case-insensitive; `now` is epoch
    seconds (for HTTP dates)."""
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        value = headers.get(name)
        if value:
            try:
                millis = float(value.strip())
            except ValueError:
                continue
            if math.isfinite(millis) and millis >= 0:
                return millis / 1000.0
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
        return max(0.0, seconds)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
