"""Client-side pacing shared by every worker that talks to one provider.

The HTTP client calls `acquire()` before each attempt and `penalize(seconds)` when the service sends
`Retry-After`, so one 429 slows every worker sharing the limiter, not just the one that got it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol, runtime_checkable

logger = logging.getLogger("docrelay.transport")


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


class AdaptiveRateLimiter:
    """Pacing that learns the service's limit from its 429s (additive increase, multiplicative decrease).

    `ceiling` is the configured rate_limit (None: none known). Without a 429 the pace is the ceiling;
    with none there is no pacing, but a slow start holds the calls in flight to `START_WINDOW`, one
    more for each answer (at most doubling each `DOUBLING` seconds), until the first 429 (which sets
    the pace) or for `SLOW_START` seconds (the first burst of 64 workers would
    otherwise meet a low limit all at once; a fast service doubles the window each round trip, and
    `release()` must be called after each call for that). On a 429, `penalize`
    holds every caller for the service's `Retry-After`; when the 429s are more than strays (see
    `_over_limit`) it then sets the pace to `decrease` x the rate
    that got through lately (each further 429 of the same round can only lower it); from there
    the pace climbs back by `recovery` of itself per second, up to the ceiling, never below one call
    per Retry-After (what the service asked for). 429s that keep coming, sparse, at a pace below what
    got through before the slow-down double the pace (`_forgive_if_random`): a real limit refuses nothing
    there, so the service sheds load at random and slowing down only costs time. The pace a slow-down
    came from is remembered as the limit for `LIMIT_MEMORY` seconds: the climb slows to a tenth just
    under it, and a stray 429 then moves the mark to the pace it came at and steps back `EASE` (at a
    whole-second Retry-After each 429 costs every worker a second). Callers are released
    one interval apart, after a pause too, never all at once. Thread-safe; waiting happens outside
    the lock, in order of arrival (virtual scheduling).
    """

    WINDOW = 5.0  # seconds of history behind "the rate that got through lately"
    UNPACED_ABOVE = 1000.0  # requests per second: above this pace, do not pace at all
    OVER_LIMIT = 0.1  # the share of 429s among the window's calls that means "over the limit"
    START_WINDOW = 4  # calls in flight at first, without a ceiling
    SLOW_START = 3.0  # seconds after the first call during which the window applies
    DOUBLING = 0.1  # seconds: the slow start's window at most doubles this often (64 calls after 0.4 s)
    FIRST_SAMPLE = 20  # calls: before the first slow-down, fewer in the window are a small sample...
    FIRST_OVER_LIMIT = 0.25  # ...whose share of 429s must be this high to mean "over the limit"
    SMALL_OVER_LIMIT = 0.2  # the same after a slow-down
    FORGIVE_AFTER = 2  # sparse 429s after a slow-down, at a pace a limit accepts: it was no limit
    EASE = 0.95  # a stray 429 at the limit found: this much slower
    KNEE = 0.97  # of the limit found: above this the pace climbs ten times slower...
    LIMIT_MEMORY = 60.0  # ...for this many seconds after the limit was found

    def __init__(
        self,
        ceiling: float | None = None,
        *,
        decrease: float = 0.85,
        recovery: float = 0.03,
        floor: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if ceiling is not None and not ceiling > 0:
            raise ValueError("ceiling must be positive (or None)")
        self.rate_per_second = ceiling  # the configured limit, as RateLimiter names it
        self._decrease, self._recovery, self._floor = decrease, recovery, floor
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._first: float | None = None  # the first call: the slow start counts from it
        self._in_flight = 0
        self._window = self.START_WINDOW
        self._slow_start_over = False
        self._next = float("-inf")  # the earliest moment the next caller may go
        self._generation = 0  # a pause or a 429 starts a new one: slots given before are void
        self._base: float | None = None  # the pace set by the last slow-down (None: none yet)
        self._since_climb = 0.0  # when the pace started climbing back from _base
        self._round_end = float("-inf")  # 429s before this belong to calls sent before the last slow-down
        self._lowest = floor  # the lowest pace this round may set
        self._sent: deque[float] = deque()
        self._refused: deque[float] = deque()
        self._answers: deque[float] = deque()  # calls answered (released), 429s among them
        self._through_before = 0.0  # the rate that got through before the last slow-down
        self._limit: float | None = None  # the rate the service was found to refuse above, if known
        self._limit_found = float("-inf")  # when
        self._paused: deque[tuple[float, float]] = deque()  # (from, to): nobody could go
        self._probed = False  # sparse 429s after the last slow-down have already slowed it one step more
        self.slowdowns = 0
        self.forgiven = 0  # slow-downs undone: the 429s were random, not a limit

    def pace(self, now: float | None = None) -> float | None:
        """Requests per second allowed now; None when not pacing."""
        now = self._clock() if now is None else now
        if self._base is None:
            return self.rate_per_second  # None: not paced (the slow start's window holds the first burst)
        climbed = max(0.0, now - self._since_climb)
        rate = self._base * (1.0 + self._recovery * climbed)
        if self._limit is not None and rate > self.KNEE * self._limit:
            # Near the limit found, the climb slows to a tenth for a while: probing above it costs every
            # worker a Retry-After per 429, staying just under it costs nothing.
            knee = self.KNEE * self._limit
            reached = max(0.0, (knee / self._base - 1.0) / self._recovery)
            slow_until = max(reached, self._limit_found + self.LIMIT_MEMORY - self._since_climb)
            rate = max(knee, self._base) * (1.0 + 0.1 * self._recovery * (min(climbed, slow_until) - reached))
            rate *= 1.0 + self._recovery * max(0.0, climbed - slow_until)
        if self.rate_per_second is not None:
            return min(rate, self.rate_per_second)
        return None if rate > self.UNPACED_ABOVE else rate

    def _slow_start(self, now: float) -> bool:
        return (
            self.rate_per_second is None
            and not self._slow_start_over
            and self._first is not None
            and now - self._first < self.SLOW_START
        )

    def acquire(self, timeout: float | None = None) -> bool:
        with self._lock:
            now = self._clock()
            if self._first is None:
                self._first = now
            while self._slow_start(now) and self._in_flight >= self._window:
                if timeout is not None and now - self._first >= self.SLOW_START + timeout:
                    return False
                self._answered.wait(0.05)  # real time: an answer, a 429 or the end of the slow start
                now = self._clock()
            self._in_flight += 1
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                start = max(now, self._next)
                wait = start - now
                if timeout is not None and waited + wait > timeout:
                    self._in_flight -= 1
                    return False
                rate = self.pace(start)
                self._next = start + (1.0 / rate if rate else 0.0)
                self._sent.append(start)  # a slot, perhaps later than now: counted once it has come
                self._forget(now)
                generation = self._generation
            if wait <= 0:
                return True
            self._sleep(wait)
            waited += wait
            with self._lock:
                if self._generation == generation:
                    return True
                # A 429 or a pause came while this caller waited: its slot was given at the old pace,
                # perhaps inside the pause. It takes a new one, behind the pause, at the new pace.
                with contextlib.suppress(ValueError):  # unless already out of the window
                    self._sent.remove(start)

    def release(self) -> None:
        """One call has its answer (or failed): during the slow start, the window grows by one."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            now = self._clock()
            self._answers.append(now)
            if self._slow_start(now) and self._first is not None:
                # One more per answer (doubling each round trip), but at most doubling each
                # `DOUBLING` seconds: a round trip of a few milliseconds would otherwise grow the window
                # past a low limit's bucket before its first 429 is back, and that whole flight is refused.
                cap = self.START_WINDOW * 2.0 ** ((now - self._first) / self.DOUBLING)
                self._window = max(self._window, min(self._window + 1, int(cap)))
            self._answered.notify_all()

    def pause(self, seconds: float) -> None:
        """Hold every caller for `seconds` without touching the pace (a busy service's Retry-After on a
        503 says nothing about our rate)."""
        with self._lock:
            self._restart_schedule(self._clock() + max(0.0, seconds))

    def penalize(self, seconds: float) -> None:
        with self._lock:
            now = self._clock()
            until = now + max(0.0, seconds)
            self._restart_schedule(until)
            self._refused.append(now)
            self._forget(now)
            sent = [moment for moment in self._sent if moment <= now]
            if not self._over_limit(sent, now):  # a stray 429: the pause only...
                self._forgive_if_random(now)
                self._ease_at_the_limit(sent, now)  # ...or, at the limit found before, a step back
                return
            guessing = self.slowdowns == 0 and self._slow_start(now)
            self._slow_start_over = True
            self._answered.notify_all()  # waiting callers leave the slow start for the pacing
            # A limit refills within its Retry-After: in a slow start what got through in that long (at
            # most a second) is the guess.
            shortest = min(1.0, seconds) if guessing and seconds > 0 else 1.0
            through = self._through(sent, now, shortest) if sent else 0.0
            # One call per Retry-After is what the service asked for: never slower than that (a single
            # extract has no rate to learn from its one refused call).
            asked = 1.0 / seconds if seconds > 0 else self._floor
            if now < self._round_end:  # another answer of the same round: lower still, never higher
                if self._base is not None:
                    self._base = min(self._base, max(self._lowest, self._decrease * through))
                return
            pace = self.pace(now)
            # After the first round, at most half the pace per round: what got through reads low in a
            # window full of the pauses 429s impose, and one that caught only refusals must not stall
            # every worker.
            half = 0.5 * pace if pace and self._base is not None else 0.0
            self._lowest = max(self._floor, min(asked, self.rate_per_second or asked), half)
            self._through_before, self._probed = through, False
            # The pace that drew the 429s is over the limit (unknown when unpaced): the climb back slows
            # near it. What got through can read low (a burst's first second), so it is not the mark.
            self._limit, self._limit_found = pace, until
            # Far above what got through, the pace was far over the limit: start from what got through.
            # Near it, what got through is short of the pace by the pauses 429s impose: start from the pace.
            reference = pace if pace and self._base is not None and through >= 0.7 * pace else through
            self._base = max(self._lowest, self._decrease * min(reference, pace or float("inf")))
            self._since_climb = until
            self._round_end = until + max(1.0, 1.0 / self._base)
            self.slowdowns += 1
            logger.debug(
                "The service refused calls (429): pacing at %.2f requests/s (%.2f/s got through lately, "
                "the pace was %s)",
                self._base,
                through,
                f"{pace:.2f}/s" if pace else "none",
            )

    def _restart_schedule(self, until: float) -> None:
        """Nobody goes before `until`. Slots already given to waiting callers were given at the old pace
        (with many workers they reach seconds ahead): those callers take new ones when they wake."""
        now = self._clock()
        if self._paused and now <= self._paused[-1][1]:  # overlapping pauses are one
            self._paused[-1] = (self._paused[-1][0], max(until, self._paused[-1][1]))
        elif until > now:
            self._paused.append((now, until))
        self._next = until
        self._generation += 1

    def _ease_at_the_limit(self, sent: list[float], now: float) -> None:
        """Once a limit has been found, a stray 429 says where it is now: at this pace or lower, about
        what got through lately. Step back under it (each such 429 costs every worker its Retry-After)
        and climb on slowly."""
        pace = self.pace(now)
        if self._base is None or self._limit is None or pace is None or now < self._round_end:
            return
        through = self._through(sent, now) if sent else pace
        # What got through, unless it reads far below the pace (a window of pauses reads low).
        mark = max(self._decrease * pace, min(pace, through))
        self._limit, self._limit_found = mark, now
        self._base = max(self._lowest, self.EASE * mark)
        self._since_climb = now
        logger.debug("A 429 at the limit found before: pacing at %.2f requests/s", self._base)

    def _over_limit(self, sent: list[float], now: float) -> bool:
        """Whether the 429s say we are over the service's limit: at least `OVER_LIMIT` of the calls
        refused (`FIRST_OVER_LIMIT` of fewer than `FIRST_SAMPLE`), and two of them; fewer are strays
        (a service that sheds a few percent at random is not slowed down to a crawl), and cost only
        their pause. After a slow-down's round (or a forgiven one) only what came after it counts, 429s
        and calls alike: the cluster that caused it must not cause the next one with one stray."""
        if self.slowdowns == 0 and self._slow_start(now):
            # The slow start is a probe: its first 429 is where the burst met the limit. Left unpaced, the
            # callers queued behind its pause would all go at once when it ends, into an empty bucket.
            return len(self._refused) >= 1
        refused, calls = len(self._refused), len(sent)
        if now >= self._round_end:
            refused, calls = self._since(self._round_end, now)
        # 2 of 12 is luck before any slow-down; after one, at a low pace (a few calls in the window,
        # each 429 a pause), 2 of 10 is the limit again.
        small = self.FIRST_OVER_LIMIT if self.slowdowns == 0 else self.SMALL_OVER_LIMIT
        share = self.OVER_LIMIT if calls >= self.FIRST_SAMPLE else small
        return refused >= 2 and refused >= share * max(1, calls)

    def _since(self, moment: float, now: float) -> tuple[int, int]:
        """429s and calls sent from `moment` to now (within the window)."""
        refused = sum(1 for event in self._refused if event >= moment)
        return refused, sum(1 for event in self._sent if moment <= event <= now)

    def _forgive_if_random(self, now: float) -> None:
        """Undo the last slow-down when 429s keep coming, sparse, at a pace below what got through
        before it: under a real limit that pace draws none, so these are refused at random whatever
        our rate (a service shedding load), and the slow-down only cost time (its 3 %/s climb back
        would take minutes)."""
        if self._base is None or now < self._round_end:
            return
        pace = self.pace(now)
        if pace is None or pace >= self._through_before:
            return
        # Sparse means sparse among the calls since the slow-down, and enough of them to tell: 2 of 5
        # is a pace still over the limit, not a service shedding load at random.
        refused, calls = self._since(self._round_end, now)
        if refused < self.FORGIVE_AFTER or calls < self.FIRST_SAMPLE or refused >= self.OVER_LIMIT * calls:
            return
        if not self._probed:
            # A pace just over a limit draws sparse 429s too. Slower still, a limit refuses nothing
            # and random refusals go on: one more step down tells which it is.
            self._probed = True
            self._base = max(self._lowest, self._decrease * pace)
            self._since_climb, self._round_end = now, now + max(1.0, 1.0 / self._base)
            logger.debug("Sparse 429s: pacing at %.2f requests/s to tell a limit from chance", self._base)
            return
        # Twice the pace, not straight back to unpaced: if it was a limit after all (a slow-down measured
        # against a burst), one round at twice the pace costs a few 429s, every worker at once many.
        # Random 429s keep coming, so the pace keeps doubling until it is no pace at all.
        doubled = 2.0 * pace
        self._base = None if doubled > self.UNPACED_ABOVE else doubled
        self._through_before = float("inf")  # until a slow-down, sparse 429s may double it again
        self._limit = None
        self._probed = True
        if self._base is not None:
            self._since_climb = now
        # The evidence starts afresh, a second on: the answers to calls already sent belong to the pace
        # just undone, and must not slow the next calls down again.
        self._round_end = now + 1.0
        self.forgiven += 1
        logger.debug("The 429s came at random, not from a limit: the pace is back to %s", self.pace(now))

    def _through(self, sent: list[float], now: float, shortest: float = 1.0) -> float:
        """Requests per second the service accepted lately: the calls answered minus those refused,
        over the window (calls still in flight are not known to be accepted: counting them would put
        a slow start's whole flight through). A caller that never releases is counted by what it sent."""
        # Time nobody could go (the pauses 429s imposed) is not time the service refused anything in.
        paused = sum(max(0.0, min(end, now) - max(begin, sent[0])) for begin, end in self._paused)
        span = max(shortest, now - sent[0] - paused)
        answered = len(self._answers) if self._answers else len(sent)
        return max(0.0, answered - len(self._refused)) / span

    def _forget(self, now: float) -> None:
        for events in (self._sent, self._refused, self._answers):
            while events and events[0] < now - self.WINDOW:
                events.popleft()
        while self._paused and self._paused[0][1] < now - self.WINDOW:
            self._paused.popleft()
