"""One document's way through a batch, one step (one paid or polling call) at a time.

Each step writes the journal before the call it announces and the service's ids right after it, so
the row always tells a later run what may already have happened (see core.batch.journal).
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum

from core.batch.journal import Entry
from core.batch.journals import JournalBackend
from core.checks import with_arithmetic_checks
from core.errors import (
    ConfigError,
    DocRelayError,
    JobFailedError,
    JobTimeoutError,
    NetworkError,
    QuotaExceededError,
    RateLimitError,
    ServiceError,
    UnreachableError,
)
from core.instantjobs import InstantJobs
from core.models import DocumentInfo, JobHandle, Result, ResultError
from core.polling import PollingOptions
from core.providers.base import PredictOptions, Provider
from core.review import service as review_service
from core.review.policy import ReviewPolicy
from core.sources import DocumentSource
from core.transport.retry import RetryPolicy, plan_retry

log = logging.getLogger("docrelay.batch")


class Stage(Enum):
    """The next step of a document in a batch. CLAIM takes it from the journal (on a shared journal,
    only if no other process holds it) and chooses the stage to resume at."""

    CLAIM = "claim"
    UPLOAD = "upload"
    PREDICT = "predict"
    POLL = "poll"

    @property
    def priority(self) -> int:
        """Among steps due at once, the lower goes first: finish documents before starting more (until
        the batch's last round, see BatchEngine._endgame)."""
        return _PRIORITY[self]


_PRIORITY = {Stage.POLL: 0, Stage.PREDICT: 1, Stage.UPLOAD: 2, Stage.CLAIM: 3}
# When no call at all has reached the service for this long, the batch stops (exit 9) instead of
# failing every document slowly: a wrong URL or a service that is down looks the same for all of them.
UNREACHABLE_STOP_AFTER = 10.0


def is_transient(error: DocRelayError) -> bool:
    """Errors a later attempt may not meet (the transport has already retried what it safely could)."""
    if isinstance(error, (QuotaExceededError, JobFailedError)):
        return False
    return isinstance(error, (NetworkError, RateLimitError, ServiceError))


def was_refused(error: DocRelayError) -> bool:
    """The call had no effect: the service answered 4xx, or nothing was sent (settings were wrong), unlike
    a lost connection or a 5xx after which the call may have taken effect."""
    return isinstance(error, ConfigError) or (error.status is not None and 400 <= error.status < 500)


@dataclass
class DocTask:
    """One distinct document (content x provider x model) and where it stands."""

    source: DocumentSource
    entry: Entry
    stage: Stage = Stage.CLAIM
    held: bool = False  # another process holds the document: the engine's watcher looks after it
    attempts: int = 0  # consecutive transient failures of the current step
    result: Result | None = None
    job: JobHandle | None = None
    deadline: float | None = None  # monotonic time after which polling gives up
    delays: Iterator[float] | None = field(default=None, repr=False)
    first_poll: bool = False  # the next poll is the first of this job: its answer teaches FirstPollDelay
    started: float | None = None  # monotonic time of its first step in this run

    @property
    def info(self) -> DocumentInfo:
        if self.entry.document:
            return DocumentInfo.model_validate_json(self.entry.document)
        return DocumentInfo.from_source(self.source)


class FirstPollDelay:
    """How long to wait before a job's first poll, learned from the batch's own jobs.

    A first poll that finds the job done means the wait could have been shorter (x0.7); one that finds
    it pending means it was too short (x1.3). The wait settles near the service's typical job time, so
    a fast service is not kept waiting a fixed second and a slow one is not polled needlessly early.
    """

    SHORTER, LONGER = 0.7, 1.3

    def __init__(self, initial: float, *, floor: float = 0.1, ceiling: float = 15.0) -> None:
        self.floor, self.ceiling = floor, ceiling
        self._value = min(ceiling, max(floor, initial))
        self._lock = threading.Lock()

    @property
    def value(self) -> float:
        return self._value

    def learn(self, was_done: bool) -> None:
        with self._lock:
            factor = self.SHORTER if was_done else self.LONGER
            self._value = min(self.ceiling, max(self.floor, self._value * factor))


class Outage:
    """Whether the service has been unreachable (DNS, refused connections, TLS) for every call lately."""

    def __init__(self, provider: str, stop_after: float = UNREACHABLE_STOP_AFTER) -> None:
        self.provider, self.stop_after = provider, stop_after
        self._since: float | None = None
        self._lock = threading.Lock()

    def saw(self, error: DocRelayError | None) -> None:
        """Record one step's outcome; raise UnreachableError (which stops the batch) when no step has
        reached the service for `stop_after` seconds."""
        with self._lock:
            if not isinstance(error, UnreachableError):
                self._since = None  # something got through, even if it was refused
                return
            now = time.monotonic()
            if self._since is None:
                self._since = now
            if now - self._since < self.stop_after:
                return
        raise UnreachableError(
            f"Stopped the batch: no call reached {self.provider} for {now - self._since:.0f} s "
            f"(the last: {error.message})",
            hint=f"{(error.hint or 'Check the network').rstrip('.')}. What finished is kept in the journal: "
            "run the same command again once the service can be reached",
            provider=self.provider,
        )


@dataclass(frozen=True)
class AfterResult:
    """What happens to a finished result before (review) and after (deletion) it is journaled."""

    review: ReviewPolicy | None = None
    delete_after: bool = False
    profile: str | None = None


class Steps:
    """Runs the steps of DocTasks against one provider; shared by every worker thread."""

    def __init__(
        self,
        provider: Provider,
        journal: JournalBackend,
        *,
        model: str | None,
        options: PredictOptions,
        timeout: float,
        polling: PollingOptions,
        max_attempts: int = 5,
        after: AfterResult | None = None,
    ) -> None:
        self.after = after or AfterResult()
        self.provider = provider
        self.journal = journal
        self.model = model
        self.options = options
        self.timeout = timeout
        self.polling = polling
        self.max_attempts = max_attempts
        # A step that failed transiently (after the transport's own retries) is tried again later,
        # decided as the transport decides.
        self.retry = RetryPolicy(max_attempts=max_attempts, deadline=math.inf, backoff_max=30.0)
        self.first_poll_delay = FirstPollDelay(polling.initial_delay)
        # A provider that answers at once predicts in one call, and its result goes into the journal;
        # its jobs are polled only when resuming a journal written by an earlier version.
        self.instant_jobs = None if provider.capabilities.async_jobs else InstantJobs(provider)
        self.outage = Outage(provider.name)

    # -- where to start ----------------------------------------------------------------------
    def claim(self, task: DocTask) -> float | None:
        """Take the document from the journal and choose its first stage; if another process holds
        it, `task.held` is set; None when it is settled (finished by another process during this run:
        `task.result` set, no call made)."""
        entry = self.journal.claim(task.entry)
        if entry is None:
            done = self.journal.settled(task.entry)
            if done is not None:
                task.entry = done
                task.held = False
                task.result = settled_result(done, task, self.provider.name, self.model)
                return None
            task.held = True
            return self.journal.recheck_interval
        task.held = False
        task.entry = entry
        self.choose_resume_stage(task)
        return 0.0

    def choose_resume_stage(self, task: DocTask) -> None:
        """Choose the first step from the journal row; a failed row is retried from the furthest point
        that costs nothing twice."""
        entry = task.entry
        if entry.state == "failed":
            if entry.job and entry.error_type not in ("job_failed", "not_found"):
                entry = self.journal.update(entry, state="predicting")  # the job exists: poll it again
            elif entry.document_id and entry.error_type != "not_found":
                if entry.predict_started and not entry.job:
                    entry = self.journal.update(entry, state="predicting")  # find it before predicting
                else:
                    entry = self.journal.update(
                        entry, state="uploaded", job=None, prediction_id=None, predict_started=None
                    )
            else:
                entry = self.journal.update(entry, state="queued")
            task.entry = entry
        if entry.state == "predicting":
            task.stage = Stage.POLL if entry.job else Stage.PREDICT
        elif entry.state == "uploaded":
            task.stage = Stage.PREDICT
        else:
            task.stage = Stage.UPLOAD

    # -- one step ----------------------------------------------------------------------------
    def run(self, task: DocTask) -> float | None:
        """Do the task's next step; the seconds until the one after, or None when the document is done
        (`task.result` set). Fatal errors are raised; others fail the document or are retried."""
        delay: float | None
        now = time.monotonic()
        if task.started is None:
            task.started = now
        try:
            if task.stage is Stage.CLAIM:
                return self.claim(task)
            if task.stage is Stage.UPLOAD:
                delay = self._upload(task)
            elif task.stage is Stage.PREDICT:
                delay = self._predict(task)
            else:
                delay = self._poll(task)
        except DocRelayError as exc:
            self.outage.saw(exc)  # raises when nothing has reached the service for a while
            if exc.stops_run:
                raise
            task.attempts += 1
            # Being rate limited is only waiting: a document fails for it once its job timeout has
            # passed, not after a number of attempts (the shared limiter has slowed every worker down).
            waiting = isinstance(exc, RateLimitError) and not isinstance(exc, QuotaExceededError)
            assert task.started is not None
            plan = plan_retry(
                self.retry,
                attempt=task.attempts,
                retryable=is_transient(exc),
                safe=True,  # the journal makes a repeated step safe: nothing is predicted twice
                retry_after=getattr(exc, "retry_after", None),
                time_left=self.timeout - (now - task.started) if waiting else math.inf,
                rng=random.random,
                max_attempts=task.attempts + 1 if waiting else None,
            )
            if plan.wait is not None:
                log.info("%s: %s; trying again in %.1f s", task.source.name, exc.message, plan.wait)
                return plan.wait
            self._fail(task, exc)
            return None
        self.outage.saw(None)
        task.attempts = 0
        return delay

    def _upload(self, task: DocTask) -> float:
        entry = self.journal.update(
            task.entry,
            state="uploading",
            uploads=task.entry.uploads + 1,
            document_id=None,
            document=None,
            job=None,
            prediction_id=None,
            predict_started=None,
            error_type=None,
            error_message=None,
        )
        task.entry = entry
        try:
            info = self.provider.upload(task.source)
        except DocRelayError as exc:
            if was_refused(exc):
                task.entry = self.journal.update(entry, state="queued")
            raise
        task.entry = self.journal.update(
            entry, state="uploaded", document_id=info.id, document=info.model_dump_json()
        )
        task.stage = Stage.PREDICT
        return 0.0

    def _predict(self, task: DocTask) -> float | None:
        entry = task.entry
        info = task.info
        if entry.state == "predicting" and not entry.job:
            # An earlier attempt may have reached the service without its answer reaching us.
            found = self.provider.find_prediction(info, self.model, self.options)
            if found is not None:
                log.info("%s: found the prediction started earlier: %s", info.name, found.prediction_id)
                return self._started(task, found)
            if not self.provider.finds_predictions:
                log.warning(
                    "%s: an earlier prediction may have started; %s cannot look it up, so one more is made",
                    info.name,
                    self.provider.name,
                )
        entry = self.journal.update(
            entry,
            state="predicting",
            predict_started=time.time(),
            predictions=entry.predictions + 1,
            error_type=None,
            error_message=None,
        )
        task.entry = entry
        try:
            if self.instant_jobs is not None:  # answers at once: the result goes into the journal
                result = self.provider.extract(task.source, self.model, self.options)
                task.entry = self.journal.update(entry, prediction_id=result.prediction_id)
                self._finish(task, result)
                return None
            job = self.provider.start_prediction(info, task.source, self.model, self.options)
        except DocRelayError as exc:
            if was_refused(exc):  # nothing was started: no need to look for it next time
                task.entry = self.journal.update(entry, state="uploaded", predict_started=None)
            raise
        return self._started(task, job)

    def _started(self, task: DocTask, job: JobHandle) -> float:
        task.entry = self.journal.update(
            task.entry, state="predicting", prediction_id=job.prediction_id, job=job.model_dump_json()
        )
        task.job = job
        task.stage = Stage.POLL
        task.first_poll = True
        return self.provider.first_poll_delay(job, self.first_poll_delay.value)

    def _next_delay(self, task: DocTask) -> float:
        if task.delays is None:
            task.delays = iter(self.polling.delays())
        return next(task.delays)

    def _poll(self, task: DocTask) -> float | None:
        job = task.job or JobHandle.model_validate_json(task.entry.job or "{}")
        task.job = job
        if task.deadline is None:
            task.deadline = time.monotonic() + self.timeout
        state = self.instant_jobs.poll(job) if self.instant_jobs is not None else self.provider.poll(job)
        if task.first_poll:
            task.first_poll = False
            self.first_poll_delay.learn(was_done=state.status != "pending")
        if state.status == "pending" and state.awaiting_review and self.after.review is not None:
            self._finish(task, self.provider.fetch_result(job), awaiting=True)
            return None
        if state.status == "pending":
            if time.monotonic() >= task.deadline:
                raise JobTimeoutError(
                    f"The prediction of {job.document.name} did not finish within {self.timeout:g} s",
                    hint="Run the batch again later: it goes on polling the same job (no new prediction).",
                    provider=self.provider.name,
                    job=job.encode(),
                )
            return max(self._next_delay(task), state.retry_after or 0.0)
        self._finish(task, state.result or self.provider.fetch_result(job))
        return None

    def _finish(self, task: DocTask, result: Result, *, awaiting: bool = False) -> None:
        """Journal the finished result (a prediction the service could not make fails the document);
        route it to review first when asked, and delete the document after when asked."""
        result = with_arithmetic_checks(result)
        after = self.after
        if after.review is not None or awaiting:
            result = review_service.route(
                self.provider, result, task.job, after.review, profile=after.profile, awaiting=awaiting
            )
        if result.status == "failed":
            message = result.error.message if result.error else "the service gave no reason"
            task.entry = self.journal.update(
                task.entry,
                state="failed",
                result=result.to_dict(),
                error_type=JobFailedError.type,
                error_message=message,
            )
        else:
            task.entry = self.journal.update(task.entry, state="succeeded", result=result.to_dict())
            if after.delete_after:
                self._delete(task, result)
        task.result = result

    def _delete(self, task: DocTask, result: Result) -> None:
        """Delete the document once its result is journaled; a failure is recorded on the result (the
        result itself is good) and logged, and never stops the batch."""
        try:
            review_service.delete_after_use(self.provider, result)
        except DocRelayError as exc:
            log.warning("%s: could not delete the document on the service: %s", result.document.name, exc)
            result.extras.update(deleted=False, delete_error=exc.full_message)
        task.entry = self.journal.update(task.entry, result=result.to_dict())

    def _fail(self, task: DocTask, error: DocRelayError) -> None:
        entry = self.journal.update(
            task.entry, state="failed", error_type=error.type, error_message=error.full_message
        )
        task.entry = entry
        task.result = Result.failed(
            self.provider.name, self.model, task.info, error, prediction_id=entry.prediction_id
        )


def settled_result(entry: Entry, task: DocTask, provider: str, model: str | None) -> Result:
    """The result a journal row holds for a document finished without a call of this run."""
    if entry.result is not None:
        result = Result.model_validate(entry.result)
    else:
        result = Result(
            provider=provider,
            model=model,
            status="failed",
            error=ResultError(type=entry.error_type or "internal_error", message=entry.error_message or ""),
            document=task.info,
            prediction_id=entry.prediction_id,
        )
    result.extras["from_journal"] = True  # no call was made for it in this run
    return result
