"""The batch engine: many documents through one provider with N worker threads, a shared rate limit
and a journal that makes every paid call happen once.

Workers share one provider instance (its HttpClient and RateLimiter are thread-safe). A worker holds a
thread only for the length of one call: a document waiting for its next poll sits in a timer heap, so
16 workers keep 16 calls in flight however long the service takes. Among due steps, later stages go
first (poll > predict > upload), so documents finish in a steady stream instead of all at the end.

On a shared journal (PostgreSQL) several processes work on one intake: a worker claims each document
before its first step; one another process holds waits in `_held`, and a watcher thread looks at all
of them in one query now and then: a settled one's result is taken from the journal, one whose
holder's lease ran out goes back to be claimed. Each process goes through the documents in its own
random order, so that processes started together rarely reach for the same one.

Stopping (`stop()`, or Ctrl+C while `run()` waits): no new step starts; steps under way finish and are
journaled; unfinished documents come back as `pending` and the next run resumes them.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.batch.inputs import Prepared, prepare
from core.batch.journal import DamagedRow
from core.batch.journals import JournalBackend
from core.batch.pg_journal import LeaseLost
from core.batch.steps import AfterResult, DocTask, Stage, Steps, settled_result
from core.errors import DocRelayError, UsageError
from core.models import DocumentInfo, Result, summarize
from core.polling import PollingOptions
from core.providers.base import PredictOptions, Provider
from core.review.policy import ReviewPolicy
from core.sources import DocumentInput

log = logging.getLogger("docrelay.batch")

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 64
# Shared journal: how many of the documents next in line the watcher looks at (a bounded query), and how
# often it looks once this process only waits for documents other processes hold.
LOOKAHEAD = 256
IDLE_RECHECK = 0.1


@dataclass
class BatchOutcome:
    """Per-input results (in input order), their counts, and whether the run was stopped early.

    `summary` has the shape of core.models.summarize: total, succeeded, failed, pending (unfinished
    documents of an interrupted run). `from_journal` counts results taken from the journal (no call)."""

    results: list[Result]
    journal: str
    interrupted: bool = False
    from_journal: int = 0
    elapsed_s: float = 0.0
    summary: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.summary = summarize(self.results)


ResultCallback = Callable[[Result], None]


class BatchEngine:
    """Runs one batch: `provider` does the calls, `polling` paces the polls, and each document's job
    gets `timeout` seconds to finish."""

    def __init__(
        self,
        provider: Provider,
        journal: JournalBackend,
        *,
        polling: PollingOptions,
        timeout: float,
        model: str | None = None,
        options: PredictOptions | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_result: ResultCallback | None = None,
        max_attempts: int = 5,
        review: ReviewPolicy | None = None,
        delete_after: bool = False,
        profile: str | None = None,
    ) -> None:
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise UsageError(
                f"Concurrency must be between 1 and {MAX_CONCURRENCY}, not {concurrency}",
                hint=f"The default is {DEFAULT_CONCURRENCY}; raise it only as far as the service allows.",
            )
        self.provider = provider
        self.polling = polling
        self.journal = journal
        self.model = model
        self.options = options or PredictOptions()
        self.concurrency = concurrency
        self.timeout = timeout
        self.on_result = on_result
        self.max_attempts = max_attempts
        self.after = AfterResult(review, delete_after, profile)
        # Documents in flight find their own level (a worker takes a new one only when no step is due),
        # so the cap binds only for slow services, where many jobs wait at the service at once.
        self.max_in_flight = concurrency * 16
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._emit_lock = threading.Lock()
        self._fatal: BaseException | None = None
        self._timers: list[tuple[float, int, DocTask]] = []  # (due, seq, task): steps waiting for a time
        self._ready: list[tuple[int, int, DocTask]] = []  # (priority, seq, task): steps due now
        self._waiting: deque[DocTask] = deque()  # documents not started yet
        self._held: dict[str, DocTask] = {}  # by SHA-256: documents another process holds
        self._seq = itertools.count()
        self._in_flight = 0
        self._unfinished = 0

    def stop(self) -> None:
        """Start no new step; steps under way finish and are journaled (thread-safe, idempotent)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    # -- the run -------------------------------------------------------------------------------
    def run(self, documents: Sequence[DocumentInput]) -> BatchOutcome:
        started = time.monotonic()
        provider = self.provider
        model = provider.resolve_model(self.model)  # a missing model must cost nothing
        provider.pool_size = max(provider.pool_size, self.concurrency + 2)
        steps = Steps(
            provider,
            self.journal,
            model=model,
            options=self.options,
            timeout=self.timeout,
            polling=self.polling,
            max_attempts=self.max_attempts,
            after=self.after,
        )
        prepared = prepare(list(documents), workers=self.concurrency)
        results: list[Result | None] = [None] * len(prepared)
        groups: dict[str, list[Prepared]] = {}
        tasks: dict[str, DocTask] = {}
        for item in prepared:
            if item.source is None:
                assert item.error is not None
                results[item.index] = _unreadable(provider.name, model, item)
                self._emit(results[item.index])
                continue
            groups.setdefault(item.source.sha256, []).append(item)
        first_sources = [items[0].source for items in groups.values()]
        entries = self.journal.ensure_many(
            [(s.sha256, s.source, s.name) for s in first_sources if s is not None], provider.name, model
        )
        for sha256, items in groups.items():
            source = items[0].source
            assert source is not None
            entry = entries[sha256]
            if isinstance(entry, DamagedRow):  # quarantined: no call for it, the others go on
                for item in items:
                    item.error = entry
                    results[item.index] = _unreadable(provider.name, model, item)
                    self._emit(results[item.index])
                continue
            if entry.state == "succeeded" and entry.result is not None:
                done = Result.model_validate(entry.result)
                done.extras["from_journal"] = True  # no call was made for it in this run
                self._deliver(done, items, results)
                continue
            task = DocTask(source=source, entry=entry)  # its first step claims it and chooses the stage
            tasks[sha256] = task
            self._waiting.append(task)
        if self.journal.shared:
            random.shuffle(self._waiting)
        self._unfinished = len(tasks)
        interrupted = self._work_through(steps, groups, results)
        if self._fatal is not None:
            raise self._fatal
        for sha256, task in tasks.items():
            if task.result is None:
                for item in groups[sha256]:
                    results[item.index] = _pending(provider.name, model, task, item)
        final = [r for r in results if r is not None]
        return BatchOutcome(
            final,
            journal=self.journal.location,
            interrupted=interrupted,
            from_journal=sum(1 for r in final if r.extras.get("from_journal")),
            elapsed_s=time.monotonic() - started,
        )

    def _work_through(
        self, steps: Steps, groups: dict[str, list[Prepared]], results: list[Result | None]
    ) -> bool:
        """Run the workers until every document is done, or a stop; True when stopped early."""
        if not self._unfinished:
            return False

        def work() -> None:
            try:
                self._work(steps, groups, results)
            except BaseException as exc:  # a bug, or a callback that failed: stop everything
                log.exception("batch worker failed")
                with self._cond:
                    self._fatal = self._fatal or exc
                self.stop()

        def watch() -> None:
            try:
                self._watch(steps, groups, results)
            except BaseException as exc:  # the journal went away: stop as a worker would
                with self._cond:
                    self._fatal = self._fatal or exc
                self.stop()

        count = min(self.concurrency, steps.provider.max_workers or self.concurrency)
        workers = [
            threading.Thread(target=work, name=f"docrelay-batch-{n}", daemon=True) for n in range(count)
        ]
        if self.journal.shared:
            workers.append(threading.Thread(target=watch, name="docrelay-batch-watch", daemon=True))
        for worker in workers:
            worker.start()
        try:
            for worker in workers:
                while worker.is_alive():  # join in slices: Ctrl+C reaches only a thread that wakes up
                    worker.join(0.2)
        except KeyboardInterrupt:
            log.warning("Stopping: finishing the calls under way (Ctrl+C again to quit at once)")
            self.stop()
            for worker in workers:  # a second Ctrl+C propagates; the journal is consistent anyway
                while worker.is_alive():
                    worker.join(0.2)
        return self._unfinished > 0

    def _work(self, steps: Steps, groups: dict[str, list[Prepared]], results: list[Result | None]) -> None:
        while True:
            task = self._next_task()
            if task is None:
                return
            try:
                delay = steps.run(task)
            except DocRelayError as exc:  # fatal: every other document would meet it too
                with self._cond:
                    self._fatal = self._fatal or exc
                self.stop()
                return
            except LeaseLost as exc:  # stalled past the lease: the new holder goes on with it
                log.warning("%s: %s", task.source.name, exc)
                task.stage, task.held, task.job, task.deadline = Stage.CLAIM, True, None, None
                delay = self.journal.recheck_interval
            if task.held:  # the watcher looks after it from now on
                with self._cond:
                    self._held[task.source.sha256] = task
                    self._in_flight -= 1
                    self._cond.notify()
                continue
            if delay is None:
                assert task.result is not None
                self._deliver(task.result, groups[task.source.sha256], results)
                with self._cond:
                    self._in_flight -= 1
                    self._unfinished -= 1
                    self._cond.notify_all()
            else:
                with self._cond:
                    if delay > 0:
                        heapq.heappush(self._timers, (time.monotonic() + delay, next(self._seq), task))
                    else:
                        heapq.heappush(self._ready, (self._priority(task), next(self._seq), task))
                    self._cond.notify()

    def _watch(self, steps: Steps, groups: dict[str, list[Prepared]], results: list[Result | None]) -> None:
        """Look at the documents other processes hold, and at the next ones this process would claim,
        all in one query, every recheck interval (more often once this process has nothing else to do:
        it then only waits for the others' last documents)."""
        while True:
            with self._cond:
                idle = not (self._waiting or self._ready or self._timers or self._in_flight)
                interval = (
                    min(IDLE_RECHECK, self.journal.recheck_interval)
                    if idle
                    else self.journal.recheck_interval
                )
                over = self._cond.wait_for(lambda: self._stop.is_set() or self._unfinished == 0, interval)
                if over:
                    return
                held = [task.entry for task in self._held.values()]
                # Documents another process took meanwhile: found here in bulk, not by a claim each.
                ahead = [task.entry for task in itertools.islice(self._waiting, LOOKAHEAD)]
            self._take_over_first(steps)
            if not held and not ahead:
                continue
            settled, free = self.journal.watch(held + ahead)
            done = {entry.sha256: entry for entry in settled}
            unheld = {entry.sha256 for entry in free}
            finished: list[DocTask] = []
            with self._cond:
                for sha256 in [sha for sha in self._held if sha in done or sha in unheld]:
                    task = self._held.pop(sha256)
                    task.held = False
                    if sha256 in done:
                        task.entry = done[sha256]
                        task.result = settled_result(task.entry, task, steps.provider.name, steps.model)
                        finished.append(task)
                    else:
                        self._waiting.appendleft(task)
                # Of the looked-ahead documents still waiting (a worker may have taken some meanwhile),
                # settled ones are done and those neither settled nor free are another process's.
                looked = {entry.sha256 for entry in ahead}
                moved = [task for task in self._waiting if task.source.sha256 in looked - unheld]
                if moved:
                    gone = {task.source.sha256 for task in moved}
                    self._waiting = deque(t for t in self._waiting if t.source.sha256 not in gone)
                    for task in moved:
                        if task.source.sha256 in done:
                            task.entry = done[task.source.sha256]
                            task.result = settled_result(task.entry, task, steps.provider.name, steps.model)
                            finished.append(task)
                        else:
                            task.held = True
                            self._held[task.source.sha256] = task
                self._cond.notify_all()
            for task in finished:
                assert task.result is not None
                self._deliver(task.result, groups[task.source.sha256], results)
                with self._cond:
                    self._unfinished -= 1
                    self._cond.notify_all()

    def _take_over_first(self, steps: Steps) -> None:
        """Documents a dead process left leased go to the front of the queue: the lease is the longest a
        takeover waits, not the time until this process happens to reach them."""
        orphans = self.journal.orphans(steps.provider.name, steps.model)
        if not orphans:
            return
        with self._cond:
            found = [task for task in self._waiting if task.source.sha256 in orphans]
            for task in found:
                self._waiting.remove(task)
                self._waiting.appendleft(task)
            self._cond.notify_all()

    def _endgame(self) -> bool:
        """The documents not started yet fit in one round of workers. From then on the longest way to
        go comes first: the last documents' chains (upload, prediction, first poll) then run alongside
        the others' polls instead of alone at the end."""
        return len(self._waiting) <= self.concurrency

    def _priority(self, task: DocTask) -> int:
        return -task.stage.priority if self._endgame() else task.stage.priority

    def _next_task(self) -> DocTask | None:
        """The most advanced due step, else a new document (in the last round: a new document first,
        then the least advanced step); waits for one; None when all is done."""
        with self._cond:
            while True:
                if self._stop.is_set() or self._unfinished == 0:
                    return None
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    _, seq, task = heapq.heappop(self._timers)
                    heapq.heappush(self._ready, (self._priority(task), seq, task))
                start_first = self._waiting and self._endgame()
                if self._ready and not start_first:
                    return heapq.heappop(self._ready)[2]
                if self._waiting and self._in_flight < self.max_in_flight:
                    self._in_flight += 1
                    return self._waiting.popleft()
                if self._ready:
                    return heapq.heappop(self._ready)[2]
                timeout = self._timers[0][0] - now if self._timers else None
                self._cond.wait(timeout)

    # -- results -------------------------------------------------------------------------------
    def _deliver(self, result: Result, items: list[Prepared], results: list[Result | None]) -> None:
        """The result once per input with this content, each under its own path and name."""
        for item in items:
            source = item.source
            assert source is not None
            document = result.document.model_copy(update={"source": source.source, "name": source.name})
            own = result.model_copy(update={"document": document})
            results[item.index] = own
            self._emit(own)

    def _emit(self, result: Result | None) -> None:
        if self.on_result is not None and result is not None:
            with self._emit_lock:
                self.on_result(result)


def _unreadable(provider: str, model: str | None, item: Prepared) -> Result:
    """A failed result for an input that could not be read or whose journal row is damaged (nothing
    was sent, nothing journaled)."""
    assert item.error is not None
    name = item.as_given.replace("\\", "/").rsplit("/", 1)[-1] or item.as_given
    document = DocumentInfo(source=item.as_given, name=name)
    return Result.failed(provider, model, document, item.error)


def _pending(provider: str, model: str | None, task: DocTask, item: Prepared) -> Result:
    """Where an unfinished document stands; its journal row lets the next run resume it."""
    assert item.source is not None
    info = task.info.model_copy(update={"source": item.source.source, "name": item.source.name})
    return Result.pending(
        provider,
        model,
        info,
        prediction_id=task.entry.prediction_id if task.stage is Stage.POLL else None,
        extras={"journal_state": task.entry.state},
    )
