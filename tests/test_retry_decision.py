"""The pure "retry? after how long?" decision of core.transport.retry.plan_retry, table-driven and
without sockets; the transport's retry loop and the batch's step retries both ask it."""

from __future__ import annotations

import math

import pytest

from core.transport.retry import GIVE_UP, RetryPlan, RetryPolicy, plan_retry

POLICY = RetryPolicy(max_attempts=3, deadline=60.0, backoff_base=1.0, backoff_max=8.0)


def top() -> float:
    """The largest jitter: the wait is the capped exponential value itself."""
    return 1.0


@pytest.mark.parametrize(
    ("attempt", "retryable", "safe", "retry_after", "time_left", "max_attempts", "expected"),
    [
        # Exponential backoff (full jitter at its top): 1, 2, 4, ... capped at backoff_max.
        (1, True, True, None, 60.0, None, RetryPlan(1.0)),
        (2, True, True, None, 60.0, None, RetryPlan(2.0)),
        (2, True, True, None, 60.0, 10, RetryPlan(2.0)),
        (5, True, True, None, 60.0, 10, RetryPlan(8.0)),
        # The service's Retry-After replaces the backoff, longer or shorter.
        (1, True, True, 20.0, 60.0, None, RetryPlan(20.0)),
        (2, True, True, 0.0, 60.0, None, RetryPlan(0.0)),
        # Not retryable, not safe to send again, or out of attempts: give up.
        (1, False, True, None, 60.0, None, GIVE_UP),
        (1, True, False, None, 60.0, None, GIVE_UP),
        (3, True, True, None, 60.0, None, GIVE_UP),
        (3, True, True, None, 60.0, 4, RetryPlan(4.0)),  # a re-authenticated attempt adds one
        # A wait that would end past the deadline: give up now, and say it was for time.
        (1, True, True, 61.0, 60.0, None, RetryPlan(None, out_of_time=True)),
        (3, True, True, None, 3.9, 4, RetryPlan(None, out_of_time=True)),
        (1, True, True, 60.0, 60.0, None, RetryPlan(60.0)),
        (1, True, True, 5.0, math.inf, None, RetryPlan(5.0)),
    ],
)
def test_plan_retry_table(
    attempt: int,
    retryable: bool,
    safe: bool,
    retry_after: float | None,
    time_left: float,
    max_attempts: int | None,
    expected: RetryPlan,
) -> None:
    plan = plan_retry(
        POLICY,
        attempt=attempt,
        retryable=retryable,
        safe=safe,
        retry_after=retry_after,
        time_left=time_left,
        rng=top,
        max_attempts=max_attempts,
    )
    assert plan == expected


@pytest.mark.parametrize(("jitter", "wait"), [(0.0, 0.0), (0.25, 0.5), (0.5, 1.0)])
def test_the_jitter_scales_the_backoff_down_to_zero(jitter: float, wait: float) -> None:
    plan = plan_retry(
        POLICY, attempt=2, retryable=True, safe=True, retry_after=None, time_left=9.0, rng=lambda: jitter
    )
    assert plan == RetryPlan(wait)
