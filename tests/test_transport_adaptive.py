"""The adaptive limiter (issue 13, item 4): a pace learnt from 429s, released one by one after a pause,
recovering slowly; and a batch under a low service limit whose documents wait instead of failing."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from core.transport.ratelimit import AdaptiveRateLimiter, Limiter
from tests.batch_support import MODEL, cradl_client, make_documents
from tests.emulators.cradl import CradlEmulator
from tests.test_transport_support import FakeTime

MakeEmulator = Callable[..., CradlEmulator]


def _limiter(fake: FakeTime, ceiling: float | None = None) -> AdaptiveRateLimiter:
    return AdaptiveRateLimiter(ceiling, clock=fake.clock, sleep=fake.sleep)


def test_with_a_ceiling_it_paces_evenly_without_burst() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, ceiling=4.0)
    for _ in range(5):
        assert limiter.acquire()
    assert fake.sleeps == [0.25] * 4 and isinstance(limiter, Limiter)
    assert limiter.rate_per_second == 4.0


def test_without_a_ceiling_it_does_not_pace_until_a_429() -> None:
    fake = FakeTime()
    limiter = _limiter(fake)
    assert limiter.acquire() and limiter.pace() is None and fake.sleeps == []


def test_the_slow_start_holds_the_calls_in_flight_to_a_window_that_grows_with_answers() -> None:
    import threading

    limiter = AdaptiveRateLimiter(None)  # real time: the window alone holds callers
    for _ in range(AdaptiveRateLimiter.START_WINDOW):
        assert limiter.acquire()
    fifth = threading.Thread(target=limiter.acquire)
    fifth.start()
    fifth.join(0.3)
    assert fifth.is_alive()  # four in flight: the fifth waits for an answer
    limiter.release()
    fifth.join(1.0)
    assert not fifth.is_alive()  # one answer let it go (and grew the window)


def test_a_429_pauses_everyone_then_releases_them_one_interval_apart() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, ceiling=10.0)
    for _ in range(10):  # one second at the ceiling
        limiter.acquire()
    for _ in range(3):
        limiter.penalize(2.0)  # three of ten refused: over the limit (two of ten could be luck)
    pace = limiter.pace(fake.now + 2.0)  # 7 of the 10 sent in the last second got through
    assert pace is not None and math.isclose(pace, 0.85 * 7.0)
    before = fake.now
    starts = []
    for _ in range(4):
        limiter.acquire()
        starts.append(fake.now)  # the fake clock moves only by the limiter's sleeps
    assert starts[0] >= before + 2.0  # nobody before the Retry-After
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(math.isclose(gap, 1 / (0.85 * 7.0), rel_tol=0.02) for gap in gaps)  # not all at once


def test_a_429_reaches_callers_already_waiting_for_a_slot() -> None:
    """With many workers, slots are given seconds ahead; a 429 (or a pause) that comes meanwhile must
    hold those callers too, not only the ones that ask after it."""
    fake = FakeTime()
    meanwhile: list[Callable[[], None]] = []

    def sleep(seconds: float) -> None:
        while meanwhile:
            meanwhile.pop()()
        fake.sleep(seconds)

    limiter = AdaptiveRateLimiter(2.0, clock=fake.clock, sleep=sleep)
    assert limiter.acquire()  # now; the next slot is half a second on
    refused_at = fake.now
    meanwhile.append(lambda: limiter.penalize(1.0))  # another worker is refused: a stray, a pause only
    assert limiter.acquire()  # its slot falls inside the pause that came while it waited
    assert fake.now >= refused_at + 1.0
    assert limiter.slowdowns == 0


def test_429s_of_calls_already_in_flight_slow_down_once() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, ceiling=10.0)
    for _ in range(10):
        limiter.acquire()
    for _ in range(8):  # eight workers' answers come back 429 together
        limiter.penalize(1.0)
    pace = limiter.pace(fake.now + 1.0)  # 2 of 10 got through: the pace follows them
    assert limiter.slowdowns == 1 and pace is not None and math.isclose(pace, 0.85 * 2.0)


def test_a_stray_429_only_pauses() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, ceiling=10.0)
    for _ in range(20):
        limiter.acquire()
    limiter.penalize(0.5)  # one of twenty: a service shedding a few percent, not our pace
    assert limiter.slowdowns == 0 and limiter.pace(fake.now + 1.0) == 10.0


def test_two_429s_among_the_first_calls_are_luck_not_a_limit() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, ceiling=10.0)
    for _ in range(12):
        limiter.acquire()
    limiter.penalize(0.2)
    limiter.penalize(0.2)  # 2 of the first 12: a service refusing 5 % at random does that often
    assert limiter.slowdowns == 0
    limiter.penalize(0.2)  # 3 of 12: a quarter, that is a limit
    assert limiter.slowdowns == 1


def test_sparse_429s_below_the_old_pace_undo_the_slow_down() -> None:
    """A service refusing a few percent at random, whatever the rate: after a slow-down the 429s keep
    coming at a pace that a real limit would accept, so the slow-down is undone (no 1 %/s crawl)."""
    fake = FakeTime()
    limiter = _limiter(fake, ceiling=50.0)
    for _ in range(20):
        limiter.acquire()
    for _ in range(3):
        limiter.penalize(0.2)  # an unlucky cluster early on
    assert limiter.slowdowns == 1 and (limiter.pace() or 50.0) < 50.0
    fake.sleep(3.0)
    for number in range(600):  # later: one in twenty refused, at the lower pace
        limiter.acquire()
        if number % 20 == 19:
            limiter.penalize(0.2)
        if limiter.pace() == 50.0:
            break
    # each time the 429s prove sparse the pace doubles: back to the ceiling in a few rounds, no crawl
    assert 1 <= limiter.forgiven <= 3 and limiter.pace() == 50.0


def test_a_429_in_the_slow_start_sets_the_pace_from_what_got_through() -> None:
    """Without a ceiling, the first flight meets a limit of 4/s with a bucket of 4: its 429 is where the
    limit is, and the callers queued behind the pause leave one interval apart, not all at once."""
    fake = FakeTime()
    limiter = _limiter(fake)
    for _ in range(5):
        limiter.acquire()
        fake.now += 0.01
        limiter.release()
    limiter.penalize(1.0)  # the fifth call: the bucket was empty
    pace = limiter.pace()
    assert limiter.slowdowns == 1 and pace is not None and 3.0 <= pace < 4.0
    for _ in range(3):
        limiter.acquire()
    # after the pause (the first sleep), one interval apart
    assert fake.sleeps[1:] == pytest.approx([1.0 / pace] * 2, rel=0.01)  # (the pace climbs 1 %/s)


def test_the_slow_start_window_doubles_at_most_every_tenth_of_a_second() -> None:
    fake = FakeTime()
    limiter = _limiter(fake)
    for _ in range(AdaptiveRateLimiter.START_WINDOW):
        limiter.acquire()
    for _ in range(20):  # answers a millisecond apart
        limiter.release()
        fake.now += 0.001
    assert limiter._window == AdaptiveRateLimiter.START_WINDOW  # 20 ms: not even one more yet
    fake.now += 0.081  # just past 0.1 s after the first call
    for _ in range(20):
        limiter.release()
    assert limiter._window == 2 * AdaptiveRateLimiter.START_WINDOW


def test_429s_dense_among_the_calls_since_a_slow_down_do_not_undo_it() -> None:
    """Two 429s among the five calls since a slow-down are a pace still over the limit, however many
    calls the window held before: the slow-down stays (and tightens), it is not forgiven."""
    fake = FakeTime()
    limiter = _limiter(fake, ceiling=50.0)
    for _ in range(40):
        limiter.acquire()
    for _ in range(5):
        limiter.penalize(0.2)
    assert limiter.slowdowns == 1
    fake.sleep(2.5)  # past the round
    for number in range(5):
        limiter.acquire()
        if number in (2, 4):
            limiter.penalize(0.2)
    assert limiter.forgiven == 0


def test_the_pace_recovers_slowly_up_to_the_ceiling() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, ceiling=10.0)
    for _ in range(10):
        limiter.acquire()
    for _ in range(3):
        limiter.penalize(1.0)
    low = limiter.pace(fake.now + 1.0)
    ten_seconds_on = limiter.pace(fake.now + 11.0)
    assert low is not None and ten_seconds_on is not None
    assert low < ten_seconds_on < 10.0  # climbing, about 1 % a second
    assert limiter.pace(fake.now + 120.0) == 10.0


def test_near_the_limit_found_a_stray_429_steps_back_a_little_and_the_climb_slows() -> None:
    """At a whole-second Retry-After every 429 costs each worker a second: once a limit is found, the
    pace climbs to just under it and stays there, instead of climbing on into more 429s."""
    fake = FakeTime()
    limiter = _limiter(fake, ceiling=10.0)
    for _ in range(10):
        limiter.acquire()
    for _ in range(3):
        limiter.penalize(1.0)  # over the limit: slowed down
    window_later = fake.now + AdaptiveRateLimiter.WINDOW + 1.0
    while fake.now < window_later:  # calls go and are accepted at the new pace
        limiter.acquire()
        limiter.release()
    before = limiter.pace()
    limiter.penalize(1.0)  # one stray 429: the limit is about here
    after = limiter.pace()
    # the mark is what got through lately (a little under the pace, which climbed meanwhile)
    assert before is not None and after is not None
    mark = after / AdaptiveRateLimiter.EASE
    assert 0.85 * before <= mark <= before
    assert limiter.slowdowns == 1  # a step back, not a slow-down
    climb = 0.03  # of the pace per second, the limiter's default
    knee = AdaptiveRateLimiter.KNEE * mark  # just under the mark: reached in under a second...
    reached = (knee / after - 1) / climb
    assert 0 < reached < 1
    slowly = knee * (1 + climb / 10 * (10 - reached))  # ...then a tenth as fast
    assert limiter.pace(fake.now + 10.0) == pytest.approx(slowly)
    a_minute_later = knee * (1 + climb / 10 * (60 - reached)) * (1 + climb * 10)  # then as fast as before
    assert limiter.pace(fake.now + 70.0) == pytest.approx(a_minute_later)


def test_a_low_service_limit_makes_documents_wait_not_fail(
    tmp_path: Path, make_cradl_emulator: MakeEmulator
) -> None:
    """The service allows 4 requests/s; 16 workers, no --rate-limit: every document succeeds, and few
    requests are answered 429 (before, the workers fired together after every pause: about half). Those
    few are the first burst, before the first 429 came back; bench/rate_pacing.py measures 100 documents."""
    emu = make_cradl_emulator(engine="stub", rate_limit=4, async_delay=0.2)
    docs = make_documents(tmp_path / "in", 12)
    with cradl_client(emu, tmp_path) as client:
        outcome = client.batch(docs, model=MODEL, concurrency=16, journal=tmp_path / "j.db")
    statuses = emu.stats["statuses"]
    limited = sum(count for key, count in statuses.items() if key.endswith(" 429"))
    total = emu.stats["total_requests"]
    assert outcome.summary["succeeded"] == 12, outcome.summary
    assert limited <= 0.2 * total, (limited, total)


def test_a_busy_service_s_retry_after_pauses_without_slowing_the_pace() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, ceiling=10.0)
    for _ in range(10):
        limiter.acquire()
    limiter.pause(1.0)  # a 503 with Retry-After: everyone waits, the pace stays
    before = fake.now
    limiter.acquire()
    assert fake.now >= before + 1.0 and limiter.slowdowns == 0 and limiter.pace() == 10.0
