"""The shared rate limiter, its use by the client, and the cheap import of the transport package."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from core.errors import RateLimitError
from core.transport import RetryPolicy
from core.transport.ratelimit import Limiter, RateLimiter
from tests.test_transport_support import FakeTime, LoopbackServer, Reply, fast_client


def _limiter(rate: float, fake: FakeTime, burst: int | None = None) -> RateLimiter:
    return RateLimiter(rate, burst=burst, clock=fake.clock, sleep=fake.sleep)


def test_token_bucket_paces_to_the_rate() -> None:
    fake = FakeTime()
    limiter = _limiter(2.0, fake, burst=1)
    for _ in range(4):
        assert limiter.acquire()
    assert fake.sleeps == [0.5, 0.5, 0.5]
    assert isinstance(limiter, Limiter)
    assert RateLimiter(2.5).burst == 2 and RateLimiter(0.2).burst == 1  # default: one second's worth


def test_burst_goes_at_once_then_paces() -> None:
    fake = FakeTime()
    limiter = _limiter(1.0, fake, burst=3)
    for _ in range(5):
        limiter.acquire()
    assert fake.sleeps == [1.0, 1.0]
    fake.now += 10  # idle: the bucket fills up again, but no higher than the burst
    for _ in range(4):
        limiter.acquire()
    assert fake.sleeps == [1.0, 1.0, 1.0]


def test_acquire_with_a_timeout_refuses_without_taking_a_slot() -> None:
    fake = FakeTime()
    limiter = _limiter(1.0, fake)
    limiter.acquire()
    assert limiter.acquire(timeout=0.5) is False
    assert limiter.acquire(timeout=1.0) is True
    assert fake.sleeps == [1.0]


def test_penalize_holds_everyone_back_then_resumes_one_by_one() -> None:
    fake = FakeTime()
    limiter = _limiter(10.0, fake, burst=5)
    limiter.penalize(3.0)
    limiter.acquire()
    limiter.acquire()
    assert fake.sleeps == [3.0, pytest.approx(0.1)]
    limiter.penalize(0)  # ignored
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_limiter_is_thread_safe() -> None:
    limiter = RateLimiter(50.0, burst=1)
    started = time.monotonic()
    threads = [threading.Thread(target=lambda: [limiter.acquire() for _ in range(5)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started >= 19 / 50 - 0.01


def test_retry_after_penalizes_the_shared_limiter() -> None:
    client_time, limiter_time = FakeTime(), FakeTime()
    # Separate clocks make the limiter's own wait visible (with one clock the client's Retry-After
    # sleep would already have served the penalty).
    limiter = _limiter(100.0, limiter_time)
    replies = [Reply(429, headers={"Retry-After": "4"}), Reply(200)]
    with LoopbackServer(replies) as server, fast_client(server.url, client_time, limiter=limiter) as client:
        client.get("/x")
    assert client_time.sleeps == [4.0]
    assert limiter_time.sleeps == [4.0]  # the second attempt was held back by the penalty
    limiter.acquire()  # another worker right after: paced, no burst
    assert limiter_time.sleeps == [4.0, pytest.approx(0.01)]


def test_limiter_without_a_slot_before_the_deadline_is_a_rate_limit_error() -> None:
    fake = FakeTime()
    limiter = _limiter(1.0, fake)
    limiter.penalize(60)
    with (
        LoopbackServer() as server,
        fast_client(server.url, fake, limiter=limiter, retry=RetryPolicy(deadline=30)) as client,
        pytest.raises(RateLimitError) as caught,
    ):
        client.get("/x")
    assert server.received == []
    assert caught.value.exit_code == 7
    assert "client-side rate limit" in caught.value.message


def test_importing_core_and_the_transport_package_does_not_import_requests() -> None:
    code = (
        "import sys, core, core.transport, core.transport.ratelimit, core.transport.retry, "
        "core.transport.auth; "
        "print('requests' in sys.modules, 'urllib3' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"
